"""advisory-svc (8003): products, a customer's offers and subscriptions, content, tracking.

Paths and bodies as the service's routers define them (``*/router.py``, ADR 0010).
"""

from __future__ import annotations

from typing import Any

from .base import ServiceClient


class AdvisoryClient(ServiceClient):
    async def products(self, *, token: str) -> Any:
        return await self.get("/v1/products", token=token)

    async def offers(self, customer_id: str, *, token: str) -> Any:
        return await self.get(f"/v1/customers/{customer_id}/offers", token=token)

    async def subscriptions(self, customer_id: str, *, token: str) -> Any:
        return await self.get(f"/v1/customers/{customer_id}/subscriptions", token=token)

    async def content(self, *, token: str, limit: int = 50) -> Any:
        return await self.get("/v1/content", token=token, params={"limit": limit})

    async def publish_content(self, *, token: str, body: dict[str, Any]) -> Any:
        """ContentCreate: kind, title, body, risk_level, security_code, market, pick."""
        return await self.post("/v1/content", token=token, json=body)

    async def performance(self, content_id: str, *, token: str) -> Any:
        """The pick's return and CSI 300's at 1, 5, 20 and 60 trading days (fractions)."""
        return await self.get(f"/v1/content/{content_id}/performance", token=token)
