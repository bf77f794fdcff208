"""API shapes of retention cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common.events import NoNulText

from .rules import Offer, Outcome, Reason


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["call", "offer", "outcome"]
    reason: Reason | None = None
    offer: Offer | None = None
    outcome: Outcome | None = None
    note: Annotated[NoNulText, Field(max_length=500)] = ""


class ActionRead(BaseModel):
    kind: str
    detail: str
    actor: str
    at: datetime


class CaseRead(BaseModel):
    case_id: str
    request_id: str
    customer_id: str
    branch_id: str | None
    group_id: str | None
    kind: str
    market: str
    stated_reason: str
    requested_at: datetime
    opened_at: datetime
    state: str
    first_call_due_at: datetime | None
    first_call_at: datetime | None
    trading_minutes_open: int | None = Field(
        description="trading minutes since the request (the SLA clock), until the first call"
    )
    first_call_overdue: bool
    reason: str | None
    offer: str | None
    outcome: str | None
    closed_at: datetime | None
    follow_up_on: date | None
    actions: list[ActionRead] = []
