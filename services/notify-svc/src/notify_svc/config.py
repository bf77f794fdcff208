"""notify-svc settings: the common ones, the channels, the sender's pacing and the message rules."""

from __future__ import annotations

import ipaddress
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from brokerage_common import CommonSettings
from brokerage_common.settings import check_secret, register_development_secret

from .delivery.rules import MAX_NUMBERS_PER_SEND, Backoff
from .planning.rules import DEFAULT_DAILY_CAP
from .reminders.calendar import check_announced_closures

DEV_SMS_GATEWAY_KEY = register_development_secret("dev-sms-key")


class Settings(CommonSettings):
    service_name: str = "notify-svc"
    database_url: str = "sqlite+aiosqlite:///./data/notify.db"

    # SMS provider (spec sms-gateway.md)
    sms_gateway_url: str = "http://127.0.0.1:9300"
    sms_gateway_key: str = DEV_SMS_GATEWAY_KEY
    sms_sign_name: str = "某某证券"
    sms_timeout_s: float = Field(default=5.0, gt=0)
    sms_batch_max: int = Field(default=MAX_NUMBERS_PER_SEND, ge=1, le=1000)
    sms_claim_size: int = Field(default=5000, ge=1)
    sms_concurrency: int = Field(default=8, ge=1)
    sms_lanes: int = Field(default=2, ge=1, description="concurrent claim loops (PostgreSQL only)")
    # Which provider: the generic contract above, or Aliyun SMS through its SDK (ADR 0016).
    sms_provider: Literal["generic", "aliyun"] = "generic"
    # Provider calls (sends and queries) per second from this process; unset: not paced
    # (the generic gateway's default), Aliyun: ALIYUN_DEFAULT_RATE_PER_S.
    sms_rate_per_s: float | None = Field(default=None, gt=0)
    # Price of one billed SMS (条) in yuan, for the cost the sender counts.
    sms_segment_price: Decimal = Field(default=Decimal("0.045"), ge=0)

    # Aliyun SMS (dysmsapi 2017-05-25), used when SMS_PROVIDER=aliyun.
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: str | None = None
    aliyun_sms_endpoint: str = "dysmsapi.aliyuncs.com"
    # Empty: SMS_SIGN_NAME. The signature (签名) registered with Aliyun.
    aliyun_sms_sign_name: str = ""
    # Our template code -> the Aliyun template code registered for it, e.g.
    # '{"TIER_UP": "SMS_468123456"}'. A template not listed cannot go out through Aliyun.
    aliyun_sms_templates: dict[str, str] = Field(default_factory=dict)
    # Aliyun's HTTP push of delivery reports carries no signature: the callback URL holds
    # this token (compared in constant time) and only these networks may call it.
    aliyun_report_token: str | None = None
    aliyun_report_allowed_ips: tuple[str, ...] = ()

    # Enterprise IM webhook: empty turns the channel off. Per-branch webhooks override it.
    im_webhook_url: str = ""
    im_branch_webhooks: dict[str, str] = Field(default_factory=dict)
    # Per service group (ops-assessment-svc's group id), e.g. '{"G-B001-1": "https://..."}':
    # a group's alerts go there, else to its branch's webhook (the text names the group).
    im_group_webhooks: dict[str, str] = Field(default_factory=dict)
    # Compliance's robot: the "compliance" route (a data-leak complaint); empty: IM_WEBHOOK_URL.
    compliance_webhook: str = ""
    im_timeout_s: float = Field(default=5.0, gt=0)

    # E-mail over SMTP: an empty host turns the channel off.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    # STARTTLS unless turned off (SMTP_START_TLS=false: a local sink such as mailpit or
    # aiosmtpd); a relay that does not offer it gets no mail in clear (retried instead).
    smtp_start_tls: bool = True
    smtp_use_tls: bool = False
    smtp_sender: str = "notify@brokerage.example"
    smtp_timeout_s: float = Field(default=10.0, gt=0)

    # Rules
    daily_cap: int = Field(default=DEFAULT_DAILY_CAP, ge=0)
    marketing_consent_default: bool = False
    retry_base_s: float = 1.0
    retry_max_s: float = 300.0
    max_attempts: int = Field(default=8, ge=1)
    defer_s: float = 300.0
    max_defer_h: float = 24.0
    circuit_cooldown_s: float = 300.0
    # After an accepted send, ask the provider when no report came within this time.
    report_grace_s: float = 600.0
    # After a timeout, wait this long before asking the provider what happened.
    unknown_query_delay_s: float = 5.0
    # A message still "submitting" this long after the claim belongs to a crashed sender.
    stale_submitting_s: float = 120.0
    pending_timeout_h: float = 24.0
    # Sends for a reminder go out at this Beijing time on the reminder day.
    reminder_hour: int = Field(default=9, ge=0, le=23)
    # The Shanghai exchange's announced closures (休市安排) for years exchange_calendars
    # does not cover yet, e.g. '["2027-01-01", ...]'; weekend days may be listed (ignored).
    xshg_announced_closures: tuple[date, ...] = ()
    # Warn (log and notify_trading_calendar_remaining_seconds) this many days before it ends.
    calendar_warn_days: int = Field(default=30, ge=0)

    # Pacing of the worker loops
    sender_idle_s: float = 0.2
    housekeeping_interval_s: float = 1.0
    campaign_chunk: int = Field(default=20000, ge=1)
    daily_jobs_interval_s: float = 3600.0

    @field_validator("xshg_announced_closures")
    @classmethod
    def _check_closures(cls, days: tuple[date, ...]) -> tuple[date, ...]:
        return check_announced_closures(days)

    @field_validator("aliyun_report_allowed_ips")
    @classmethod
    def _check_networks(cls, networks: tuple[str, ...]) -> tuple[str, ...]:
        for network in networks:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad entry
        return networks

    @model_validator(mode="after")
    def _check_aliyun(self) -> Settings:
        secret = check_secret(
            self.aliyun_access_key_secret,
            name="ALIYUN_ACCESS_KEY_SECRET",
            environment=self.environment,
        )
        token = check_secret(
            self.aliyun_report_token, name="ALIYUN_REPORT_TOKEN", environment=self.environment
        )
        self.aliyun_access_key_secret, self.aliyun_report_token = secret, token
        if self.sms_provider != "aliyun":
            return self
        if not self.aliyun_access_key_id or not secret:
            raise ValueError(
                "SMS_PROVIDER=aliyun needs ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET"
            )
        if not self.aliyun_sms_templates:
            raise ValueError("SMS_PROVIDER=aliyun needs ALIYUN_SMS_TEMPLATES")
        if self.protected and not (token and self.aliyun_report_allowed_ips):
            raise ValueError(
                f"SMS_PROVIDER=aliyun in {self.environment} needs ALIYUN_REPORT_TOKEN and "
                "ALIYUN_REPORT_ALLOWED_IPS: its delivery reports carry no signature"
            )
        return self

    @property
    def sms_sign(self) -> str:
        """The signature the configured provider adds (【...】), counted in the length."""
        if self.sms_provider == "aliyun" and self.aliyun_sms_sign_name:
            return self.aliyun_sms_sign_name
        return self.sms_sign_name

    @model_validator(mode="after")
    def _refuse_dev_gateway_key(self) -> Settings:
        if self.sms_provider != "generic":
            self.sms_gateway_key = ""  # not used: nothing to check, nothing to leak
            return self
        # Staging too: it must not send through the gateway with the development key.
        key = check_secret(
            self.sms_gateway_key, name="SMS_GATEWAY_KEY", environment=self.environment
        )
        self.sms_gateway_key = key or ""
        if self.protected and not key:
            raise ValueError(f"SMS_GATEWAY_KEY must be set in {self.environment}")
        return self

    def backoff(self) -> Backoff:
        return Backoff(
            base_s=self.retry_base_s, max_s=self.retry_max_s, max_attempts=self.max_attempts
        )
