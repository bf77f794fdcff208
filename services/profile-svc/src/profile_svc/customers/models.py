"""Customer-file tables: the customer and the append-only audit of unmasked reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, event
from sqlmodel import Field

from ..tables import Base, BigId


class Customer(Base, table=True):
    """A customer's file (客户档案). The ID number is sensitive: never logged, never published."""

    __tablename__ = "customer"
    # The branch list (GET /v1/customers) pages by customer id and searches by name prefix or
    # by the visible digits of a masked phone, always inside one branch. text_pattern_ops lets
    # PostgreSQL use the b-tree for `name LIKE '张%'` under any collation (ADR 0018).
    __table_args__ = (
        Index("ix_customer_branch_customer", "branch_id", "customer_id"),
        Index(
            "ix_customer_branch_name",
            "branch_id",
            "name",
            postgresql_ops={"name": "text_pattern_ops"},
        ),
        Index("ix_customer_branch_phone_last4", "branch_id", "phone_last4"),
    )

    customer_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=64)
    phone: str = Field(max_length=16, unique=True)
    # Kept with the phone (register, update): the masked form shows it, so staff search by it.
    phone_last4: str = Field(max_length=4)
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
