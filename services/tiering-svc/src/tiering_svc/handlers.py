"""tiering-svc event handlers (on_<event>) and the HANDLERS registry the worker's consumer uses."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox, batch_handler
from brokerage_common import events as ev

from .config import Settings
from .ingest import service as ingest
from .ledger import service as ledger
from .models import PLATFORM
from .tiers import service as tiers


class Handlers:
    """Binds the handlers to this worker's settings and outbox."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.outbox = Outbox(PLATFORM, source=settings.service_name)

    async def _policy(self, session: AsyncSession) -> tiers.Policy:
        return await tiers.load_policy(session, settings=self.settings)

    @batch_handler(dedupes_by_key=True)  # one ledger entry per trade id
    async def on_trades_settled(self, session: AsyncSession, envelopes: list[Envelope[Any]]) -> int:
        return await ingest.award_trade_points(
            session, envelopes=envelopes, policy=await self._policy(session), outbox=self.outbox
        )

    async def on_trade_cancelled(self, session: AsyncSession, envelope: Envelope[Any]) -> None:
        await ledger.reverse_trade_points(session, cancel=envelope.data, outbox=self.outbox)

    @batch_handler
    async def on_asset_snapshots(
        self, session: AsyncSession, envelopes: list[Envelope[Any]]
    ) -> None:
        await tiers.apply_asset_snapshots(
            session, envelopes=envelopes, policy=await self._policy(session), outbox=self.outbox
        )

    async def on_customer_registered(self, session: AsyncSession, envelope: Envelope[Any]) -> None:
        await ledger.register_customer(
            session, customer=envelope.data, policy=await self._policy(session), outbox=self.outbox
        )

    async def on_customer_profile_updated(
        self, session: AsyncSession, envelope: Envelope[Any]
    ) -> None:
        await ledger.update_customer(session, update_event=envelope.data)

    async def on_suggestion_adopted(self, session: AsyncSession, envelope: Envelope[Any]) -> None:
        s: ev.SuggestionAdopted = envelope.data
        policy = await self._policy(session)
        await ledger.credit_bonus(
            session,
            customer_id=s.customer_id,
            points=policy.bonuses.suggestion,
            kind="suggestion",
            business_key=f"suggestion:{s.suggestion_id}",
            source_ref=s.suggestion_id,
            reason="adopted suggestion (合理化建议)",
            outbox=self.outbox,
        )

    def registry(self) -> dict[str, Any]:
        return {
            ev.TradeSettled.TYPE: self.on_trades_settled,
            ev.TradeCancelled.TYPE: self.on_trade_cancelled,
            ev.AssetSnapshotTaken.TYPE: self.on_asset_snapshots,
            ev.CustomerRegistered.TYPE: self.on_customer_registered,
            ev.CustomerProfileUpdated.TYPE: self.on_customer_profile_updated,
            ev.SuggestionAdopted.TYPE: self.on_suggestion_adopted,
        }


TOPICS = [
    ev.TradeSettled.TOPIC.name,
    ev.AssetSnapshotTaken.TOPIC.name,
    ev.CustomerRegistered.TOPIC.name,
    ev.SuggestionAdopted.TOPIC.name,
]
