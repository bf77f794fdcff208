"""API shapes of advisory content."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common.events import NoNulText
from brokerage_common.params import Name

from .rules import ContentKind, Recommendation, View


class ViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: View
    text: Annotated[NoNulText, Field(min_length=1, max_length=2000)]


class PickIn(BaseModel):
    """A stock recommendation: both views are required (seed 000)."""

    model_config = ConfigDict(extra="forbid")

    recommendation: Recommendation
    fundamental: ViewIn
    technical: ViewIn


class ContentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ContentKind
    title: Annotated[Name, Field(min_length=1, max_length=200)]
    body: Annotated[NoNulText, Field(min_length=1, max_length=20000)]
    risk_level: Literal["R1", "R2", "R3", "R4", "R5"]
    security_code: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,16}$")] | None = None
    market: Literal["SH", "SZ", "BJ"] | None = None
    pick: PickIn | None = None
    segment_tiers: (
        Annotated[
            list[Literal["standard", "silver", "gold", "platinum"]],
            Field(min_length=1, max_length=4),
        ]
        | None
    ) = None
    holders_only: bool = False


class ContentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    content_id: str
    kind: str
    title: str
    body: str
    risk_level: str
    author_id: str
    branch_id: str
    security_code: str | None
    market: str | None
    recommendation: str | None
    fundamental_view: str | None
    fundamental_text: str | None
    technical_view: str | None
    technical_text: str | None
    segment_tiers: list[str] | None
    holders_only: bool
    published_at: datetime
    published_on: date
    audience_size: int
    chunk_count: int
