"""The event contract: the CloudEvents envelope and one frozen model per event type.

External events (TradeSettled, TradeCancelled, AssetSnapshotTaken,
CustomerTransferRequested, CommissionRateSet, ClosingPricePublished) are fixed by the
systems that produce them: their field names are not ours to change. Internal events
are ours; a new required field means a new version, named ``<Type>.v2``
(version 1 carries no suffix).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from . import topics
from .timeutil import now_cst
from .tracing import valid_traceparent


def _no_float(value: Any) -> Any:
    # A float has already lost the fen; the contract says money is a decimal string.
    if isinstance(value, float):
        raise ValueError("money must be a decimal string, not a float")
    return value


_FEN = Decimal("0.01")
MONEY_PATTERN = r"^-?\d{1,16}(\.\d{1,2})?$"


def _money_str(value: Decimal) -> str:
    # Always to the fen and never in exponent form: Decimal("38") -> "38.00", Decimal("1E+3")
    # -> "1000.00".
    return format(value.quantize(_FEN), "f")


def _decimal_str(value: Decimal) -> str:
    # str(Decimal("1E+3")) is "1E+3"; the contract wants a plain decimal string.
    return format(value, "f")


Money = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=2),
    BeforeValidator(_no_float),
    PlainSerializer(_money_str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["38.00"]}),
]
"""CNY amount to the fen, carried as a decimal string."""

NonNegativeMoney = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=2, ge=0),
    BeforeValidator(_no_float),
    PlainSerializer(_money_str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,16}(\.\d{1,2})?$", "examples": ["38.00"]}),
]

Price = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=4, ge=0),
    BeforeValidator(_no_float),
    PlainSerializer(_decimal_str, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{1,14}(\.\d{1,4})?$", "examples": ["1520.00"]}
    ),
]
Points = Money
Score = Money
"""A 0–100 score (or a weighted total) to the hundredth, as a decimal string."""


def refuse_nul(value: Any) -> Any:
    """``value`` unchanged, or ValueError if a NUL character is in it (or in a string inside
    a list or dict): PostgreSQL's text type refuses NUL, so a request or event carrying one
    would be a 500 there and pass on SQLite."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
    elif isinstance(value, list | tuple):
        for v in value:
            refuse_nul(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            refuse_nul(k)
            refuse_nul(v)
    return value


NoNulText = Annotated[str, AfterValidator(refuse_nul)]
"""Free text a service stores: any characters but NUL (request schemas adopt it)."""

EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2100, 1, 1, tzinfo=UTC)
"""Timestamps outside [2000, 2100) are a producer's bug (an epoch-zero default, a year
typed wrong), never a business fact: they are refused instead of stored."""


def check_time_bounds(value: datetime) -> datetime:
    """``value`` unchanged if it is in [EARLIEST_TIME, LATEST_TIME), else ValueError."""
    if not EARLIEST_TIME <= value < LATEST_TIME:
        raise ValueError(
            f"timestamp must be from {EARLIEST_TIME.year} to before {LATEST_TIME.year}"
        )
    return value


BoundedDatetime = Annotated[AwareDatetime, AfterValidator(check_time_bounds)]
"""An aware datetime in [2000-01-01, 2100-01-01) UTC: what every event timestamp is."""
CustomerId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Tier = Literal["standard", "silver", "gold", "platinum"]
Level = Literal["low", "mid_low", "mid", "mid_high", "high"]


class BaseEvent(BaseModel):
    """Base of every event payload: frozen, unknown fields ignored on read.

    Most events are about one customer (``Event``); the few keyed by something else (a
    security's closing price, a piece of content) derive from this class and say their key.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE: ClassVar[str]
    TOPIC: ClassVar[topics.Topic]
    EXTERNAL: ClassVar[bool] = False
    KEY_DOC: ClassVar[str] = "the customer id"

    @property
    def key(self) -> str:
        """Kafka key: what must stay in order on one partition."""
        raise NotImplementedError(f"{type(self).__name__} does not say its key")

    @property
    def subject(self) -> str:
        """The envelope's ``subject``: what the event is about, the key (events.md)."""
        return self.key


class Event(BaseEvent):
    """An event about one customer: key and subject are the customer id."""

    customer_id: CustomerId

    @model_validator(mode="after")
    def _refuse_nul(self) -> Event:
        # One check per model rather than a validator per field: events are built in bulk.
        for value in self.__dict__.values():
            if isinstance(value, str | list | dict):
                refuse_nul(value)
        return self

    @property
    def key(self) -> str:
        """Kafka key: the customer id, so one customer's events stay ordered."""
        return self.customer_id


D = TypeVar("D", bound=BaseEvent)


class Envelope(BaseModel, Generic[D]):
    """CloudEvents 1.0 structured-mode envelope."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: Annotated[str, Field(min_length=1, max_length=64)]
    type: Annotated[str, Field(min_length=1, max_length=100)]
    source: Annotated[str, Field(min_length=1, max_length=100)]
    time: BoundedDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    data: D
    # CloudEvents distributed-tracing extension (ADR 0019): the W3C trace context of the
    # request that caused the event. Optional, written only when there is one; a
    # malformed value is dropped, never a reason to refuse the event (events.md:
    # extension attributes are optional, unknown ones ignored).
    traceparent: Annotated[
        str | None,
        BeforeValidator(valid_traceparent),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                "description": "CloudEvents distributed-tracing extension: the W3C trace"
                " context of the request that caused the event (optional; a consumer"
                " ignores a malformed one)",
            }
        ),
    ] = Field(default=None, exclude_if=lambda v: v is None)

    @model_validator(mode="after")
    def _subject_is_the_customer(self) -> Envelope[D]:
        # A consumer applies the event to data.customer_id, while routing, auditing and
        # access checks may go by the subject: when they disagree, nobody can tell whose
        # event it is, so it is dead-lettered rather than applied.
        refuse_nul(self.id)
        refuse_nul(self.source)
        # The event's key is its customer id (events.md), or what a keyless-by-customer
        # event keys by instead (its ``key`` property).
        if self.subject is not None and self.subject != self.data.key:
            raise ValueError("envelope subject differs from data.customer_id (the event's key)")
        return self

    def to_json(self) -> bytes:
        # pydantic's serializer writes the same compact bytes orjson did from model_dump
        # (test_events checks it), without building the dict first.
        return self.model_dump_json().encode()


class RawEnvelope(BaseModel):
    """The envelope before its data is validated against the type's model."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"]
    id: Annotated[str, Field(min_length=1, max_length=64)]
    type: Annotated[str, Field(min_length=1, max_length=100)]
    source: Annotated[str, Field(min_length=1, max_length=100)]
    time: BoundedDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]


@cache
def envelope_model(data_model: type[BaseEvent]) -> Any:
    """``Envelope[data_model]``, built once per type (parametrizing a generic model is not free)."""
    return Envelope[data_model]  # type: ignore[valid-type]


def new_envelope(
    data: BaseEvent,
    *,
    source: str,
    event_id: str | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> Envelope[Any]:
    """Wrap a payload in an envelope with a fresh id; the subject is the event's
    (the customer id for every ``Event``); ``traceparent`` the W3C trace context to carry."""
    model: Any = envelope_model(type(data))
    return model(  # type: ignore[no-any-return]
        id=event_id or str(uuid.uuid4()),
        type=data.TYPE,
        source=source,
        time=time or now_cst(),
        subject=data.subject,
        data=data,
        traceparent=traceparent,
    )


# --------------------------------------------------------------------------- external (fixed)


class TradeSettled(Event):
    """A trade settled by the settlement system (成交结算)."""

    TYPE: ClassVar[str] = "TradeSettled"
    TOPIC: ClassVar[topics.Topic] = topics.TRADE_SETTLED
    EXTERNAL: ClassVar[bool] = True

    trade_id: Annotated[str, Field(min_length=1, max_length=64)]
    account_id: Annotated[str, Field(min_length=1, max_length=32)]
    market: Literal["SH", "SZ", "BJ"]
    security_code: Annotated[str, Field(min_length=1, max_length=16)]
    side: Literal["B", "S"]
    quantity: Annotated[int, Field(gt=0)]
    price: Price
    amount: NonNegativeMoney
    commission: NonNegativeMoney
    trade_date: date
    settled_on: date


class TradeCancelled(Event):
    """A settled trade cancelled or corrected (撤销/更正); same topic as the trade."""

    TYPE: ClassVar[str] = "TradeCancelled"
    TOPIC: ClassVar[topics.Topic] = topics.TRADE_SETTLED
    EXTERNAL: ClassVar[bool] = True

    trade_id: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Annotated[str, Field(max_length=500)] = ""


class AssetSnapshotTaken(Event):
    """End-of-day valuation of one customer (日终资产)."""

    TYPE: ClassVar[str] = "AssetSnapshotTaken"
    TOPIC: ClassVar[topics.Topic] = topics.ASSET_SNAPSHOTS
    EXTERNAL: ClassVar[bool] = True

    as_of: date
    total_assets: Money
    cash: Money
    securities_value: Money
    net_inflow: Money


class CustomerTransferRequested(Event):
    """A request to move custody (转托管, SZ) or cancel designated trading (撤销指定, SH)."""

    TYPE: ClassVar[str] = "CustomerTransferRequested"
    TOPIC: ClassVar[topics.Topic] = topics.TRANSFER_REQUESTED
    EXTERNAL: ClassVar[bool] = True

    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    kind: Literal["custody_transfer", "designation_cancel"]
    market: Literal["SH", "SZ", "BJ"]
    reason: Annotated[str, Field(max_length=500)] = ""
    requested_at: BoundedDatetime


SecurityCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9]+$")]
Rate = Annotated[
    Decimal,
    Field(max_digits=10, decimal_places=8, ge=0, le=Decimal("0.003")),
    BeforeValidator(_no_float),
    PlainSerializer(_decimal_str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^0(\.\d{1,8})?$", "examples": ["0.00025"]}),
]
"""A commission rate as a fraction of the traded amount ("0.00025" is 0.25‰); the legal
ceiling is 3‰, so anything above it is refused on read."""


class CommissionRateSet(Event):
    """The base commission rate the counter system agreed with a customer (现佣金)."""

    TYPE: ClassVar[str] = "CommissionRateSet"
    TOPIC: ClassVar[topics.Topic] = topics.COMMISSION_RATES
    EXTERNAL: ClassVar[bool] = True

    rate: Rate
    effective_from: date


class ClosingPricePublished(BaseEvent):
    """One security's or index's close for one trading day (收盘价); keyed by the security code."""

    TYPE: ClassVar[str] = "ClosingPricePublished"
    TOPIC: ClassVar[topics.Topic] = topics.CLOSING_PRICES
    EXTERNAL: ClassVar[bool] = True
    KEY_DOC: ClassVar[str] = "the security code"

    security_code: SecurityCode
    market: Literal["SH", "SZ", "BJ"]
    kind: Literal["stock", "index", "fund", "bond"] = "stock"
    trade_date: date
    close: Annotated[Price, Field(gt=0)]
    prev_close: Price | None = None

    @property
    def key(self) -> str:
        return self.security_code


# --------------------------------------------------------------------------- profile-svc


class CustomerRegistered(Event):
    """A new customer. Carries only what other services need: never the ID number."""

    TYPE: ClassVar[str] = "CustomerRegistered"
    TOPIC: ClassVar[topics.Topic] = topics.PROFILE_CUSTOMERS

    name: str
    phone: Annotated[str, Field(pattern=r"^1\d{10}$")]
    branch_id: str
    opened_on: date
    birth_month_day: Annotated[str, Field(pattern=r"^\d{2}-\d{2}$")]
    onsite: bool
    referrer_id: CustomerId | None = None
    preferred_channels: list[Literal["sms", "phone", "im", "email"]] = ["sms"]
    email: str | None = None
    status: Literal["active", "transfer_requested", "transferred_out", "dormant"] = "active"
    # Optional so events from before it was carried still read; absent means ordinary (普通投资者).
    investor_category: Literal["ordinary", "professional"] | None = None


class CustomerProfileUpdated(Event):
    """Changed contact facts of a customer; absent fields did not change."""

    TYPE: ClassVar[str] = "CustomerProfileUpdated"
    TOPIC: ClassVar[topics.Topic] = topics.PROFILE_CUSTOMERS

    phone: Annotated[str, Field(pattern=r"^1\d{10}$")] | None = None
    branch_id: str | None = None
    preferred_channels: list[Literal["sms", "phone", "im", "email"]] | None = None
    email: str | None = None
    marketing_consent: bool | None = None
    status: Literal["active", "transfer_requested", "transferred_out", "dormant"] | None = None
    investor_category: Literal["ordinary", "professional"] | None = None


class RiskProfileAssessed(Event):
    """A completed risk questionnaire (风险承受能力评估) with its C1–C5 result."""

    TYPE: ClassVar[str] = "RiskProfileAssessed"
    TOPIC: ClassVar[topics.Topic] = topics.PROFILE_CUSTOMERS

    assessment_id: str
    capacity_score: Annotated[int, Field(ge=0, le=100)]
    capacity_level: Level
    tolerance_score: Annotated[int, Field(ge=0, le=100)]
    tolerance_level: Level
    risk_level: Literal["C1", "C2", "C3", "C4", "C5"]
    assessed_on: date
    valid_until: date


class InteractionLogged(Event):
    """A staff contact with a customer recorded in the CRM log."""

    TYPE: ClassVar[str] = "InteractionLogged"
    TOPIC: ClassVar[topics.Topic] = topics.PROFILE_CUSTOMERS

    interaction_id: str
    staff_id: str
    branch_id: str
    channel: Literal["call", "visit", "sms", "im", "email", "seminar"]
    topic: str
    outcome: str
    occurred_at: BoundedDatetime


class TransferAwayRecorded(Event):
    """A transfer-away request recorded against the customer, for the retention side."""

    TYPE: ClassVar[str] = "TransferAwayRecorded"
    TOPIC: ClassVar[topics.Topic] = topics.PROFILE_CUSTOMERS

    request_id: str
    branch_id: str
    kind: Literal["custody_transfer", "designation_cancel"]
    market: Literal["SH", "SZ", "BJ"]
    reason: str = ""
    channel: Literal["branch-counter", "mobile-app"]
    requested_at: BoundedDatetime


# --------------------------------------------------------------------------- tiering-svc


class TierChanged(Event):
    """A customer's tier changed (升级/降级), with the reason."""

    TYPE: ClassVar[str] = "TierChanged"
    TOPIC: ClassVar[topics.Topic] = topics.TIERING_TIERS

    old_tier: Tier
    new_tier: Tier
    reason: str
    effective_on: date
    next_review: date | None = None


class PointsAwarded(Event):
    """Points credited (or reversed, when negative) in the ledger."""

    TYPE: ClassVar[str] = "PointsAwarded"
    TOPIC: ClassVar[topics.Topic] = topics.TIERING_POINTS

    entry_id: str
    points: Points
    reason: str
    source_ref: str


class PointsRedeemed(Event):
    """Points spent on a tier upgrade or on paid SMS months (for the product side)."""

    TYPE: ClassVar[str] = "PointsRedeemed"
    TOPIC: ClassVar[topics.Topic] = topics.TIERING_POINTS

    redemption_id: str
    points: Points
    kind: Literal["tier_upgrade", "sms_months"]
    target_tier: Tier | None = None
    sms_product: Literal["SMS1", "SMS2", "SMS3"] | None = None
    months: int | None = None
    valid_until: date | None = None


# --------------------------------------------------------------------------- advisory-svc


ProductCode = Literal["SMS1", "SMS2", "SMS3", "A", "B", "C", "D", "E"]
Payment = Literal["cash", "points", "included"]
RiskLevel = Literal["R1", "R2", "R3", "R4", "R5"]


class ProductSubscribed(Event):
    """A paid product started or renewed (订阅/续订), for the trading system's billing.

    ``commission_rate`` is the rate the trading system charges from ``starts_on`` (bundles
    A, B, C, E; null for SMS and D, which do not touch the rate); ``base_rate`` is X, the
    counter's rate it came from. ``monthly_fee`` is the cash fee per month (SMS, D's fee
    accrues monthly in arrears), ``points`` the points paid (points-paid SMS).
    """

    TYPE: ClassVar[str] = "ProductSubscribed"
    TOPIC: ClassVar[topics.Topic] = topics.ADVISORY_PRODUCTS

    subscription_id: str
    product_code: ProductCode
    starts_on: date
    ends_on: date
    term_months: Annotated[int, Field(ge=1, le=120)]
    payment: Payment
    renewal: bool = False
    commission_rate: Rate | None = None
    base_rate: Rate | None = None
    monthly_fee: NonNegativeMoney | None = None
    annual_fee_rate_note: str | None = None
    points: NonNegativeMoney | None = None
    included_with: str | None = None
    mismatch_confirmed: bool = False


class ProductUnsubscribed(Event):
    """A product ended (退订/到期/降级): the trading system goes back to ``commission_rate``
    (X) for a bundle; ``refund`` is paid back (a rescinded agreement's full refund)."""

    TYPE: ClassVar[str] = "ProductUnsubscribed"
    TOPIC: ClassVar[topics.Topic] = topics.ADVISORY_PRODUCTS

    subscription_id: str
    product_code: ProductCode
    ended_on: date
    reason: Literal["customer", "tier_drop", "bundle_ended", "rescinded", "expired"]
    commission_rate: Rate | None = None
    refund: NonNegativeMoney | None = None


class AdvisoryAgreementSigned(Event):
    """A signed investment-advisory agreement (投资顾问协议) with its risk disclosure (风险揭示书).

    Advice may be delivered to the customer from ``advice_from`` (the day after the
    5-working-day cooling-off) until ``valid_until`` (null: open-ended), unless an
    ``AdvisoryAgreementRescinded`` for the same ``agreement_id`` follows.
    """

    TYPE: ClassVar[str] = "AdvisoryAgreementSigned"
    TOPIC: ClassVar[topics.Topic] = topics.ADVISORY_PRODUCTS

    agreement_id: str
    agreement_no: str
    branch_id: str
    risk_disclosure_version: str
    signed_on: date
    cooling_off_ends_on: date
    advice_from: date
    valid_until: date | None = None


class AdvisoryAgreementRescinded(Event):
    """An agreement rescinded in its cooling-off (撤销, full refund) or terminated later:
    no advice from ``rescinded_on`` on."""

    TYPE: ClassVar[str] = "AdvisoryAgreementRescinded"
    TOPIC: ClassVar[topics.Topic] = topics.ADVISORY_PRODUCTS

    agreement_id: str
    rescinded_on: date
    in_cooling_off: bool
    refund: NonNegativeMoney


class ContentPublished(BaseEvent):
    """A piece of advisory content published, keyed by its id; its audience follows in
    ``ContentAudienceResolved`` chunks (``chunk_count`` of them, ``audience_size`` ids)."""

    TYPE: ClassVar[str] = "ContentPublished"
    TOPIC: ClassVar[topics.Topic] = topics.ADVISORY_CONTENT
    KEY_DOC: ClassVar[str] = "the content id"

    content_id: str
    kind: str
    title: str
    body: str
    risk_level: RiskLevel
    author_id: str
    branch_id: str
    advice: bool
    security_code: str | None = None
    published_at: AwareDatetime
    audience_size: Annotated[int, Field(ge=0)]
    chunk_count: Annotated[int, Field(ge=0)]

    @property
    def key(self) -> str:
        return self.content_id


class ContentAudienceResolved(BaseEvent):
    """One chunk of a content's audience: up to 5,000 customer ids, chunk ``chunk_no`` of
    ``chunk_count`` (numbered from 1). Keyed by the content id, so the chunks follow their
    ``ContentPublished`` in order on one partition."""

    TYPE: ClassVar[str] = "ContentAudienceResolved"
    TOPIC: ClassVar[topics.Topic] = topics.ADVISORY_CONTENT
    KEY_DOC: ClassVar[str] = "the content id"

    content_id: str
    chunk_no: Annotated[int, Field(ge=1)]
    chunk_count: Annotated[int, Field(ge=1)]
    customer_ids: Annotated[list[CustomerId], Field(max_length=5000)]

    @property
    def key(self) -> str:
        return self.content_id


# --------------------------------------------------------------------------- notify-svc


class NotificationRequested(Event):
    """The generic command other services use to send a customer or staff a message."""

    TYPE: ClassVar[str] = "NotificationRequested"
    TOPIC: ClassVar[topics.Topic] = topics.NOTIFY_COMMANDS

    template_code: str
    category: Literal["service", "marketing", "advisory", "staff_alert"]
    params: dict[str, str] = {}
    channel: Literal["sms", "im", "email"] | None = None


class NotificationDelivered(Event):
    TYPE: ClassVar[str] = "NotificationDelivered"
    TOPIC: ClassVar[topics.Topic] = topics.NOTIFY_OUTCOMES

    message_id: str
    channel: Literal["sms", "im", "email"]
    template_code: str
    delivered_at: BoundedDatetime


class NotificationFailed(Event):
    TYPE: ClassVar[str] = "NotificationFailed"
    TOPIC: ClassVar[topics.Topic] = topics.NOTIFY_OUTCOMES

    message_id: str
    channel: Literal["sms", "im", "email"]
    template_code: str
    reason: str


# --------------------------------------------------------------------------- ops-assessment-svc
# Events keyed by a group (ServiceGroupChanged, AssessmentPublished) carry the group id in
# customer_id's place, so one group's events stay ordered.

Month = Annotated[str, Field(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")]
"""A calendar month as ``YYYY-MM``."""
RetentionOutcome = Literal["retained", "partially_retained", "left"]
ComplaintCategory = Literal[
    "system_failure",
    "business_error",
    "data_leak",
    "cancellation_late",
    "staff_attitude",
    "other",
]


class GroupMember(BaseModel):
    """One staff member of a service group, with their role (domain.md §5.1)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    staff_id: str
    role: Literal["manager", "account_manager", "sales", "back_office", "adviser"]


class ServiceGroupChanged(Event):
    """A service group (客户服务小组) formed, changed members or was dissolved.

    Keyed by the group id. Carries the whole current membership and the group's alert
    channel, so a consumer (notify-svc's transfer alert) keeps its read model from this
    event alone.
    """

    TYPE: ClassVar[str] = "ServiceGroupChanged"
    TOPIC: ClassVar[topics.Topic] = topics.OPS_CASES

    group_id: str
    branch_id: str
    name: str
    state: Literal["active", "dissolved"]
    members: list[GroupMember]
    alert_channel: str
    changed_at: AwareDatetime
    reason: str = ""


class CustomerAssigned(Event):
    """A customer's service group for a month (``group_id`` None: back to the branch queue).

    Sent when the monthly assignment gives a customer a group or moves them (a dissolved
    group), effective from ``effective_on``; a sticky customer is not re-sent each month.
    """

    TYPE: ClassVar[str] = "CustomerAssigned"
    TOPIC: ClassVar[topics.Topic] = topics.OPS_CASES

    group_id: str | None
    branch_id: str
    month: Month
    effective_on: date
    previous_group_id: str | None = None


class RetentionCaseOpened(Event):
    """A retention case (挽留) for a transfer-away request; it never holds the transfer."""

    TYPE: ClassVar[str] = "RetentionCaseOpened"
    TOPIC: ClassVar[topics.Topic] = topics.OPS_CASES

    case_id: str
    request_id: str
    branch_id: str | None = None
    group_id: str | None = None
    alert_channel: str | None = None
    kind: Literal["custody_transfer", "designation_cancel"] | None = None
    opened_at: AwareDatetime | None = None
    first_call_due_at: AwareDatetime | None = None


class RetentionCaseClosed(Event):
    TYPE: ClassVar[str] = "RetentionCaseClosed"
    TOPIC: ClassVar[topics.Topic] = topics.OPS_CASES

    case_id: str
    outcome: RetentionOutcome
    request_id: str | None = None
    group_id: str | None = None
    closed_at: AwareDatetime | None = None
    follow_up_on: date | None = None


class ComplaintFiled(Event):
    TYPE: ClassVar[str] = "ComplaintFiled"
    TOPIC: ClassVar[topics.Topic] = topics.OPS_CASES

    complaint_id: str
    category: ComplaintCategory
    owner_id: str
    due_on: date
    branch_id: str | None = None
    group_id: str | None = None
    intake: Literal["staff", "app", "call_center"] | None = None
    contact_due_on: date | None = None


class ComplaintResolved(Event):
    TYPE: ClassVar[str] = "ComplaintResolved"
    TOPIC: ClassVar[topics.Topic] = topics.OPS_CASES

    complaint_id: str
    resolved_on: date
    state: Literal["closed", "escalated"] = "closed"
    upheld: bool = False
    evaluation: Annotated[int, Field(ge=1, le=5)] | None = None
    group_id: str | None = None


class SuggestionAdopted(Event):
    """A customer's suggestion (合理化建议) was adopted: its author earns bonus points."""

    TYPE: ClassVar[str] = "SuggestionAdopted"
    TOPIC: ClassVar[topics.Topic] = topics.OPS_CASES

    suggestion_id: str
    adopted_on: date
    branch_id: str | None = None


class AssessmentPublished(Event):
    """A group's monthly assessment (月度考核); keyed by the group id in customer_id's place.

    ``restatement`` counts how often the month was published again after late events
    changed it (0 = the first publication).
    """

    TYPE: ClassVar[str] = "AssessmentPublished"
    TOPIC: ClassVar[topics.Topic] = topics.OPS_CASES

    month: Month
    group_id: str
    rank: int
    branch_id: str | None = None
    groups_ranked: int | None = None
    total_score: Score | None = None
    mark: Literal["reward", "penalty"] | None = None
    phase: Literal["early", "steady", "kj"] | None = None
    restatement: int = 0


EVENT_TYPES: dict[str, type[BaseEvent]] = {
    cls.TYPE: cls
    for cls in (
        TradeSettled,
        TradeCancelled,
        AssetSnapshotTaken,
        CustomerTransferRequested,
        CommissionRateSet,
        ClosingPricePublished,
        CustomerRegistered,
        CustomerProfileUpdated,
        RiskProfileAssessed,
        InteractionLogged,
        TransferAwayRecorded,
        TierChanged,
        PointsAwarded,
        PointsRedeemed,
        ProductSubscribed,
        ProductUnsubscribed,
        AdvisoryAgreementSigned,
        AdvisoryAgreementRescinded,
        ContentPublished,
        ContentAudienceResolved,
        NotificationRequested,
        NotificationDelivered,
        NotificationFailed,
        RetentionCaseOpened,
        RetentionCaseClosed,
        ComplaintFiled,
        ComplaintResolved,
        SuggestionAdopted,
        ServiceGroupChanged,
        CustomerAssigned,
        AssessmentPublished,
    )
}


def parse_envelope(raw: bytes | str) -> Envelope[Any]:
    """Parse and validate a message value; raises ValueError (or ValidationError) with why."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise ValueError("envelope must be a JSON object")
    event_type = obj.get("type")
    model = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if model is None:
        raise UnknownEventType(str(event_type))
    return envelope_model(model).model_validate(obj)  # type: ignore[no-any-return]


class UnknownEventType(ValueError):
    """A type this platform has no model for (a consumer may skip it rather than dead-letter it)."""
