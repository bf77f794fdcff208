"""Retention's handlers: a case from the counter's or the app's transfer-away request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox, now_cst

from . import rules, service


class RetentionHandlers:
    def __init__(self, *, outbox: Outbox, announced: tuple[date, ...], first_call_minutes: int):
        self.outbox = outbox
        self.trading_day: Callable[[date], bool] = rules.exchange_calendar(announced)
        self.first_call_minutes = first_call_minutes

    async def _open(self, session: AsyncSession, e: Any, branch_id: str | None) -> None:
        await service.open_case(
            session,
            request_id=e.request_id,
            customer_id=e.customer_id,
            kind=e.kind,
            market=e.market,
            stated_reason=e.reason,
            requested_at=e.requested_at,
            branch_id=branch_id,
            now=now_cst(),
            trading_day=self.trading_day,
            first_call_minutes=self.first_call_minutes,
            outbox=self.outbox,
        )

    async def on_customer_transfer_requested(
        self, session: AsyncSession, envelope: Envelope[Any]
    ) -> None:
        await self._open(session, envelope.data, None)

    async def on_transfer_away_recorded(
        self, session: AsyncSession, envelope: Envelope[Any]
    ) -> None:
        # The app's request is recorded by profile-svc; the counter's arrives as well: the
        # request id makes them one case.
        await self._open(session, envelope.data, envelope.data.branch_id)
