"""API shapes of templates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..schemas import (
    CategoryName,
    ChannelName,
    Code,
    Text,
)


class TemplateCreate(BaseModel):
    """A new version of a template; ``{name}``-style placeholders; 回T退订 and the risk
    disclosure are added to marketing and advisory texts when missing."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    channel: ChannelName
    category: CategoryName
    text: Annotated[Text, Field(min_length=1, max_length=1000)]
    subject: Annotated[Text, Field(max_length=200)] | None = None
    provider_template_code: (
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$", examples=["SMS_TIER_UP"])] | None
    ) = None
    activate: bool = True


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    version: int
    channel: str
    category: str
    text: str
    subject: str | None
    provider_template_code: str | None
    active: bool
    created_by: str
    created_at: datetime
