"""notify-svc API shapes: the provider's callbacks, templates, agreements, campaigns, reminders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from brokerage_common.events import CustomerId

ChannelName = Literal["sms", "im", "email"]
CategoryName = Literal["service", "marketing", "advisory", "staff_alert"]
StateName = Literal[
    "pending",
    "suppressed",
    "scheduled",
    "submitting",
    "accepted",
    "delivered",
    "undelivered",
    "failed",
    "unknown",
    "reconciled",
    "expired",
]


def _no_control_chars(value: str) -> str:
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValueError("control characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_no_control_chars)]
Code = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$", examples=["TIER_UP"])]
SecurityCode = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,16}$", examples=["732123"])]
Params = Annotated[
    dict[
        Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,31}$")],
        Annotated[Text, Field(max_length=200)],
    ],
    Field(max_length=20),
]
# Calendar data (exchange and holidays) covers these years: a date outside cannot be planned.
_EARLIEST, _LATEST = date(2000, 1, 1), date(2099, 12, 31)


def _in_range(value: date | datetime | None, name: str) -> None:
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not _EARLIEST <= day <= _LATEST:
        raise ValueError(f"{name} must be between {_EARLIEST} and {_LATEST}")


# --------------------------------------------------------------------------- provider callbacks


class DeliveryReportIn(BaseModel):
    """One delivery report (回执) as the provider posts it (spec sms-gateway.md)."""

    model_config = ConfigDict(extra="ignore")

    phone_number: Annotated[str, Field(max_length=32)]
    send_time: Annotated[str, Field(max_length=32)] | None = None
    report_time: Annotated[str, Field(max_length=32)] | None = None
    success: bool
    err_code: Annotated[str, Field(max_length=64)] | None = None
    err_msg: Annotated[str, Field(max_length=200)] | None = None
    sms_size: Annotated[str, Field(max_length=8)] | None = None
    biz_id: Annotated[str, Field(max_length=64)] | None = None
    out_id: Annotated[str, Field(min_length=1, max_length=255)]


class ReplyIn(BaseModel):
    """A customer's reply to an SMS (上行短信)."""

    model_config = ConfigDict(extra="ignore")

    phone_number: Annotated[str, Field(max_length=32)]
    content: Annotated[str, Field(max_length=500)]
    send_time: Annotated[str, Field(max_length=32)] | None = None
    sign_name: Annotated[str, Field(max_length=64)] | None = None


class ProviderAck(BaseModel):
    """The answer the provider waits for: anything else within ~700 ms makes it post again."""

    code: int = 0


# --------------------------------------------------------------------------- templates


class TemplateCreate(BaseModel):
    """A new version of a template; ``{name}``-style placeholders; 回T退订 and the risk
    disclosure are added to marketing and advisory texts when missing."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    channel: ChannelName
    category: CategoryName
    text: Annotated[Text, Field(min_length=1, max_length=1000)]
    subject: Annotated[Text, Field(max_length=200)] | None = None
    provider_template_code: (
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$", examples=["SMS_TIER_UP"])] | None
    ) = None
    activate: bool = True


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    version: int
    channel: str
    category: str
    text: str
    subject: str | None
    provider_template_code: str | None
    active: bool
    created_by: str
    created_at: datetime


# --------------------------------------------------------------------------- advisory agreements


class AgreementCreate(BaseModel):
    """A signed investment-advisory agreement (投资顾问协议)."""

    model_config = ConfigDict(extra="forbid")

    agreement_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    signed_on: date
    valid_until: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> AgreementCreate:
        _in_range(self.signed_on, "signed_on")
        _in_range(self.valid_until, "valid_until")
        if self.valid_until is not None and self.valid_until < self.signed_on:
            raise ValueError("valid_until is before signed_on")
        return self


class AgreementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    signed_on: date
    valid_until: date | None
    revoked_on: date | None
    recorded_by: str
    created_at: datetime


# --------------------------------------------------------------------------- campaigns


class Segment(BaseModel):
    """All consenting (marketing) or all customers (other categories) of one branch."""

    model_config = ConfigDict(extra="forbid")

    branch_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


class CampaignCreate(BaseModel):
    """A group message (群发) to listed customers or to a branch segment."""

    model_config = ConfigDict(extra="forbid")

    template_code: Code
    name: Annotated[Text, Field(max_length=200)] | None = None
    params: Params = {}
    customer_ids: Annotated[list[CustomerId], Field(min_length=1, max_length=10000)] | None = None
    segment: Segment | None = None
    send_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> CampaignCreate:
        if (self.customer_ids is None) == (self.segment is None):
            raise ValueError("give exactly one of customer_ids and segment")
        _in_range(self.send_at, "send_at")
        return self


class CampaignRead(BaseModel):
    id: str
    name: str
    template_code: str
    category: str
    kind: str
    branch_id: str | None
    state: Literal["planned", "expanding", "expanded"]
    planned: int = Field(description="messages created so far")
    skipped: int = Field(description="listed customers not found (or not of the branch)")
    counts: dict[str, int] = Field(description="messages by state")
    created_at: datetime
    expanded_at: datetime | None


# --------------------------------------------------------------------------- reminders


class ReminderCreate(BaseModel):
    """Reminders counted in trading days (XSHG): an IPO (subscription T, allotment T+2,
    listing) or a warrant's last exercise day (``days_before`` trading days ahead, and on it)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["ipo", "warrant_exercise"]
    customer_ids: Annotated[list[CustomerId], Field(min_length=1, max_length=200)]
    security_code: SecurityCode
    security_name: Annotated[Text, Field(min_length=1, max_length=40)]
    subscription_on: date | None = None
    listing_on: date | None = None
    last_exercise_on: date | None = None
    days_before: Annotated[int, Field(ge=0, le=20)] = 3

    @model_validator(mode="after")
    def _dates(self) -> ReminderCreate:
        for name in ("subscription_on", "listing_on", "last_exercise_on"):
            _in_range(getattr(self, name), name)
        return self


class ReminderStageRead(BaseModel):
    stage: str
    on: date
    template_code: str
    send_at: datetime | None = Field(description="null: the day has passed, nothing planned")
    planned: int


class ReminderRead(BaseModel):
    kind: str
    security_code: str
    stages: list[ReminderStageRead]


# --------------------------------------------------------------------------- messages


class MessageRead(BaseModel):
    id: str
    customer_id: str | None
    campaign_id: str | None
    channel: str
    category: str
    template_code: str
    template_version: int | None
    address: str = Field(description="masked: 138****1234")
    state: StateName
    reason: str | None
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    finished_at: datetime | None
