"""Transfer-away table: each request once, by its request id."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from ..tables import Base


class TransferRequest(Base, table=True):
    """A transfer-away request (转托管 / 撤销指定) as received, once per request id.

    No foreign key to the customer: a request is recorded even for a customer this
    service does not know yet, rather than lost.
    """

    __tablename__ = "transfer_request"

    request_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=32, index=True)
    branch_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=24)
    market: str = Field(max_length=2)
    reason: str = Field(default="", max_length=500)
    channel: str = Field(max_length=16)
    requested_at: datetime
    received_at: datetime
