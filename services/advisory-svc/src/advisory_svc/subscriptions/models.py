"""Subscriptions to paid products and the suitability mismatch confirmations behind them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index
from sqlmodel import Field

from ..base import MONEY, RATE, Base, BigId


class Subscription(Base, table=True):
    """One product for one customer over a term (订阅). Kept after it ends."""

    __tablename__ = "subscription"

    subscription_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=32, index=True)
    product_code: str = Field(max_length=8)
    payment: str = Field(max_length=8)  # cash | points | included
    # active | ended | held (points paid, suitability not met: staff settle it)
    status: str = Field(default="active", max_length=8)
    starts_on: date
    ends_on: date
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=16)
    term_months: int
    commission_rate: Decimal | None = Field(default=None, sa_type=RATE)
    base_rate: Decimal | None = Field(default=None, sa_type=RATE)
    monthly_fee: Decimal | None = Field(default=None, sa_type=MONEY)
    annual_fee: Decimal | None = Field(default=None, sa_type=MONEY)
    entrusted_amount: Decimal | None = Field(default=None, sa_type=MONEY)
    cash_paid: Decimal = Field(default=Decimal("0.00"), sa_type=MONEY)
    points: Decimal | None = Field(default=None, sa_type=MONEY)
    included_with: str | None = Field(default=None, max_length=64)
    redemption_id: str | None = Field(default=None, max_length=64, unique=True)
    # False after a tier drop: the bundle runs out at its month end and is not renewed.
    renewable: bool = True
    drop_notice_on: date | None = None
    drop_notice_sent_at: datetime | None = None
    created_at: datetime

    __table_args__ = (
        Index("ix_subscription_product_status", "product_code", "status", "customer_id"),
    )


class MismatchConfirmation(Base, table=True):
    """A customer's confirmed suitability mismatch warning (适当性不匹配警示), kept ≥ 20 years."""

    __tablename__ = "mismatch_confirmation"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    customer_id: str = Field(max_length=32, index=True)
    subscription_id: str = Field(max_length=64)
    product_code: str = Field(max_length=8)
    product_risk: str = Field(max_length=2)
    customer_level: str = Field(max_length=2)
    warning_version: str = Field(max_length=32)
    confirmed_by: str = Field(max_length=64)
    confirmed_at: datetime
