"""Tier API shapes: the tier, its history, the policy, job results (money as decimal strings)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from brokerage_common import Money, NonNegativeMoney

_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,13}(\.[0-9]{1,2})?")


def _ascii_decimal_text(value: object) -> object:
    # Decimal() reads full-width and other Unicode digits ("１００" is 100) and pydantic takes
    # JSON numbers: a setting or an amount is written as ASCII digits in a string, or refused.
    if not isinstance(value, str) or not _DECIMAL_TEXT.fullmatch(value):
        raise ValueError('must be a decimal string of ASCII digits, e.g. "1200.00"')
    return value


DecimalText = BeforeValidator(_ascii_decimal_text)
"""Before ``Money``: the amount arrives as ``-?[0-9]{1,13}(.[0-9]{1,2})?`` text, nothing else."""

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


PositiveMoney = Annotated[NonNegativeMoney, DecimalText]


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


class TierMove(BaseModel):
    from_tier: TierName
    to_tier: TierName
    customers: int


class ConfigPreview(BaseModel):
    """What ``PUT /v1/config`` with the same body would do; nothing is changed."""

    policy: PolicyRead
    on: date
    customers: int
    upgraded: int
    downgraded: int
    moves: list[TierMove]


class JobResult(BaseModel):
    job: str
    on: date
    count: int | None
