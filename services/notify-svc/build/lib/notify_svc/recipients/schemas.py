"""API shape of a customer's reply to our SMS."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class ReplyIn(BaseModel):
    """A customer's reply to an SMS (上行短信)."""

    model_config = ConfigDict(extra="ignore")

    phone_number: Annotated[str, Field(max_length=32)]
    content: Annotated[str, Field(max_length=500)]
    send_time: Annotated[str, Field(max_length=32)] | None = None
    sign_name: Annotated[str, Field(max_length=64)] | None = None
