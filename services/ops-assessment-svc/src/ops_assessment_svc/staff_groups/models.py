"""Staff roster, service groups and membership history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column
from sqlmodel import Field

from ..db import Base, BigId


class Staff(Base, table=True):
    """A branch's staff member and their role (domain.md §5.1)."""

    __tablename__ = "staff"

    staff_id: str = Field(primary_key=True, max_length=32)
    branch_id: str = Field(max_length=32, index=True)
    name: str = Field(max_length=64)
    role: str = Field(max_length=24)
    updated_at: datetime


class ServiceGroup(Base, table=True):
    """A service group (客户服务小组); dissolved groups stay for history and assessments."""

    __tablename__ = "service_group"

    group_id: str = Field(primary_key=True, max_length=32)
    branch_id: str = Field(max_length=32, index=True)
    name: str = Field(max_length=64)
    state: str = Field(default="active", max_length=16)
    formed_on: date
    dissolved_on: date | None = None
    updated_at: datetime


class GroupMembership(Base, table=True):
    """Joining and leaving a group are history rows; ``left_on`` None = a current member."""

    __tablename__ = "group_membership"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    group_id: str = Field(max_length=32, index=True)
    staff_id: str = Field(max_length=32, index=True)
    role: str = Field(max_length=24)
    joined_on: date
    left_on: date | None = None
    reason: str = Field(default="", max_length=500)
    changed_by: str = Field(max_length=64)
