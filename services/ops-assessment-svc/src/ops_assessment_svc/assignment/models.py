"""What assignment knows of customers, and who is with which group in which month."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Field

from ..db import MONEY, Base


class CustomerFile(Base, table=True):
    """A customer as far as assignment needs (from profile's and tiering's events).

    A row may exist before the customer is known (a tier or a referral first): ``branch_id``
    None until ``CustomerRegistered`` arrives, and such a customer is not assigned yet.
    """

    __tablename__ = "customer_file"

    customer_id: str = Field(primary_key=True, max_length=32)
    branch_id: str | None = Field(default=None, max_length=32, index=True)
    onsite: bool = True
    tier: str = Field(default="standard", max_length=16)
    referrer_id: str | None = Field(default=None, max_length=32)
    opened_on: date | None = None
    status: str = Field(default="active", max_length=24)
    group_id: str | None = Field(default=None, max_length=32, index=True)
    updated_at: datetime


class CustomerGroupMonth(Base, table=True):
    """Days a customer spent with a group in a month (pro rata), and the commission baseline.

    ``baseline_commission``: the customer's monthly average over the 3 months before they
    were assigned to this group (incremental commission's reference).
    """

    __tablename__ = "customer_group_month"

    month: str = Field(primary_key=True, max_length=7)
    group_id: str = Field(primary_key=True, max_length=32)
    customer_id: str = Field(primary_key=True, max_length=32, index=True)
    branch_id: str = Field(max_length=32, index=True)
    days: int
    baseline_commission: Decimal = Field(default=Decimal(0), sa_type=MONEY)
