"""API shapes of subscriptions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common import NonNegativeMoney
from brokerage_common.events import NoNulText

ProductCodeIn = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Z0-9_]+$")]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_code: ProductCodeIn
    payment: Literal["cash", "points", "included"] = "cash"
    term_months: Annotated[int, Field(ge=1, le=12, strict=True)] = 1
    mismatch_confirmed: bool = False
    warning_version: Annotated[NoNulText, Field(min_length=1, max_length=32)] | None = None
    # Money is a decimal string: a JSON float is refused (it has already lost the fen).
    entrusted_amount: Annotated[NonNegativeMoney, Field(gt=0, le=Decimal("1e12"))] | None = None


class SubscriptionRenew(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term_months: Annotated[int, Field(ge=1, le=12, strict=True)] = 1
    mismatch_confirmed: bool = False
    warning_version: Annotated[NoNulText, Field(min_length=1, max_length=32)] | None = None


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subscription_id: str
    customer_id: str
    product_code: str
    payment: str
    status: str
    starts_on: date
    ends_on: date
    ended_on: date | None
    end_reason: str | None
    term_months: int
    commission_rate: Decimal | None
    base_rate: Decimal | None
    monthly_fee: Decimal | None
    annual_fee: Decimal | None
    entrusted_amount: Decimal | None
    cash_paid: Decimal
    points: Decimal | None
    included_with: str | None
    renewable: bool
