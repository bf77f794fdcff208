"""API shapes every profile-svc domain shares: the error body and the value types."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer

from brokerage_common.errors import ErrorResponse

DecimalStr = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str)]
Identifier = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
StatusName = Literal["active", "transfer_requested", "transferred_out", "dormant"]
FamilyLifeCycleName = Literal[
    "single", "newly_married", "full_nest_1", "full_nest_2", "full_nest_3",
    "empty_nest_1", "empty_nest_2", "solitary_working", "solitary_retired",
]  # fmt: skip
StockTimeName = Literal["little", "moderate", "much"]
TradingRecordName = Literal["successful", "mixed", "unsuccessful"]


# Every 4xx: the platform's one error shape, ``{"detail": ..., "code": ...}`` (ADR 0021).
ErrorRead = ErrorResponse
