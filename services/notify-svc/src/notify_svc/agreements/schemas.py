"""API shapes of advisory agreements."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..schemas import (
    in_range,
)


class AgreementCreate(BaseModel):
    """A signed investment-advisory agreement (投资顾问协议)."""

    model_config = ConfigDict(extra="forbid")

    agreement_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    signed_on: date
    valid_until: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> AgreementCreate:
        in_range(self.signed_on, "signed_on")
        in_range(self.valid_until, "valid_until")
        if self.valid_until is not None and self.valid_until < self.signed_on:
            raise ValueError("valid_until is before signed_on")
        return self


class AgreementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    signed_on: date
    valid_until: date | None
    revoked_on: date | None
    recorded_by: str
    created_at: datetime
