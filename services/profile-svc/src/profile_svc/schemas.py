"""profile-svc API shapes (XCreate / XUpdate / XRead); money is a decimal string."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from . import rules

DecimalStr = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str)]
Identifier = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
RequestId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
LevelName = Literal["low", "mid_low", "mid", "mid_high", "high"]
RiskLevelName = Literal["C1", "C2", "C3", "C4", "C5"]
GenderName = Literal["male", "female"]
StatusName = Literal["active", "transfer_requested", "transferred_out", "dormant"]
ContactChannel = Literal["sms", "phone", "im", "email"]
InteractionChannel = Literal["call", "visit", "sms", "im", "email", "seminar"]
InvestorCategoryName = Literal["ordinary", "professional"]
FamilyLifeCycleName = Literal[
    "single", "newly_married", "full_nest_1", "full_nest_2", "full_nest_3",
    "empty_nest_1", "empty_nest_2", "solitary_working", "solitary_retired",
]  # fmt: skip
StockTimeName = Literal["little", "moderate", "much"]
TradingRecordName = Literal["successful", "mixed", "unsuccessful"]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
MarketEntryYear = Annotated[
    int, Field(ge=1990, le=2100, description="入市时间 (the SSE opened in 1990)")
]

# A name holds no digits: nothing that could be a phone or ID number rides along into events.
_NAME = re.compile(r"^[^\d\x00-\x1f\x7f]+$")


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorRead(BaseModel):
    """Every 4xx: ``detail`` is a message, or for 422 a list naming the offending fields."""

    detail: str | list[ErrorItem]


def _phone(value: str) -> str:
    return rules.normalize_mobile(value)


def _channels(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("at least one contact channel is required")
    if len(set(value)) != len(value):
        raise ValueError("contact channels must not repeat")
    return value


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError("a name may not contain digits or control characters")
    return value


# ----------------------------------------------------------------------------- customers


class CustomerCreate(BaseModel):
    """A new customer's file; ID number, birth date and gender are checked against each other."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_id: Identifier | None = Field(default=None, description="generated when absent")
    name: Annotated[str, Field(min_length=1, max_length=64)]
    phone: Annotated[
        str, Field(max_length=32, description="mainland mobile number, e.g. 13800001234")
    ]
    id_number: Annotated[
        str, Field(max_length=32, description="18-character resident ID (身份证号)")
    ]
    birth_date: date
    gender: GenderName
    branch_id: Identifier
    opened_on: date
    onsite: StrictBool
    referrer_id: Identifier | None = None
    preferred_channels: list[ContactChannel] = Field(default_factory=lambda: ["sms"])  # type: ignore[arg-type]
    email: Email | None = Field(default=None, validate_default=True)
    investor_category: InvestorCategoryName = "ordinary"
    market_entry_year: MarketEntryYear | None = None
    family_life_cycle: FamilyLifeCycleName | None = None
    time_on_stocks: StockTimeName | None = None
    past_success: TradingRecordName | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _name(value)

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        return _phone(value)

    @field_validator("preferred_channels")
    @classmethod
    def _check_channels(cls, value: list[str]) -> list[str]:
        return _channels(value)

    @field_validator("id_number")
    @classmethod
    def _check_id_number(cls, value: str) -> str:
        return rules.validate_id_number(value)

    @field_validator("birth_date")
    @classmethod
    def _birth_date_matches_id(cls, value: date, info: ValidationInfo) -> date:
        id_number = info.data.get("id_number")
        if id_number is not None and rules.birth_date_from_id(id_number) != value:
            raise ValueError("birth date does not match the ID number")
        return value

    @field_validator("gender")
    @classmethod
    def _gender_matches_id(cls, value: str, info: ValidationInfo) -> str:
        id_number = info.data.get("id_number")
        if id_number is not None and rules.gender_from_id(id_number).value != value:
            raise ValueError("gender does not match the ID number")
        return value

    @field_validator("opened_on")
    @classmethod
    def _opened_after_birth(cls, value: date, info: ValidationInfo) -> date:
        birth = info.data.get("birth_date")
        if birth is not None and value < birth:
            raise ValueError("the account cannot be opened before the birth date")
        return value

    @field_validator("email")
    @classmethod
    def _email_for_email_channel(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and "email" in (info.data.get("preferred_channels") or []):
            raise ValueError("an email address is required when email is a preferred channel")
        return value

    @field_validator("market_entry_year")
    @classmethod
    def _entry_after_birth(cls, value: int | None, info: ValidationInfo) -> int | None:
        birth = info.data.get("birth_date")
        if value is not None and birth is not None and value < birth.year:
            raise ValueError("market entry year is before the birth year")
        return value


_NOT_NULL = ("phone", "preferred_channels", "onsite", "investor_category", "status")


class CustomerUpdate(BaseModel):
    """Contact facts, segmentation fields and status; absent fields do not change.

    Name, ID number, birth date and branch are not editable here: they change
    through the identity and branch-transfer processes.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: Annotated[str, Field(max_length=32)] | None = None
    preferred_channels: list[ContactChannel] | None = None
    email: Email | None = None
    onsite: StrictBool | None = None
    investor_category: InvestorCategoryName | None = None
    status: Literal["active", "dormant", "transferred_out"] | None = Field(
        default=None, description="transfer_requested is set by a transfer request only"
    )
    family_life_cycle: FamilyLifeCycleName | None = None
    market_entry_year: MarketEntryYear | None = None
    time_on_stocks: StockTimeName | None = None
    past_success: TradingRecordName | None = None

    @field_validator(*_NOT_NULL, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str | None) -> str | None:
        return None if value is None else _phone(value)

    @field_validator("preferred_channels")
    @classmethod
    def _check_channels(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _channels(value)


class CustomerRead(BaseModel):
    """A customer's file. ``phone`` and ``id_number`` are masked unless ``masked`` is false."""

    customer_id: str
    name: str
    phone: str = Field(examples=["138****1234"])
    id_number: str = Field(examples=["110***********1234"])
    masked: bool
    birth_date: date
    gender: GenderName
    branch_id: str
    opened_on: date
    onsite: bool
    referrer_id: str | None
    preferred_channels: list[ContactChannel]
    email: str | None
    status: StatusName
    investor_category: InvestorCategoryName
    family_life_cycle: FamilyLifeCycleName | None
    market_entry_year: int | None
    time_on_stocks: StockTimeName | None
    past_success: TradingRecordName | None
    created_at: datetime
    updated_at: datetime


class PiiAccessRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    actor: str
    actor_branch_id: str
    fields: str
    reason: str
    accessed_at: datetime


# ----------------------------------------------------------------------------- risk assessment


Option = Annotated[StrictInt, Field(ge=1, le=5)]


class RiskAnswers(BaseModel):
    """Option 1-5 per item (1 = the 10-point answer … 5 = the 2-point answer), domain.md §1.1."""

    model_config = ConfigDict(extra="forbid")

    job: Option
    burden: Option
    assets: Option
    experience: Option
    knowledge: Option
    priority: Option
    stop_loss: Option
    if_loss: Option
    watching: Option
    results: Option
    max_loss_pct: Annotated[StrictInt, Field(ge=0, le=100)]


class RiskAssessmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: RiskAnswers


class ScoreRead(BaseModel):
    score: int
    level: LevelName


class AllocationRead(BaseModel):
    low: int
    mid: int
    high: int


class RiskAssessmentRead(BaseModel):
    """The questionnaire result of api.md, with the assessment's id."""

    capacity: ScoreRead
    tolerance: ScoreRead
    allocation: AllocationRead
    risk_level: RiskLevelName
    assessed_on: date
    valid_until: date
    assessment_id: str


class RiskAssessmentRecord(RiskAssessmentRead):
    """One assessment of the history, with its answers, the age used and who submitted it."""

    age: int
    answers: dict[str, int]
    assessed_by: str


class RiskProfileRead(BaseModel):
    """The current assessment: ``valid`` until its ``valid_until`` day inclusive."""

    customer_id: str
    status: Literal["valid", "expired", "missing"]
    valid: bool
    risk_level: RiskLevelName | None
    valid_until: date | None
    current: RiskAssessmentRead | None


# ----------------------------------------------------------------------------- segments


class ExperienceRead(BaseModel):
    market_entry_year: int | None
    years_in_market: int | None
    time_on_stocks: StockTimeName | None
    past_success: TradingRecordName | None


class CustomerSegmentsRead(BaseModel):
    """Every segmentation of one customer; value figures are null until settlement events arrive."""

    customer_id: str
    value_segment: str | None
    asset_size: str | None
    turnover_class: str | None
    total_assets: DecimalStr | None
    assets_as_of: date | None
    average_assets: DecimalStr | None
    traded_amount: DecimalStr | None = Field(description="traded in the trailing window")
    turnover: DecimalStr | None = Field(description="monthly turnover; null when undefined")
    contribution: DecimalStr | None = Field(description="commission in the trailing window")
    window_days: int
    figures_as_of: date | None
    age: int
    life_stage: str
    life_stage_focus: str
    family_life_cycle: FamilyLifeCycleName | None
    experience: ExperienceRead


class SegmentCustomerRead(BaseModel):
    customer_id: str
    name: str
    status: StatusName
    life_stage: str
    value_segment: str | None
    total_assets: DecimalStr
    contribution: DecimalStr
    turnover: DecimalStr | None


class SegmentPage(BaseModel):
    segment: str
    kind: Literal["value", "life_stage", "family_life_cycle"]
    branch_id: str
    total: int
    limit: int
    offset: int
    items: list[SegmentCustomerRead]


# ----------------------------------------------------------------------------- CRM interactions


class InteractionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: InteractionChannel
    topic: Annotated[str, Field(min_length=1, max_length=200)]
    outcome: Annotated[str, Field(min_length=1, max_length=1000)]
    next_step: Annotated[str, Field(max_length=500)] | None = None
    occurred_at: AwareDatetime


class InteractionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    interaction_id: str
    customer_id: str
    staff_id: str
    branch_id: str
    channel: InteractionChannel
    topic: str
    outcome: str
    next_step: str | None
    occurred_at: datetime
    created_at: datetime


class InteractionPage(BaseModel):
    customer_id: str
    limit: int
    offset: int
    items: list[InteractionRead]


# ----------------------------------------------------------------------------- transfer-away


class TransferRequestCreate(BaseModel):
    """A transfer-away request from the mobile app; give ``request_id`` to make retries safe."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    request_id: RequestId | None = Field(default=None, description="generated when absent")
    kind: Literal["custody_transfer", "designation_cancel"]
    market: Literal["SH", "SZ", "BJ"]
    reason: Annotated[str, Field(max_length=500)] = ""
    requested_at: AwareDatetime | None = Field(default=None, description="defaults to now")


class TransferRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    request_id: str
    customer_id: str
    kind: str
    market: str
    reason: str
    channel: Literal["branch-counter", "mobile-app"]
    requested_at: datetime
    received_at: datetime
