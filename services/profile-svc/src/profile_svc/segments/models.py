"""Segmentation tables: the settlement figures kept for the trailing window, and the result."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field

from ..tables import MONEY, RATIO, Base


class AssetSnapshot(Base, table=True):
    """End-of-day total assets per customer and day, kept for the trailing average."""

    __tablename__ = "asset_snapshot"

    customer_id: str = Field(primary_key=True, max_length=32)
    as_of: date = Field(primary_key=True)
    total_assets: Decimal = Field(sa_type=MONEY)


class SettledTrade(Base, table=True):
    """Traded amount and commission of a settled trade, kept for the trailing window."""

    __tablename__ = "settled_trade"
    __table_args__ = (Index("ix_settled_trade_customer_day", "customer_id", "trade_date"),)

    trade_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=32)
    trade_date: date
    amount: Decimal = Field(sa_type=MONEY)
    commission: Decimal = Field(sa_type=MONEY)


class CustomerSegment(Base, table=True):
    """A customer's value segment (客户细分) and the figures behind it, as of the latest event.

    No foreign key to the customer: settlement events may arrive before the customer's file.
    """

    __tablename__ = "customer_segment"
    # A value segment's list (GET /v1/segments/{segment}/customers) by assets or commission:
    # a page is read in index order (backwards for largest first) and stops at offset + limit
    # instead of sorting the whole segment.
    __table_args__ = (
        Index(
            "ix_customer_segment_by_assets",
            "value_segment",
            "total_assets",
            "customer_id",
        ),
        Index(
            "ix_customer_segment_by_commission",
            "value_segment",
            "commission",
            "customer_id",
        ),
    )

    customer_id: str = Field(primary_key=True, max_length=32)
    as_of: date
    total_assets: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    assets_as_of: date | None = None
    average_assets: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    traded_amount: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    commission: Decimal = Field(default=Decimal(0), sa_type=MONEY)
    turnover: Decimal | None = Field(default=None, sa_type=RATIO)
    asset_size: str = Field(max_length=8)
    turnover_class: str = Field(max_length=16)
    value_segment: str = Field(max_length=24, index=True)
    updated_at: datetime
