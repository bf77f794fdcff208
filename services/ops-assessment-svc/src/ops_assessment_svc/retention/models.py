"""Retention cases (挽留) and the actions taken on them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column
from sqlmodel import Field

from ..db import Base, BigId


class RetentionCase(Base, table=True):
    """One transfer-away request's retention case; ``request_id`` dedupes counter and app."""

    __tablename__ = "retention_case"

    case_id: str = Field(primary_key=True, max_length=40)
    request_id: str = Field(max_length=64, unique=True)
    customer_id: str = Field(max_length=32, index=True)
    branch_id: str | None = Field(default=None, max_length=32, index=True)
    group_id: str | None = Field(default=None, max_length=32, index=True)
    kind: str = Field(max_length=24)
    market: str = Field(max_length=4)
    stated_reason: str = Field(default="", max_length=500)
    requested_at: datetime
    opened_at: datetime
    first_call_due_at: datetime | None = None
    first_call_at: datetime | None = None
    state: str = Field(default="open", max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=24)
    offer: str | None = Field(default=None, max_length=32)
    outcome: str | None = Field(default=None, max_length=24)
    closed_at: datetime | None = None
    follow_up_on: date | None = None


class RetentionAction(Base, table=True):
    __tablename__ = "retention_action"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    case_id: str = Field(max_length=40, index=True)
    kind: str = Field(max_length=16)  # call, offer, outcome
    detail: str = Field(default="", max_length=500)
    actor: str = Field(max_length=64)
    at: datetime
