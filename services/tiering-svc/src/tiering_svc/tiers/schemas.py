"""Tier API shapes: the tier, its history, the policy, job results (money as decimal strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer

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


class JobResult(BaseModel):
    job: str
    on: date
    count: int | None
