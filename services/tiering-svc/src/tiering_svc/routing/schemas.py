"""The routing answer's shape (api.md, call center)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ..tiers.schemas import TierName


class RoutingRead(BaseModel):
    customer_id: str | None
    tier: TierName | None
    queue: Literal["general", "dedicated"]
    priority: bool
