"""advisory-svc (8003), written against api.md: products, offers, subscriptions, content.

The service is being built beside the console; a 404 from it means "not deployed yet" and the
page shows the not-available panel. Response shapes are read loosely (lists of objects).
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

    async def content(self, *, token: str) -> Any:
        return await self.get("/v1/content", token=token)

    async def publish_content(self, *, token: str, body: dict[str, Any]) -> Any:
        return await self.post("/v1/content", token=token, json=body)

    async def performance(self, content_id: str, *, token: str) -> Any:
        return await self.get(f"/v1/content/{content_id}/performance", token=token)
