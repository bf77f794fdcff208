"""on_points_redeemed: SMS months paid in points at tiering-svc become subscriptions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import CST, Envelope, Outbox

from . import service


class SubscriptionHandlers:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def on_points_redeemed(self, session: AsyncSession, envelope: Envelope[Any]) -> None:
        # The months start on the Beijing day of the redemption, however late it is relayed.
        await service.subscribe_with_points(
            session,
            redemption=envelope.data,
            today=envelope.time.astimezone(CST).date(),
            outbox=self.outbox,
        )
