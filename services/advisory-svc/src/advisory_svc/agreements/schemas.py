"""API shapes of advisory agreements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from brokerage_common import NonNegativeMoney
from brokerage_common.events import NoNulText
from brokerage_common.params import BoundedDate


class AgreementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    risk_disclosure_version: Annotated[NoNulText, Field(min_length=1, max_length=32)] | None = None
    # Money is a decimal string: a JSON float is refused (it has already lost the fen).
    fee_paid: Annotated[NonNegativeMoney, Field(le=Decimal("1e9"))] = Decimal("0.00")
    valid_until: BoundedDate | None = None


class AgreementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    agreement_id: str
    agreement_no: str
    customer_id: str
    branch_id: str
    risk_disclosure_version: str
    fee_paid: Decimal
    signed_on: date
    cooling_off_ends_on: date
    advice_from: date
    valid_until: date | None
    rescinded_on: date | None
    refund: Decimal | None
    signed_by: str
