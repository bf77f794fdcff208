"""advisory-svc's one handler registry: event type -> on_<event>, and the topics it reads."""

from __future__ import annotations

from typing import Any

from brokerage_common import Outbox
from brokerage_common import events as ev

from .models import PLATFORM
from .readmodels import handlers as readmodels
from .subscriptions.handlers import SubscriptionHandlers


def registry(source: str) -> dict[str, Any]:
    """HANDLERS for the worker's consumer (its outbox writes as ``source``)."""
    subscriptions = SubscriptionHandlers(Outbox(PLATFORM, source=source))
    return {
        ev.CustomerRegistered.TYPE: readmodels.on_customer_registered,
        ev.CustomerProfileUpdated.TYPE: readmodels.on_customer_profile_updated,
        ev.RiskProfileAssessed.TYPE: readmodels.on_risk_profile_assessed,
        ev.TierChanged.TYPE: readmodels.on_tier_changed,
        ev.CommissionRateSet.TYPE: readmodels.on_commission_rate_set,
        ev.TradeSettled.TYPE: readmodels.on_trade_settled,
        ev.TradeCancelled.TYPE: readmodels.on_trade_cancelled,
        ev.ClosingPricePublished.TYPE: readmodels.on_closing_price_published,
        ev.PointsRedeemed.TYPE: subscriptions.on_points_redeemed,
    }


TOPICS = sorted(
    {
        ev.CustomerRegistered.TOPIC.name,
        ev.TierChanged.TOPIC.name,
        ev.PointsRedeemed.TOPIC.name,
        ev.TradeSettled.TOPIC.name,
        ev.CommissionRateSet.TOPIC.name,
        ev.ClosingPricePublished.TOPIC.name,
    }
)
