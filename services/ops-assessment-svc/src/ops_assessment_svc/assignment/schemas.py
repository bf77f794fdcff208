"""API shapes of the monthly assignment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ..staff_groups.schemas import MemberRead


class AssignmentRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date | None = None  # default: today (the first of the month in the monthly job)
    branch_id: str | None = None  # HQ names the branch


class AssignmentRead(BaseModel):
    branch_id: str
    month: str
    moves: dict[str, str | None]


class GroupCustomerRead(BaseModel):
    """One assigned customer and the month's figures behind the group's numbers."""

    customer_id: str
    tier: str | None
    onsite: bool | None
    days: int
    start_assets: Decimal
    end_assets: Decimal
    asset_growth: Decimal
    net_inflow: Decimal
    traded_amount: Decimal
    commission: Decimal
    contacts: int


class CustomerGroupRead(BaseModel):
    """A customer's current group, or ``group_id`` None: the branch queue serves them."""

    customer_id: str
    branch_id: str
    group_id: str | None
    name: str | None = None
    members: list[MemberRead] = []
    since_month: str | None = Field(
        default=None, description="YYYY-MM: the first month of their stay with this group"
    )
