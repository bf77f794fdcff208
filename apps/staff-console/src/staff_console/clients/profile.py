"""profile-svc (8001): customer files, audited reveals, risk profile, segments, CRM timeline."""

from __future__ import annotations

from typing import Any

from .base import ServiceClient


class ProfileClient(ServiceClient):
    async def customer(
        self, customer_id: str, *, token: str, reveal_reason: str | None = None
    ) -> Any:
        params = {"reveal": "true", "reason": reveal_reason} if reveal_reason else None
        return await self.get(f"/v1/customers/{customer_id}", token=token, params=params)

    async def risk_profile(self, customer_id: str, *, token: str) -> Any:
        return await self.get(f"/v1/customers/{customer_id}/risk-profile", token=token)

    async def segments(self, customer_id: str, *, token: str) -> Any:
        return await self.get(f"/v1/customers/{customer_id}/segments", token=token)

    async def interactions(self, customer_id: str, *, token: str, limit: int = 20) -> Any:
        return await self.get(
            f"/v1/customers/{customer_id}/interactions", token=token, params={"limit": limit}
        )

    async def log_interaction(self, customer_id: str, *, token: str, body: dict[str, Any]) -> Any:
        return await self.post(f"/v1/customers/{customer_id}/interactions", token=token, json=body)

    async def segment_customers(
        self, segment: str, *, token: str, sort: str, limit: int, offset: int
    ) -> Any:
        """The branch's customers of one segment, sorted and paged on the server."""
        return await self.get(
            f"/v1/segments/{segment}/customers",
            token=token,
            params={"sort": sort, "order": "desc", "limit": limit, "offset": offset},
        )

    async def search_customers(
        self, *, token: str, terms: dict[str, str], limit: int, after: str | None = None
    ) -> Any:
        """The branch's customers matching a name prefix or a masked phone's digits, in
        customer-id order, keyset-paged (``next_after``)."""
        params: dict[str, str | int] = {**terms, "limit": limit}
        if after is not None:
            params["after"] = after
        return await self.get("/v1/customers", token=token, params=params)
