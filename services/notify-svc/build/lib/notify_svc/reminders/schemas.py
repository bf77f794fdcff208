"""API shapes of reminders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from brokerage_common.events import CustomerId

from ..schemas import (
    SecurityCode,
    Text,
    in_range,
)


class ReminderCreate(BaseModel):
    """Reminders counted in trading days (XSHG): an IPO (subscription T, allotment T+2,
    listing) or a warrant's last exercise day (``days_before`` trading days ahead, and on it)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["ipo", "warrant_exercise"]
    customer_ids: Annotated[list[CustomerId], Field(min_length=1, max_length=200)]
    security_code: SecurityCode
    security_name: Annotated[Text, Field(min_length=1, max_length=40)]
    subscription_on: date | None = None
    listing_on: date | None = None
    last_exercise_on: date | None = None
    days_before: Annotated[int, Field(ge=0, le=20)] = 3

    @model_validator(mode="after")
    def _dates(self) -> ReminderCreate:
        for name in ("subscription_on", "listing_on", "last_exercise_on"):
            in_range(getattr(self, name), name)
        return self


class ReminderStageRead(BaseModel):
    stage: str
    on: date
    template_code: str
    send_at: datetime | None = Field(description="null: the day has passed, nothing planned")
    planned: int


class ReminderRead(BaseModel):
    kind: str
    security_code: str
    stages: list[ReminderStageRead]
