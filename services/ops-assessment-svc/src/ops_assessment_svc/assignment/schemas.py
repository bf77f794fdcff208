"""API shapes of the monthly assignment."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common.params import ID_PATTERN, BoundedDate

from ..staff_groups.schemas import MemberRead


class AssignmentRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: BoundedDate | None = None  # default: today (the first of the month in the monthly job)
    # HQ names the branch
    branch_id: Annotated[str, Field(min_length=1, max_length=32, pattern=ID_PATTERN)] | None = None


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
