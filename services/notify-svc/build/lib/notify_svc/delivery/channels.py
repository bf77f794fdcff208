"""The delivery channels behind one small interface: SMS gateway, enterprise IM webhook, SMTP.

A channel turns one ``Outgoing`` (one message, or for SMS up to 1,000 numbers sharing
template parameters) into one ``SendResult`` classified by ``rules.SendOutcome``. Channels do
no database work and never log an address.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib
import httpx

from ..config import Settings
from ..rules import Channel
from .rules import SendOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One call to a channel: ``out_id`` names it; ``addresses`` share template and parameters."""

    out_id: str
    addresses: list[str]
    template_code: str | None  # the generic contract's provider template code
    params: dict[str, Any]
    body: str = ""
    subject: str | None = None
    # Our template code (TIER_UP): a real provider's adapter maps it to that provider's code.
    our_template_code: str | None = None


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    code: str | None = None
    biz_id: str | None = None
    http_status: int | None = None
    # The provider's id of the call (Aliyun's RequestId): logged, for its support desk.
    request_id: str | None = None


@dataclass(frozen=True)
class StatusResult:
    """Reports the provider holds for an ``out_id``; ``ok`` False when the query itself failed."""

    ok: bool
    reports: list[dict[str, Any]] = field(default_factory=list)
    # Numbers the provider took under this out_id with no final status yet: not to resend.
    pending: list[str] = field(default_factory=list)


class ChannelSender(Protocol):
    channel: Channel
    # At most this many addresses per call (SMS: 1,000 with equal parameters).
    max_batch: int
    # IM and e-mail have no delivery reports: accepted means delivered (handed over).
    confirms_delivery: bool

    @property
    def enabled(self) -> bool: ...

    async def send(self, item: Outgoing) -> SendResult: ...

    async def aclose(self) -> None: ...


class SmsSender(ChannelSender, Protocol):
    """The SMS provider behind one interface, whichever is configured (``SMS_PROVIDER``)."""

    # The provider's name: the label of its metrics and the circuit it is judged by.
    provider: str
    sign_name: str

    async def query_status(
        self, out_id: str, *, numbers: Sequence[str] = (), sent_at: datetime | None = None
    ) -> StatusResult:
        """What the provider holds for ``out_id``; ``numbers`` and when it was sent serve a
        provider that looks sends up by number and day (Aliyun)."""
        ...


class ImWebhook:
    """Enterprise-IM group robot webhook: ``{"msgtype": "text", "text": {"content": ...}}``.

    The address of an IM message is its route: ``branch:<id>`` (a branch service channel,
    with an optional per-branch webhook), ``group:<id>`` (a service group's, IM_GROUP_WEBHOOKS),
    ``compliance`` (COMPLIANCE_WEBHOOK) or ``ops``; routes joined by ``|`` are tried in order
    (``group:G1|branch:B001``); every address falls back to IM_WEBHOOK_URL.
    """

    channel = Channel.IM
    confirms_delivery = True
    max_batch = 1

    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None = None) -> None:
        self.default_url = settings.im_webhook_url
        self.branch_urls = dict(settings.im_branch_webhooks)
        self.group_urls = dict(settings.im_group_webhooks)
        self.compliance_url = settings.compliance_webhook
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(settings.im_timeout_s))

    @property
    def enabled(self) -> bool:
        return bool(self.default_url or self.branch_urls or self.group_urls or self.compliance_url)

    def url_for(self, address: str) -> str:
        for route in address.split("|"):
            if route.startswith("branch:"):
                url = self.branch_urls.get(route.removeprefix("branch:"), "")
            elif route.startswith("group:"):
                url = self.group_urls.get(route.removeprefix("group:"), "")
            elif route == "compliance":
                url = self.compliance_url
            else:
                url = ""
            if url:
                return url
        return self.default_url

    async def send(self, item: Outgoing) -> SendResult:
        url = self.url_for(item.addresses[0])
        if not url:
            return SendResult(SendOutcome.SUPPRESS, code="im_channel_off")
        try:
            response = await self._client.post(
                url, json={"msgtype": "text", "text": {"content": item.body}}
            )
        except httpx.HTTPError as exc:
            # No status query exists for IM: a timeout is retried (at least once, see README).
            log.warning("im webhook call failed", extra={"error": type(exc).__name__})
            return SendResult(SendOutcome.RETRY)
        status = response.status_code
        if status == 429 or status >= 500 or status == 408:
            return SendResult(SendOutcome.RETRY, http_status=status)
        if status >= 400:
            return SendResult(
                SendOutcome.PERMANENT_FAILURE, code=f"http_{status}", http_status=status
            )
        payload = json_of(response)
        errcode = payload.get("errcode") if isinstance(payload, dict) else None
        if errcode in (None, 0):
            return SendResult(SendOutcome.ACCEPTED, http_status=status)
        # 45009: the robot's rate limit; anything else is a refused message.
        outcome = SendOutcome.RETRY if errcode == 45009 else SendOutcome.PERMANENT_FAILURE
        return SendResult(outcome, code=f"im_{errcode}", http_status=status)

    async def aclose(self) -> None:
        await self._client.aclose()


class SmtpMailer:
    """E-mail through an SMTP relay (aiosmtplib): accepted by the relay counts as delivered."""

    channel = Channel.EMAIL
    confirms_delivery = True
    max_batch = 1

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return bool(self.settings.smtp_host)

    async def send(self, item: Outgoing) -> SendResult:
        s = self.settings
        if not s.smtp_host:
            return SendResult(SendOutcome.SUPPRESS, code="email_channel_off")
        mail = EmailMessage()
        mail["From"] = s.smtp_sender
        mail["To"] = item.addresses[0]
        mail["Subject"] = item.subject or "通知"
        mail["Message-ID"] = f"<{item.out_id}@notify-svc>"
        mail.set_content(item.body)
        try:
            await aiosmtplib.send(
                mail,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password,
                start_tls=s.smtp_start_tls,
                use_tls=s.smtp_use_tls,
                timeout=s.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused:
            return SendResult(SendOutcome.PERMANENT_FAILURE, code="smtp_recipient_refused")
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                return SendResult(SendOutcome.RETRY, code=f"smtp_{exc.code}")
            return SendResult(SendOutcome.PERMANENT_FAILURE, code=f"smtp_{exc.code}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            log.warning("smtp send failed", extra={"error": type(exc).__name__})
            return SendResult(SendOutcome.RETRY, code="smtp_unavailable")
        return SendResult(SendOutcome.ACCEPTED)

    async def aclose(self) -> None:
        return None


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def code_of(response: httpx.Response) -> str | None:
    payload = json_of(response)
    code = payload.get("code") if isinstance(payload, dict) else None
    return code if isinstance(code, str) else None
