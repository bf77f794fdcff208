"""The service's one handler registry: event type → the subpackage's on_<event> handler."""

from __future__ import annotations

from typing import Any

from brokerage_common import Outbox
from brokerage_common import events as ev

from .assignment import handlers as assignment
from .config import Settings
from .db import PLATFORM
from .figures import handlers as figures
from .retention.handlers import RetentionHandlers


def handlers(settings: Settings) -> dict[str, Any]:
    outbox = Outbox(PLATFORM, source=settings.service_name)
    retention = RetentionHandlers(
        outbox=outbox,
        announced=settings.xshg_announced_closures,
        first_call_minutes=settings.first_call_minutes,
    )
    return {
        ev.TradeSettled.TYPE: figures.on_trades_settled,
        ev.TradeCancelled.TYPE: figures.on_trade_cancelled,
        ev.AssetSnapshotTaken.TYPE: figures.on_asset_snapshots,
        ev.InteractionLogged.TYPE: figures.on_interaction_logged,
        ev.CustomerRegistered.TYPE: assignment.on_customer_registered,
        ev.CustomerProfileUpdated.TYPE: assignment.on_customer_profile_updated,
        ev.TierChanged.TYPE: assignment.on_tier_changed,
        ev.CustomerTransferRequested.TYPE: retention.on_customer_transfer_requested,
        ev.TransferAwayRecorded.TYPE: retention.on_transfer_away_recorded,
    }


TOPICS = sorted(
    {
        ev.TradeSettled.TOPIC.name,
        ev.AssetSnapshotTaken.TOPIC.name,
        ev.CustomerRegistered.TOPIC.name,
        ev.TierChanged.TOPIC.name,
        ev.CustomerTransferRequested.TOPIC.name,
    }
)
