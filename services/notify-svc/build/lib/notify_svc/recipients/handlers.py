"""Recipient handlers: the read model follows profile-svc's customer events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope

from ..context import HandlerContext
from . import service


async def on_customers_registered(
    ctx: HandlerContext, session: AsyncSession, envelopes: list[Envelope[Any]]
) -> None:
    await service.register_customers(
        session,
        customers=[e.data for e in envelopes],
        now=ctx.clock(),
        consent_default=ctx.settings.marketing_consent_default,
    )


async def on_customer_profile_updated(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    await service.update_customer(session, change=envelope.data, at=envelope.time, now=ctx.clock())
