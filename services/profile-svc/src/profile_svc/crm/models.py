"""CRM table: the service contacts staff log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field

from ..tables import Base, BigId


class Interaction(Base, table=True):
    """A service contact logged by staff (CRM 记录): who, when, channel, topic, outcome."""

    __tablename__ = "interaction"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    interaction_id: str = Field(max_length=64, unique=True)
    customer_id: str = Field(max_length=32, foreign_key="customer.customer_id", index=True)
    staff_id: str = Field(max_length=64)
    branch_id: str = Field(max_length=32)
    channel: str = Field(max_length=16)
    topic: str = Field(max_length=200)
    outcome: str = Field(max_length=1000)
    next_step: str | None = Field(default=None, max_length=500)
    occurred_at: datetime
    created_at: datetime
