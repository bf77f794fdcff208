"""API shapes of complaints and suggestions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common.events import NoNulText
from brokerage_common.params import BoundedDate

from .rules import Category, State

Id = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id | None = None  # the app: the caller; staff and call center: required
    branch_id: Id | None = None  # the call center names the branch
    category: Category
    description: Annotated[NoNulText, Field(min_length=1, max_length=2000)]
    owner_id: Id | None = None
    # Staff entering a complaint taken earlier (by letter, at the counter) give the day it
    # was received: the deadlines count from then. Never a future day; the app and the
    # call center always file today.
    received_on: BoundedDate | None = None


class ComplaintUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: State
    evaluation: Annotated[int, Field(ge=1, le=5, strict=True)] | None = None
    upheld: bool | None = None


class ComplaintRead(BaseModel):
    complaint_id: str
    customer_id: str
    branch_id: str
    group_id: str | None
    category: str
    intake: str
    description: str
    owner_id: str
    state: str
    received_on: date
    contact_due_on: date
    answer_due_on: date
    overdue: bool
    upheld: bool | None
    evaluation: int | None
    resolved_on: date | None
    created_at: datetime


class AnalysisRow(BaseModel):
    month: str
    branch_id: str
    category: str
    complaints: int
    upheld: int


class SuggestionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id | None = None
    text: Annotated[NoNulText, Field(min_length=1, max_length=2000)]


class SuggestionRead(BaseModel):
    suggestion_id: str
    customer_id: str
    branch_id: str
    text: str
    state: str
    adopted_on: date | None
