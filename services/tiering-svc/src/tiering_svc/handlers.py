"""tiering-svc event handlers (on_<event>) and the HANDLERS registry the worker's consumer uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox, batch_handler
from brokerage_common import events as ev
from brokerage_common.consumer import BatchHandler, EventHandler

from .config import Settings
from .ingest import service as ingest
from .ledger import service as ledger
from .models import PLATFORM
from .routing import service as routing
from .tiers import service as tiers
from .tiers.rules import Policy

Handlers = Mapping[str, EventHandler | BatchHandler]

TOPICS = [
    ev.TradeSettled.TOPIC.name,
    ev.AssetSnapshotTaken.TOPIC.name,
    ev.CustomerRegistered.TOPIC.name,
    ev.SuggestionAdopted.TOPIC.name,  # ops.cases: CustomerAssigned too
]


def build_handlers(settings: Settings) -> Handlers:
    """HANDLERS, event type -> on_<event>, bound to this worker's settings and outbox."""
    outbox = Outbox(PLATFORM, source=settings.service_name)

    async def policy(session: AsyncSession) -> Policy:
        return await tiers.load_policy(session, settings=settings)

    @batch_handler(dedupes_by_key=True)  # one ledger entry per trade id
    async def on_trades_settled(session: AsyncSession, envelopes: list[Envelope[Any]]) -> int:
        return await ingest.award_trade_points(
            session, envelopes=envelopes, policy=await policy(session), outbox=outbox
        )

    async def on_trade_cancelled(session: AsyncSession, envelope: Envelope[Any]) -> None:
        await ledger.reverse_trade_points(session, cancel=envelope.data, outbox=outbox)

    @batch_handler
    async def on_asset_snapshots(session: AsyncSession, envelopes: list[Envelope[Any]]) -> None:
        await tiers.apply_asset_snapshots(
            session, envelopes=envelopes, policy=await policy(session), outbox=outbox
        )

    async def on_customer_registered(session: AsyncSession, envelope: Envelope[Any]) -> None:
        customer: ev.CustomerRegistered = envelope.data
        # The tier row first: crediting the referrer may lock theirs (one lock order).
        await tiers.register_customer(session, customer=customer)
        await ledger.credit_referral(
            session, customer=customer, policy=await policy(session), outbox=outbox
        )

    async def on_customer_profile_updated(session: AsyncSession, envelope: Envelope[Any]) -> None:
        await tiers.update_customer(session, update_event=envelope.data)

    async def on_suggestion_adopted(session: AsyncSession, envelope: Envelope[Any]) -> None:
        s: ev.SuggestionAdopted = envelope.data
        await ledger.credit_bonus(
            session,
            customer_id=s.customer_id,
            points=(await policy(session)).bonuses.suggestion,
            kind="suggestion",
            business_key=f"suggestion:{s.suggestion_id}",
            source_ref=s.suggestion_id,
            reason="adopted suggestion (合理化建议)",
            outbox=outbox,
        )

    async def on_customer_assigned(session: AsyncSession, envelope: Envelope[Any]) -> None:
        await routing.assign_group(session, assignment=envelope.data)

    handlers: dict[str, EventHandler | BatchHandler] = {
        ev.TradeSettled.TYPE: on_trades_settled,
        ev.TradeCancelled.TYPE: on_trade_cancelled,
        ev.AssetSnapshotTaken.TYPE: on_asset_snapshots,
        ev.CustomerRegistered.TYPE: on_customer_registered,
        ev.CustomerProfileUpdated.TYPE: on_customer_profile_updated,
        ev.SuggestionAdopted.TYPE: on_suggestion_adopted,
        ev.CustomerAssigned.TYPE: on_customer_assigned,
    }
    return handlers
