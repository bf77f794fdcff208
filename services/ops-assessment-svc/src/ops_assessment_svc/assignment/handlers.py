"""Assignment's handlers: what it must know of customers (branch, on-site, tier, referrer)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope

from . import service


async def on_customer_registered(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.register_customer(session, customer=envelope.data)


async def on_customer_profile_updated(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.update_customer(session, change=envelope.data)


async def on_tier_changed(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.change_tier(session, change=envelope.data)
