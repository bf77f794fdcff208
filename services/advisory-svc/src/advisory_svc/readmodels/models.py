"""Read models kept from other services' and external events (never by calling them)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field

from ..base import PRICE, RATE, Base


class CustomerFact(Base, table=True):
    """One customer as advisory sees them: branch, tier, C-level, category, base rate X.

    A row may exist before the customer is registered (a ``CommissionRateSet`` that came
    first): ``registered`` stays false, and such a customer has no offers yet.
    """

    __tablename__ = "customer_fact"

    customer_id: str = Field(primary_key=True, max_length=32)
    registered: bool = False
    branch_id: str | None = Field(default=None, max_length=32)
    tier: str = Field(default="standard", max_length=16)
    risk_level: str | None = Field(default=None, max_length=2)
    risk_assessed_on: date | None = None
    risk_valid_until: date | None = None
    investor_category: str = Field(default="ordinary", max_length=16)
    base_rate: Decimal | None = Field(default=None, sa_type=RATE)
    rate_effective_from: date | None = None
    updated_at: datetime

    __table_args__ = (Index("ix_customer_fact_branch_tier", "branch_id", "tier"),)


class HoldingTrade(Base, table=True):
    """A settled trade's effect on a holding, so its cancellation can be reversed once."""

    __tablename__ = "holding_trade"

    trade_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=32)
    security_code: str = Field(max_length=16)
    signed_quantity: int = Field(sa_column=Column(BigInteger, nullable=False))
    cancelled: bool = False


class Holding(Base, table=True):
    """Shares held per customer and security: buys minus sells (a read model, not a ledger)."""

    __tablename__ = "holding"

    customer_id: str = Field(primary_key=True, max_length=32)
    security_code: str = Field(primary_key=True, max_length=16)
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))

    __table_args__ = (Index("ix_holding_security", "security_code", "customer_id"),)


class ClosingPrice(Base, table=True):
    """One security's or index's close on one trading day (ClosingPricePublished)."""

    __tablename__ = "closing_price"

    security_code: str = Field(primary_key=True, max_length=16)
    trade_date: date = Field(primary_key=True)
    market: str = Field(max_length=2)
    kind: str = Field(max_length=8)
    close: Decimal = Field(sa_type=PRICE)
