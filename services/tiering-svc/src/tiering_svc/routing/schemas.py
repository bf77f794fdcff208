"""The routing answer's shape (api.md, call center)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..tiers.schemas import TierName


class RoutingRead(BaseModel):
    customer_id: str | None
    tier: TierName | None
    queue: Literal["general", "dedicated"]
    priority: bool
    group_id: str | None = Field(
        description="the service group (客户服务小组) of a gold or platinum caller; "
        "null for other tiers, unassigned and unknown callers"
    )
