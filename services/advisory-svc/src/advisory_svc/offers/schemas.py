"""API shapes of a customer's offers."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel


class PriceRead(BaseModel):
    commission_rate: Decimal | None = None
    monthly_fee: Decimal | None = None
    monthly_points: Decimal | None = None
    annual_fee: Decimal | None = None
    explanation: str


class OfferRead(BaseModel):
    product_code: str
    name: str
    risk_level: str
    offered: bool
    reasons: list[str]
    suitability: str
    warning: str | None = None
    needs_agreement: bool
    price: PriceRead


class OffersRead(BaseModel):
    customer_id: str
    tier: str
    risk_level: str | None
    professional: bool
    preference_type: str
    base_rate: Decimal
    offers: list[OfferRead]
