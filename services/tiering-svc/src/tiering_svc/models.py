"""tiering-svc tables: tier state, the append-only points ledger, balances, history, redemptions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Column, Integer, Numeric, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from brokerage_common.db import service_base
from brokerage_common.tables import platform_tables

if TYPE_CHECKING:
    # A base made by a call is not a type to mypy; it is a SQLModel with its own metadata.
    Base = SQLModel
else:
    Base = service_base()
POINTS = Numeric(18, 2)
BigId = BigInteger().with_variant(Integer(), "sqlite")


class CustomerTier(Base, table=True):
    """One row per customer: the tier in force and what it is computed from."""

    __tablename__ = "customer_tier"

    customer_id: str = Field(primary_key=True, max_length=32)
    tier: str = Field(default="standard", max_length=16)
    tier_since: date
    bought_tier: str | None = Field(default=None, max_length=16)
    bought_until: date | None = None
    total_assets: Decimal = Field(default=Decimal(0), sa_type=POINTS)
    assets_as_of: date | None = None
    phone: str | None = Field(default=None, max_length=16, index=True)
    branch_id: str | None = Field(default=None, max_length=32)
    opened_on: date | None = None
    # The service group (客户服务小组) ops-assessment-svc assigned for ``group_month``
    # (YYYY-MM); routing answers it for gold and platinum callers.
    group_id: str | None = Field(default=None, max_length=64)
    group_month: str | None = Field(default=None, max_length=7)
    updated_at: datetime


class CustomerMonth(Base, table=True):
    """Per customer and month (YYYY-MM): the commission, and the points booked to it.

    The trailing-12-month commission reads 12 rows; the spendable balance is the sum of
    ``points`` over all of a customer's months. A trade and its reversal are booked to
    the trade's settlement month, every other ledger entry to the month (China time)
    it was made. Both move with the ledger in the same transaction, and a settlement
    batch writes one row per customer and month, not one per table.
    """

    __tablename__ = "customer_month"

    customer_id: str = Field(primary_key=True, max_length=32)
    month: str = Field(primary_key=True, max_length=7)
    commission: Decimal = Field(default=Decimal(0), sa_type=POINTS)
    points: Decimal = Field(default=Decimal(0), sa_type=POINTS)


class PointsEntry(Base, table=True):
    """An append-only ledger entry (积分流水). ``business_key`` makes every award happen once."""

    __tablename__ = "points_entry"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    customer_id: str = Field(max_length=32, index=True)
    points: Decimal = Field(sa_type=POINTS)
    kind: str = Field(
        max_length=24
    )  # trade, reversal, referral, anniversary, suggestion, redemption, adjustment
    business_key: str = Field(max_length=120, unique=True)
    source_ref: str = Field(max_length=120)
    reason: str = Field(max_length=500)
    actor: str = Field(max_length=64)
    tier: str | None = Field(default=None, max_length=16)
    commission: Decimal | None = Field(default=None, sa_type=POINTS)
    settled_on: date | None = None
    created_at: datetime


class TierHistory(Base, table=True):
    __tablename__ = "tier_history"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    customer_id: str = Field(max_length=32, index=True)
    old_tier: str = Field(max_length=16)
    new_tier: str = Field(max_length=16)
    reason: str = Field(max_length=200)
    changed_at: datetime
    effective_on: date


class Redemption(Base, table=True):
    __tablename__ = "redemption"
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key"),)

    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=16)
    target_tier: str | None = Field(default=None, max_length=16)
    sms_product: str | None = Field(default=None, max_length=8)
    months: int | None = None
    points: Decimal = Field(sa_type=POINTS)
    valid_until: date | None = None
    idempotency_key: str | None = Field(default=None, max_length=100)
    actor: str = Field(max_length=64)
    created_at: datetime


class ConfigValue(Base, table=True):
    """Run-time configuration (thresholds, bonuses) set by staff, audited by ``updated_by``."""

    __tablename__ = "config_value"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=64)
    updated_by: str = Field(max_length=64)
    updated_at: datetime


class TierReview(Base, table=True):
    """Which periodic reviews (by month) have run, so the job is idempotent."""

    __tablename__ = "tier_review"

    month: str = Field(primary_key=True, max_length=7)
    ran_at: datetime
    downgraded: int = 0


PLATFORM = platform_tables(Base.metadata)
metadata = Base.metadata

# The tables, for Core statements and set-based writes (typed, unlike ``Model.__table__``).
CUSTOMER_TIER: Table = metadata.tables["customer_tier"]
CUSTOMER_MONTH: Table = metadata.tables["customer_month"]
POINTS_ENTRY: Table = metadata.tables["points_entry"]
TIER_HISTORY: Table = metadata.tables["tier_history"]
REDEMPTION: Table = metadata.tables["redemption"]
CONFIG_VALUE: Table = metadata.tables["config_value"]
