"""profile-svc tables: customers, risk assessments, PII audit, CRM log, transfers, segments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Numeric, event
from sqlmodel import Field

from brokerage_common.db import service_base
from brokerage_common.tables import platform_tables

Base = service_base()
MONEY = Numeric(18, 2)
RATIO = Numeric(18, 4)
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Customer(Base, table=True):
    """A customer's file (客户档案). The ID number is sensitive: never logged, never published."""

    __tablename__ = "customer"

    customer_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=64)
    phone: str = Field(max_length=16, unique=True)
    id_number: str = Field(max_length=18)
    # HMAC-SHA256 of the ID number: uniqueness without comparing or indexing the number itself.
    id_number_hash: str = Field(max_length=64, unique=True)
    birth_date: date
    gender: str = Field(max_length=8)
    branch_id: str = Field(max_length=32, index=True)
    opened_on: date
    onsite: bool
    referrer_id: str | None = Field(default=None, max_length=32, foreign_key="customer.customer_id")
    preferred_channels: list[str] = Field(default_factory=lambda: ["sms"], sa_type=JSON)
    email: str | None = Field(default=None, max_length=254)
    status: str = Field(default="active", max_length=24)
    investor_category: str = Field(default="ordinary", max_length=16)
    family_life_cycle: str | None = Field(default=None, max_length=24)
    market_entry_year: int | None = None
    time_on_stocks: str | None = Field(default=None, max_length=16)
    past_success: str | None = Field(default=None, max_length=16)
    created_by: str = Field(max_length=64)
    created_at: datetime
    updated_at: datetime


class RiskAssessment(Base, table=True):
    """One completed questionnaire (风险承受能力评估); all are kept, the newest is current."""

    __tablename__ = "risk_assessment"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    assessment_id: str = Field(max_length=64, unique=True)
    customer_id: str = Field(max_length=32, foreign_key="customer.customer_id", index=True)
    answers: dict[str, Any] = Field(sa_type=JSON)
    age: int
    capacity_score: int
    capacity_level: str = Field(max_length=16)
    tolerance_score: int
    tolerance_level: str = Field(max_length=16)
    allocation_low: int
    allocation_mid: int
    allocation_high: int
    risk_level: str = Field(max_length=2)
    assessed_on: date
    valid_until: date
    assessed_by: str = Field(max_length=64)
    created_at: datetime


class PiiAccess(Base, table=True):
    """Append-only audit of each unmasked phone or ID number read: who, whom, what, when, why."""

    __tablename__ = "pii_access"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    customer_id: str = Field(max_length=32, foreign_key="customer.customer_id", index=True)
    actor: str = Field(max_length=64)
    actor_branch_id: str = Field(max_length=32)
    fields: str = Field(max_length=64)
    reason: str = Field(max_length=500)
    accessed_at: datetime


@event.listens_for(PiiAccess, "before_update")
@event.listens_for(PiiAccess, "before_delete")
def _audit_is_append_only(*_args: Any) -> None:
    raise RuntimeError("the PII access audit is append-only")


class Interaction(Base, table=True):
    """A service contact logged by staff (CRM 记录): who, when, channel, topic, outcome."""

    __tablename__ = "interaction"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    interaction_id: str = Field(max_length=64, unique=True)
    customer_id: str = Field(max_length=32, foreign_key="customer.customer_id", index=True)
    staff_id: str = Field(max_length=64)
    branch_id: str = Field(max_length=32)
    channel: str = Field(max_length=16)
    topic: str = Field(max_length=200)
    outcome: str = Field(max_length=1000)
    next_step: str | None = Field(default=None, max_length=500)
    occurred_at: datetime
    created_at: datetime


class TransferRequest(Base, table=True):
    """A transfer-away request (转托管 / 撤销指定) as received, once per request id.

    No foreign key to the customer: a request is recorded even for a customer this
    service does not know yet, rather than lost.
    """

    __tablename__ = "transfer_request"

    request_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=32, index=True)
    branch_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=24)
    market: str = Field(max_length=2)
    reason: str = Field(default="", max_length=500)
    channel: str = Field(max_length=16)
    requested_at: datetime
    received_at: datetime


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


PLATFORM = platform_tables(Base.metadata)
metadata = Base.metadata
