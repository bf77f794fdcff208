"""Risk-questionnaire table: every completed assessment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from ..tables import Base, BigId


class RiskAssessment(Base, table=True):
    """One completed questionnaire (风险承受能力评估); all are kept, the newest is current."""

    __tablename__ = "risk_assessment"

    id: int | None = Field(
        default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True)
    )
    assessment_id: str = Field(max_length=64, unique=True)
    customer_id: str = Field(max_length=32, foreign_key="customer.customer_id", index=True)
    answers: dict[str, Any] = Field(sa_type=JSON)
    age: int
    capacity_score: int
    capacity_level: str = Field(max_length=16)
    tolerance_score: int
    tolerance_level: str = Field(max_length=16)
    allocation_low: int
    allocation_mid: int
    allocation_high: int
    risk_level: str = Field(max_length=2)
    assessed_on: date
    valid_until: date
    assessed_by: str = Field(max_length=64)
    created_at: datetime
