"""profile-svc event handlers (on_<event>) and the registry the worker's consumer uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox, batch_handler
from brokerage_common import events as ev

from . import metrics, service
from .config import Settings
from .models import PLATFORM


class Handlers:
    """Binds the handlers to this worker's settings and outbox."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.outbox = Outbox(PLATFORM, source=settings.service_name)
        self.policy = service.SegmentPolicy(
            thresholds=settings.thresholds(), window_days=settings.segment_window_days
        )

    @batch_handler
    async def on_trades_settled(
        self, session: AsyncSession, envelopes: list[Envelope[Any]]
    ) -> None:
        await service.apply_trades(session, trades=[e.data for e in envelopes], policy=self.policy)

    async def on_trade_cancelled(self, session: AsyncSession, envelope: Envelope[Any]) -> None:
        await service.cancel_trade(session, cancel=envelope.data, policy=self.policy)

    @batch_handler
    async def on_asset_snapshots(
        self, session: AsyncSession, envelopes: list[Envelope[Any]]
    ) -> None:
        await service.apply_asset_snapshots(
            session, snapshots=[e.data for e in envelopes], policy=self.policy
        )

    async def on_customer_transfer_requested(
        self, session: AsyncSession, envelope: Envelope[Any]
    ) -> None:
        # The envelope's source says where the customer asked: the branch counter or the app.
        channel: service.TransferChannel = (
            "mobile-app" if envelope.source == "mobile-app" else "branch-counter"
        )
        _, created = await service.record_transfer_request(
            session,
            request=envelope.data,
            channel=channel,
            received_at=datetime.now(UTC),
            outbox=self.outbox,
        )
        if created:
            metrics.TRANSFER_REQUESTS.labels(channel).inc()

    def registry(self) -> dict[str, Any]:
        return {
            ev.TradeSettled.TYPE: self.on_trades_settled,
            ev.TradeCancelled.TYPE: self.on_trade_cancelled,
            ev.AssetSnapshotTaken.TYPE: self.on_asset_snapshots,
            ev.CustomerTransferRequested.TYPE: self.on_customer_transfer_requested,
        }


TOPICS = [
    ev.TradeSettled.TOPIC.name,
    ev.AssetSnapshotTaken.TOPIC.name,
    ev.CustomerTransferRequested.TOPIC.name,
]
