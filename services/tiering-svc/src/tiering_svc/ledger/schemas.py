"""Ledger API shapes: entries, pages, redemptions, adjustments (points as decimal strings)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common import Money
from brokerage_common.events import NoNulText

from ..tiers.schemas import DecimalText


class LedgerEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    points: Money
    kind: str
    reason: str
    source_ref: str
    actor: str
    tier: str | None
    created_at: datetime


class LedgerPage(BaseModel):
    customer_id: str
    entries: list[LedgerEntryRead]
    next_before_id: int | None = Field(description="pass as before_id for the next (older) page")


class RedemptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["tier_upgrade", "sms_months"]
    target_tier: Literal["silver", "gold", "platinum"] | None = None
    sms_product: Literal["SMS1", "SMS2", "SMS3"] | None = None
    months: Annotated[int, Field(ge=1, le=36, strict=True)] | None = None


class RedemptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    kind: str
    target_tier: str | None
    sms_product: str | None
    months: int | None
    points: Money
    valid_until: date | None
    points_balance: Money | None = None


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: Annotated[Money, DecimalText]
    reason: Annotated[NoNulText, Field(min_length=5, max_length=400)]
