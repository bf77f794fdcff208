"""Customer-file API shapes (XCreate / XUpdate / XRead)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from ..schemas import (
    FamilyLifeCycleName,
    Identifier,
    StatusName,
    StockTimeName,
    TradingRecordName,
)
from . import rules

GenderName = Literal["male", "female"]
ContactChannel = Literal["sms", "phone", "im", "email"]
InvestorCategoryName = Literal["ordinary", "professional"]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
MarketEntryYear = Annotated[
    int, Field(ge=1990, le=2100, description="入市时间 (the SSE opened in 1990)")
]

# A name holds no digits: nothing that could be a phone or ID number rides along into events.
# Nor bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and its kin): they make a name
# display as another in the console and in SMS (issue 16).
_NAME = re.compile(r"^[^\d\x00-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+$")


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
        raise ValueError("a name may not contain digits, control or bidirectional characters")
    return value


def _default_channels() -> list[ContactChannel]:
    return ["sms"]


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
    preferred_channels: list[ContactChannel] = Field(default_factory=_default_channels)
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


class CustomerListItem(BaseModel):
    """One line of a branch's customer list: masked numbers, as ``GET /v1/customers/{id}``."""

    customer_id: str
    name: str
    phone: str = Field(examples=["138****1234"])
    id_number: str = Field(examples=["110***********1234"])
    branch_id: str
    status: StatusName
    opened_on: date
    value_segment: str | None = Field(description="null until settlement data has arrived")


class CustomerPage(BaseModel):
    """A page of customers in customer-id order; pass ``next_after`` as ``after`` for the next."""

    items: list[CustomerListItem]
    next_after: str | None = Field(description="null on the last page")
