"""API shapes of advisory agreements (the read model of advisory-svc's events)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class AgreementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    agreement_id: str
    customer_id: str
    agreement_no: str | None
    signed_on: date | None
    advice_from: date | None
    valid_until: date | None
    rescinded_on: date | None
    source: str
