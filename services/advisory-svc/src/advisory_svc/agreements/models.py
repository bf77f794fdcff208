"""Signed advisory agreements (投资顾问协议), kept at least 20 years."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Field

from ..base import MONEY, Base


class AdvisoryAgreement(Base, table=True):
    __tablename__ = "advisory_agreement"

    agreement_id: str = Field(primary_key=True, max_length=64)
    agreement_no: str = Field(max_length=40, unique=True)
    customer_id: str = Field(max_length=32, index=True)
    branch_id: str = Field(max_length=32)
    risk_disclosure_version: str = Field(max_length=32)
    fee_paid: Decimal = Field(sa_type=MONEY)
    signed_on: date
    cooling_off_ends_on: date
    advice_from: date
    valid_until: date | None = None
    rescinded_on: date | None = None
    refund: Decimal | None = Field(default=None, sa_type=MONEY)
    signed_by: str = Field(max_length=64)
    created_at: datetime
