"""profile-svc event handlers (on_<event>) and the HANDLERS registry the worker's consumer uses.

A handler needs the worker's settings (the segment policy, the outbox's source), so each
``on_<event>`` takes them once and returns the function the consumer calls per event or
batch: ``registry(settings)`` binds every entry of HANDLERS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox, batch_handler
from brokerage_common import events as ev
from brokerage_common.consumer import BatchHandler, EventHandler

from . import metrics
from .config import Settings
from .segments.service import SegmentPolicy, apply_asset_snapshots, apply_trades, cancel_trade
from .tables import PLATFORM
from .transfers.service import TransferChannel, record_transfer_request


@dataclass(frozen=True)
class HandlerContext:
    """What the handlers take from the worker's settings."""

    outbox: Outbox
    policy: SegmentPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> HandlerContext:
        return cls(
            outbox=Outbox(PLATFORM, source=settings.service_name),
            policy=SegmentPolicy(
                thresholds=settings.thresholds(), window_days=settings.segment_window_days
            ),
        )


def on_trades_settled(ctx: HandlerContext) -> BatchHandler:
    @batch_handler
    async def handle(session: AsyncSession, envelopes: list[Envelope[Any]]) -> None:
        await apply_trades(session, trades=[e.data for e in envelopes], policy=ctx.policy)

    return handle


def on_trade_cancelled(ctx: HandlerContext) -> EventHandler:
    async def handle(session: AsyncSession, envelope: Envelope[Any]) -> None:
        await cancel_trade(session, cancel=envelope.data, policy=ctx.policy)

    return handle


def on_asset_snapshots(ctx: HandlerContext) -> BatchHandler:
    @batch_handler
    async def handle(session: AsyncSession, envelopes: list[Envelope[Any]]) -> None:
        await apply_asset_snapshots(
            session, snapshots=[e.data for e in envelopes], policy=ctx.policy
        )

    return handle


def on_customer_transfer_requested(ctx: HandlerContext) -> EventHandler:
    async def handle(session: AsyncSession, envelope: Envelope[Any]) -> None:
        # The envelope's source says where the customer asked: the branch counter or the app.
        channel: TransferChannel = (
            "mobile-app" if envelope.source == "mobile-app" else "branch-counter"
        )
        _, created = await record_transfer_request(
            session,
            request=envelope.data,
            channel=channel,
            received_at=datetime.now(UTC),
            outbox=ctx.outbox,
        )
        if created:
            metrics.TRANSFER_REQUESTS.labels(channel).inc()

    return handle


HANDLERS: Mapping[str, Callable[[HandlerContext], EventHandler | BatchHandler]] = MappingProxyType(
    {
        ev.TradeSettled.TYPE: on_trades_settled,
        ev.TradeCancelled.TYPE: on_trade_cancelled,
        ev.AssetSnapshotTaken.TYPE: on_asset_snapshots,
        ev.CustomerTransferRequested.TYPE: on_customer_transfer_requested,
    }
)

TOPICS = [
    ev.TradeSettled.TOPIC.name,
    ev.AssetSnapshotTaken.TOPIC.name,
    ev.CustomerTransferRequested.TOPIC.name,
]


def registry(settings: Settings) -> dict[str, EventHandler | BatchHandler]:
    """Every handler of HANDLERS bound to these settings, by event type."""
    ctx = HandlerContext.from_settings(settings)
    return {event_type: bind(ctx) for event_type, bind in HANDLERS.items()}
