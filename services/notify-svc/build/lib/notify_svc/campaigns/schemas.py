"""API shapes of campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from brokerage_common.events import CustomerId

from ..schemas import (
    Code,
    Params,
    Text,
    in_range,
)


class Segment(BaseModel):
    """All consenting (marketing) or all customers (other categories) of one branch."""

    model_config = ConfigDict(extra="forbid")

    branch_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


class CampaignCreate(BaseModel):
    """A group message (群发) to listed customers or to a branch segment."""

    model_config = ConfigDict(extra="forbid")

    template_code: Code
    name: Annotated[Text, Field(max_length=200)] | None = None
    params: Params = {}
    customer_ids: Annotated[list[CustomerId], Field(min_length=1, max_length=10000)] | None = None
    segment: Segment | None = None
    send_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> CampaignCreate:
        if (self.customer_ids is None) == (self.segment is None):
            raise ValueError("give exactly one of customer_ids and segment")
        in_range(self.send_at, "send_at")
        return self


class CampaignRead(BaseModel):
    id: str
    name: str
    template_code: str
    category: str
    kind: str
    branch_id: str | None
    state: Literal["planned", "expanding", "expanded"]
    planned: int = Field(description="messages created so far")
    skipped: int = Field(description="listed customers not found (or not of the branch)")
    counts: dict[str, int] = Field(description="messages by state")
    created_at: datetime
    expanded_at: datetime | None
