"""on_<event> handlers keeping the read models (other services' and external facts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope

from ..subscriptions import rules as subscription_rules
from ..subscriptions.service import apply_tier_drop
from . import service


async def on_customer_registered(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.register_customer(session, event=envelope.data)


async def on_customer_profile_updated(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.update_customer(session, event=envelope.data)


async def on_risk_profile_assessed(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.record_assessment(session, event=envelope.data)


async def on_tier_changed(session: AsyncSession, envelope: Envelope[Any]) -> None:
    """The new tier; a drop below gold lets running bundles run out at their month end."""
    event = envelope.data
    await service.record_tier(session, event=event)
    if subscription_rules.is_drop_below_bundles(event.old_tier, event.new_tier):
        await apply_tier_drop(
            session, customer_id=event.customer_id, effective_on=event.effective_on
        )


async def on_commission_rate_set(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.record_rate(session, event=envelope.data)


async def on_trade_settled(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.apply_trade(session, trade=envelope.data)


async def on_trade_cancelled(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.cancel_trade(session, cancel=envelope.data)


async def on_closing_price_published(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.record_close(session, event=envelope.data)
