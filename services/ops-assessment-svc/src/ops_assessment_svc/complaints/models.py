"""Complaints (投诉) and suggestions (合理化建议)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field

from ..db import Base


class Complaint(Base, table=True):
    __tablename__ = "complaint"

    complaint_id: str = Field(primary_key=True, max_length=40)
    customer_id: str = Field(max_length=32, index=True)
    branch_id: str = Field(max_length=32, index=True)
    group_id: str | None = Field(default=None, max_length=32, index=True)
    category: str = Field(max_length=24)
    intake: str = Field(max_length=16)
    description: str = Field(max_length=2000)
    owner_id: str = Field(max_length=64)
    state: str = Field(default="received", max_length=24, index=True)
    received_on: date
    contact_due_on: date
    answer_due_on: date
    upheld: bool | None = None
    evaluation: int | None = None
    resolved_on: date | None = None
    created_at: datetime
    updated_at: datetime


class Suggestion(Base, table=True):
    __tablename__ = "suggestion"

    suggestion_id: str = Field(primary_key=True, max_length=40)
    customer_id: str = Field(max_length=32, index=True)
    branch_id: str = Field(max_length=32, index=True)
    text: str = Field(max_length=2000)
    state: str = Field(default="received", max_length=16)
    adopted_on: date | None = None
    created_at: datetime
