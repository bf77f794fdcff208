"""Kafka topics of the platform and their partition counts (the list deployment files mirror)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    description: str
    external: bool = False

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"


TRADE_SETTLED = Topic(
    "trade.settled", 12, "Settled and cancelled trades (settlement system).", True
)
ASSET_SNAPSHOTS = Topic(
    "account.asset-snapshots", 12, "End-of-day valuation per customer (settlement system).", True
)
TRANSFER_REQUESTED = Topic(
    "customer.transfer-requested", 6, "Transfer-away requests (branch counter, mobile app).", True
)
COMMISSION_RATES = Topic(
    "account.commission-rates", 12, "Base commission rates agreed at the counter.", True
)
CLOSING_PRICES = Topic(
    "market.closing-prices", 6, "Daily closes of securities and indexes (market data).", True
)
PROFILE_CUSTOMERS = Topic("profile.customers", 12, "Customer facts published by profile-svc.")
TIERING_TIERS = Topic("tiering.tiers", 12, "Tier changes published by tiering-svc.")
TIERING_POINTS = Topic("tiering.points", 12, "Points awarded and redeemed (tiering-svc).")
ADVISORY_PRODUCTS = Topic(
    "advisory.products", 6, "Subscriptions and advisory agreements (advisory-svc)."
)
ADVISORY_CONTENT = Topic(
    "advisory.content", 6, "Published content and its audience in chunks (advisory-svc)."
)
NOTIFY_COMMANDS = Topic("notify.commands", 12, "NotificationRequested commands to notify-svc.")
NOTIFY_OUTCOMES = Topic("notify.outcomes", 6, "Delivery outcomes published by notify-svc.")
OPS_CASES = Topic(
    "ops.cases", 6, "Cases, suggestions, assignments, assessments (ops-assessment-svc)."
)

ALL_TOPICS: tuple[Topic, ...] = (
    TRADE_SETTLED,
    ASSET_SNAPSHOTS,
    TRANSFER_REQUESTED,
    COMMISSION_RATES,
    CLOSING_PRICES,
    PROFILE_CUSTOMERS,
    TIERING_TIERS,
    TIERING_POINTS,
    ADVISORY_PRODUCTS,
    ADVISORY_CONTENT,
    NOTIFY_COMMANDS,
    NOTIFY_OUTCOMES,
    OPS_CASES,
)

# Every topic has a dead-letter topic, one partition (it is read by people): any topic may
# gain a consumer, and on Kafka topics are not created on first use.
CONSUMED_TOPICS: tuple[Topic, ...] = ALL_TOPICS
DLQ_PARTITIONS = 1


def all_topic_specs() -> dict[str, int]:
    """Every topic name, dead-letter topics included, with its partition count."""
    specs = {t.name: t.partitions for t in ALL_TOPICS}
    specs.update({t.dlq: DLQ_PARTITIONS for t in CONSUMED_TOPICS})
    return specs
