"""API shapes every profile-svc domain shares: the error body and the value types."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer

DecimalStr = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str)]
Identifier = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
StatusName = Literal["active", "transfer_requested", "transferred_out", "dormant"]
FamilyLifeCycleName = Literal[
    "single", "newly_married", "full_nest_1", "full_nest_2", "full_nest_3",
    "empty_nest_1", "empty_nest_2", "solitary_working", "solitary_retired",
]  # fmt: skip
StockTimeName = Literal["little", "moderate", "much"]
TradingRecordName = Literal["successful", "mixed", "unsuccessful"]


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorRead(BaseModel):
    """Every 4xx: ``detail`` is a message, or for 422 a list naming the offending fields."""

    detail: str | list[ErrorItem]
