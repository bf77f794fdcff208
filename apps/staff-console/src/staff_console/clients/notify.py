"""notify-svc (8004): the messages sent to a customer and where each is in its delivery."""

from __future__ import annotations

from typing import Any

from .base import ServiceClient


class NotifyClient(ServiceClient):
    async def messages(self, customer_id: str, *, token: str, limit: int = 20) -> Any:
        return await self.get(
            f"/v1/customers/{customer_id}/messages", token=token, params={"limit": limit}
        )
