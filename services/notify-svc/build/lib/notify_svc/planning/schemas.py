"""API shape of a message."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ..schemas import (
    StateName,
)


class MessageRead(BaseModel):
    id: str
    customer_id: str | None
    campaign_id: str | None
    channel: str
    category: str
    template_code: str
    template_version: int | None
    address: str = Field(description="masked: 138****1234")
    state: StateName
    reason: str | None
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    finished_at: datetime | None
