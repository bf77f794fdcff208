"""API shapes of staff and service groups."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common.events import NoNulText
from brokerage_common.params import BoundedDate, Name

from .rules import StaffRole

Id = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


class StaffPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name, Field(min_length=1, max_length=64)]
    role: StaffRole
    branch_id: Id | None = None  # HQ names the branch; a branch manager's own otherwise


class StaffRead(BaseModel):
    staff_id: str
    branch_id: str
    name: str
    role: str


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: Id | None = None
    name: Annotated[Name, Field(min_length=1, max_length=64)]
    members: Annotated[list[Id], Field(max_length=10)]
    branch_id: Id | None = None
    # A group that already works together is recorded with the day it formed (its phase
    # counts from then); never a future day.
    formed_on: BoundedDate | None = None


class MembersPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: Annotated[list[Id], Field(max_length=10)]
    reason: Annotated[NoNulText, Field(min_length=1, max_length=500)]


class DissolveCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[NoNulText, Field(min_length=1, max_length=500)]


class MemberRead(BaseModel):
    staff_id: str
    role: str
    joined_on: date
    left_on: date | None = None
    reason: str = ""


class GroupRead(BaseModel):
    group_id: str
    branch_id: str
    name: str
    state: str
    formed_on: date
    dissolved_on: date | None = None
    alert_channel: str
    members: list[MemberRead]
    customers: int
