"""Transfer-away API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common.events import BoundedDatetime, NoNulText

RequestId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class TransferRequestCreate(BaseModel):
    """A transfer-away request from the mobile app; give ``request_id`` to make retries safe."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    request_id: RequestId | None = Field(default=None, description="generated when absent")
    kind: Literal["custody_transfer", "designation_cancel"]
    market: Literal["SH", "SZ", "BJ"]
    reason: Annotated[NoNulText, Field(max_length=500)] = ""
    requested_at: BoundedDatetime | None = Field(default=None, description="defaults to now")


class TransferRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    request_id: str
    customer_id: str
    kind: str
    market: str
    reason: str
    channel: Literal["branch-counter", "mobile-app"]
    requested_at: datetime
    received_at: datetime
