"""Figures' handlers: the settlement-day fast path (batches) and the CRM/referral facts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, batch_handler

from . import service


@batch_handler(dedupes_by_key=True)  # one settled_trade row per trade id
async def on_trades_settled(session: AsyncSession, envelopes: list[Envelope[Any]]) -> int:
    return await service.apply_trades(session, trades=[e.data for e in envelopes])


async def on_trade_cancelled(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.cancel_trade(session, cancel=envelope.data)


@batch_handler(dedupes_by_key=True)  # one bit per customer, month and day
async def on_asset_snapshots(session: AsyncSession, envelopes: list[Envelope[Any]]) -> int:
    return await service.apply_snapshots(session, snapshots=[e.data for e in envelopes])


async def on_interaction_logged(session: AsyncSession, envelope: Envelope[Any]) -> None:
    await service.log_contact(session, interaction=envelope.data)
