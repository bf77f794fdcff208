"""tiering-svc API shapes (money and points are decimal strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from brokerage_common import Money, NonNegativeMoney

# A plain decimal string, never exponent form (str(Decimal("1E+3")) is "1E+3").
DecimalStr = Annotated[Decimal, PlainSerializer(lambda d: format(d, "f"), return_type=str)]
TierName = Literal["standard", "silver", "gold", "platinum"]


class TierRead(BaseModel):
    customer_id: str
    tier: TierName
    multiplier: DecimalStr
    points_balance: Money
    tier_since: date
    next_review: date


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
    months: Annotated[int, Field(ge=1, le=36)] | None = None


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

    points: Money
    reason: Annotated[str, Field(min_length=5, max_length=400)]


class TierHistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    old_tier: str
    new_tier: str
    reason: str
    effective_on: date
    changed_at: datetime


PositiveMoney = NonNegativeMoney


class PolicyRead(BaseModel):
    silver_assets: Money
    silver_commission: Money
    gold_assets: Money
    gold_commission: Money
    platinum_assets: Money
    platinum_commission: Money
    bonus_referral: Money
    bonus_anniversary: Money
    bonus_suggestion: Money


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    silver_assets: PositiveMoney | None = None
    silver_commission: PositiveMoney | None = None
    gold_assets: PositiveMoney | None = None
    gold_commission: PositiveMoney | None = None
    platinum_assets: PositiveMoney | None = None
    platinum_commission: PositiveMoney | None = None
    bonus_referral: PositiveMoney | None = None
    bonus_anniversary: PositiveMoney | None = None
    bonus_suggestion: PositiveMoney | None = None


class RoutingRead(BaseModel):
    customer_id: str | None
    tier: TierName | None
    queue: Literal["general", "dedicated"]
    priority: bool


class JobResult(BaseModel):
    job: str
    on: date
    count: int | None
