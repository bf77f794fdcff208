"""tiering-svc (8002): a customer's tier, points balance and ledger."""

from __future__ import annotations

from typing import Any

from .base import ServiceClient


class TieringClient(ServiceClient):
    async def tier(self, customer_id: str, *, token: str) -> Any:
        return await self.get(f"/v1/customers/{customer_id}/tier", token=token)

    async def ledger(
        self, customer_id: str, *, token: str, limit: int = 20, before_id: int | None = None
    ) -> Any:
        return await self.get(
            f"/v1/customers/{customer_id}/points/ledger",
            token=token,
            params={"limit": limit, "before_id": before_id},
        )
