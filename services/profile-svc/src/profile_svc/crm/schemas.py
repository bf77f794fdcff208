"""CRM-log API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common.events import BoundedDatetime, NoNulText

InteractionChannel = Literal["call", "visit", "sms", "im", "email", "seminar"]


class InteractionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: InteractionChannel
    topic: Annotated[NoNulText, Field(min_length=1, max_length=200)]
    outcome: Annotated[NoNulText, Field(min_length=1, max_length=1000)]
    next_step: Annotated[NoNulText, Field(max_length=500)] | None = None
    occurred_at: BoundedDatetime


class InteractionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    interaction_id: str
    customer_id: str
    staff_id: str
    branch_id: str
    channel: InteractionChannel
    topic: str
    outcome: str
    next_step: str | None
    occurred_at: datetime
    created_at: datetime


class InteractionPage(BaseModel):
    customer_id: str
    limit: int
    offset: int
    items: list[InteractionRead]
