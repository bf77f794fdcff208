"""Round trips through a real broker: a simulated trading day in, tier changes out, routing feed.

Topics are shared by every test of the session, so each test uses its own customers,
trade ids (the simulator's seed) and consumer group (the service name).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select

from brokerage_common import events as ev
from brokerage_common import new_envelope
from brokerage_common.kafka import make_producer
from tiering_svc.config import Settings
from tiering_svc.models import (
    PLATFORM,
    CustomerMonth,
    CustomerTier,
    PointsEntry,
    TierHistory,
    metadata,
)
from tiering_svc.routing.read_model import RoutingFeed, RoutingModel
from tiering_svc.worker import build_consumer, build_relay
from trading_sim import DayConfig, customer_id, customer_phone, generate_day, publish

pytestmark = pytest.mark.bus

DAY = date(2026, 11, 20)
CENT = Decimal("0.01")
# domain.md §2, restated here so the expectation does not lean on the code under test.
MULTIPLIER = {
    "standard": Decimal("1.0"),
    "silver": Decimal("1.1"),
    "gold": Decimal("1.2"),
    "platinum": Decimal("1.3"),
}
ORDER = ["standard", "silver", "gold", "platinum"]
BY_ASSETS = [(Decimal(2000000), "platinum"), (Decimal(500000), "gold"), (Decimal(100000), "silver")]
BY_COMMISSION = [(Decimal(40000), "platinum"), (Decimal(10000), "gold"), (Decimal(2000), "silver")]


def _qualify(assets: Decimal, commission: Decimal) -> str:
    by_assets = next((t for edge, t in BY_ASSETS if assets >= edge), "standard")
    by_commission = next((t for edge, t in BY_COMMISSION if commission >= edge), "standard")
    return max(by_assets, by_commission, key=ORDER.index)


def _higher(a: str, b: str) -> str:
    return max(a, b, key=ORDER.index)


class Expected:
    """What the day must do to the ledger and the tiers, worked out from the events alone."""

    def __init__(self, messages: list[tuple[str, str, bytes]]) -> None:
        self.points: dict[str, Decimal] = defaultdict(Decimal)
        self.tier: dict[str, str] = {}
        self.trades = self.cancels = self.above_standard = 0
        commission: dict[str, Decimal] = defaultdict(Decimal)
        awarded: dict[str, tuple[str, Decimal, Decimal]] = {}
        assets: dict[str, Decimal] = {}
        for _, _, value in messages:
            env = orjson.loads(value)
            data, kind = env["data"], env["type"]
            cid = data["customer_id"]
            tier = self.tier.setdefault(cid, "standard")
            if kind == "TradeSettled":
                self.trades += 1
                c = Decimal(data["commission"])
                pts = (c * MULTIPLIER[tier]).quantize(CENT, ROUND_HALF_UP)
                self.above_standard += tier != "standard"
                awarded[data["trade_id"]] = (cid, pts, c)
                self.points[cid] += pts
                commission[cid] += c
                self.tier[cid] = _higher(
                    tier, _qualify(assets.get(cid, Decimal(0)), commission[cid])
                )
            elif kind == "TradeCancelled":
                self.cancels += 1
                owner, pts, c = awarded[data["trade_id"]]
                self.points[owner] -= pts  # nothing was spent, so all of it comes back
                commission[owner] -= c
            elif kind == "AssetSnapshotTaken":
                assets[cid] = Decimal(data["total_assets"])
                self.tier[cid] = _higher(tier, _qualify(assets[cid], commission[cid]))

    @property
    def total(self) -> Decimal:
        return sum(self.points.values(), Decimal(0))

    @property
    def upgraded(self) -> dict[str, str]:
        return {c: t for c, t in self.tier.items() if t != "standard"}


def _day(
    first: int, seed: int, on: date = DAY, customers: int = 40
) -> list[tuple[str, str, bytes]]:
    cfg = DayConfig(
        customers=customers,
        first_customer=first,
        seed=seed,
        trade_date=on,
        cancel_rate=0.05,
        transfers=0,
        trades_per_customer=3.0,
    )
    return list(generate_day(cfg))


def _settings(database_url: str, bootstrap: str) -> Settings:
    return Settings(
        service_name=f"tiering-bus-{uuid.uuid4().hex[:8]}",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        consumer_session_timeout_ms=2000,
        outbox_poll_interval_s=0.05,
    )


@asynccontextmanager
async def _running(*runners: Any) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]
    try:
        yield
    finally:
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=20)
        for t in pending:
            t.cancel()
        for t in done:
            if not t.cancelled() and t.exception() is not None:
                raise t.exception()  # type: ignore[misc]


async def _wait_caught_up(
    bootstrap: str, group: str, topics: list[str], timeout_s: float = 30
) -> None:
    """Until the group has committed past everything now in ``topics`` (so it applied all of it)."""
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        tps = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(probe.partitions_for_topic(t) or ())
        ]
        assert tps, f"no partitions for {topics}"
        ends = await probe.end_offsets(tps)
        deadline = time.monotonic() + timeout_s
        while True:
            behind = []
            for tp in tps:
                if ends[tp] > 0 and (await probe.committed(tp) or 0) < ends[tp]:
                    behind.append(tp)
            if not behind:
                return
            assert time.monotonic() < deadline, f"{group} still behind on {behind}"
            await asyncio.sleep(0.2)
    finally:
        await probe.stop()


async def _ledger_of(db: Any, customers: list[str]) -> dict[str, Any]:
    async with db.sessionmaker() as session:
        entries = (
            await session.execute(
                select(PointsEntry.customer_id, func.count(), func.sum(PointsEntry.points))
                .where(PointsEntry.customer_id.in_(customers))  # type: ignore[attr-defined]
                .group_by(PointsEntry.customer_id)
            )
        ).all()
        balances = dict(
            (
                await session.execute(
                    select(CustomerMonth.customer_id, func.sum(CustomerMonth.points))
                    .where(CustomerMonth.customer_id.in_(customers))  # type: ignore[attr-defined]
                    .group_by(CustomerMonth.customer_id)
                )
            ).all()
        )
        tiers = dict(
            (
                await session.execute(
                    select(CustomerTier.customer_id, CustomerTier.tier).where(
                        CustomerTier.customer_id.in_(customers)  # type: ignore[attr-defined]
                    )
                )
            ).all()
        )
        history = (
            await session.execute(select(func.count()).select_from(TierHistory))
        ).scalar_one()
        outbox = (
            await session.execute(select(func.count()).select_from(PLATFORM.outbox))
        ).scalar_one()
    return {
        "entries": {c: (n, Decimal(s)) for c, n, s in entries},
        "balances": balances,
        "tiers": tiers,
        "history": history,
        "outbox": outbox,
    }


async def test_tiering_bus_a_whole_day_applied_once_and_tier_changes_published(
    broker, make_database, database_url
):
    first = 710001
    # Yesterday's end-of-day assets set the tiers today's trades settle at.
    yesterday = [
        m
        for m in _day(first, seed=4816, on=date(2026, 11, 19))
        if m[0] == "account.asset-snapshots"
    ]
    messages = _day(first, seed=4817)
    trades = [m for m in messages if m[0] == "trade.settled"]
    snapshots = [m for m in messages if m[0] == "account.asset-snapshots"]
    assert trades
    assert snapshots
    assert len(trades) + len(snapshots) == len(messages)
    customers = sorted({m[1] for m in messages})
    expected = Expected(yesterday + trades + snapshots)
    assert expected.cancels > 0, "the seed should cancel some trades"
    assert expected.upgraded, "the seed should upgrade some customers"
    assert expected.above_standard > 0, "some trades should settle above the standard multiplier"

    db = await make_database(metadata)
    settings = _settings(database_url, broker.bootstrap)
    consumer = build_consumer(settings, db)
    async with _running(consumer):
        await publish(yesterday, broker.bootstrap)
        await _wait_caught_up(broker.bootstrap, settings.service_name, ["account.asset-snapshots"])
        # The settlement system settles first; end-of-day snapshots come after.
        await publish(trades, broker.bootstrap)
        await _wait_caught_up(broker.bootstrap, settings.service_name, ["trade.settled"])
        after_trades = await _ledger_of(db, customers)
        await publish(snapshots, broker.bootstrap)
        await _wait_caught_up(broker.bootstrap, settings.service_name, ["account.asset-snapshots"])
        applied = await _ledger_of(db, customers)

        assert sum(s for _, s in after_trades["entries"].values()) == expected.total
        assert (
            sum(n for n, _ in after_trades["entries"].values())
            == expected.trades + expected.cancels
        )
        assert {c: s for c, (_, s) in applied["entries"].items()} == {
            c: p for c, p in expected.points.items() if c in applied["entries"]
        }
        assert applied["balances"] == {c: expected.points[c] for c in applied["balances"]}
        assert applied["tiers"] == expected.tier

        # Both days delivered again, byte for byte: nothing changes.
        await publish(yesterday + messages, broker.bootstrap)
        await _wait_caught_up(
            broker.bootstrap, settings.service_name, ["trade.settled", "account.asset-snapshots"]
        )
        assert await _ledger_of(db, customers) == applied

    # Tier changes leave through the outbox relay, onto tiering.tiers.
    seen: dict[str, str] = {}
    relay = build_relay(settings, db)
    reader = AIOKafkaConsumer(
        ev.TierChanged.TOPIC.name, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        async with _running(relay):
            deadline = time.monotonic() + 20
            while seen != expected.upgraded and time.monotonic() < deadline:
                for records in (await reader.getmany(timeout_ms=300)).values():
                    for r in records:
                        data = orjson.loads(r.value)["data"]
                        if data["customer_id"] in expected.tier:
                            assert r.key == data["customer_id"].encode()
                            seen[data["customer_id"]] = data["new_tier"]  # the latest wins
    finally:
        await reader.stop()
    assert seen == expected.upgraded
    o = PLATFORM.outbox
    async with db.sessionmaker() as session:
        unpublished = (
            await session.execute(select(func.count()).where(o.c.published_at.is_(None)))
        ).scalar_one()
    assert unpublished == 0


async def test_tiering_bus_routing_feed_follows_tier_changes_and_phones(broker, make_database):
    db = await make_database(metadata)
    model = RoutingModel()
    feed = RoutingFeed(model, db=db, bootstrap=broker.bootstrap, resync_interval_s=60)
    await feed.start()
    try:
        await asyncio.wait_for(feed.following.wait(), timeout=20)
        gold, newcomer = customer_id(720001), customer_id(720002)
        producer = make_producer(broker.bootstrap, client_id="bus-test")
        await producer.start()
        try:
            for event in (
                ev.TierChanged(
                    customer_id=gold,
                    old_tier="silver",
                    new_tier="gold",
                    reason="upgrade",
                    effective_on=DAY,
                ),
                ev.CustomerRegistered(
                    customer_id=newcomer,
                    name="李四",
                    phone=customer_phone(720002),
                    branch_id="B001",
                    opened_on=DAY,
                    birth_month_day="07-01",
                    onsite=False,
                ),
                # ops.cases: the gold customer's service group, followed live too.
                ev.CustomerAssigned(
                    customer_id=gold,
                    group_id="G07",
                    branch_id="B001",
                    month="2026-12",
                    effective_on=date(2026, 12, 1),
                ),
            ):
                env = new_envelope(event, source="bus-test")
                await producer.send_and_wait(
                    event.TOPIC.name, key=event.key.encode(), value=env.to_json()
                )
        finally:
            await producer.stop()

        want_gold = {
            "customer_id": gold,
            "tier": "gold",
            "queue": "dedicated",
            "priority": False,
            "group_id": "G07",
        }
        want_new = {
            "customer_id": newcomer,
            "tier": "standard",
            "queue": "general",
            "priority": False,
            "group_id": None,
        }
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if (
                model.answer(customer_id=gold) == want_gold
                and model.answer(phone=customer_phone(720002)) == want_new
            ):
                break
            await asyncio.sleep(0.1)
        assert model.answer(customer_id=gold) == want_gold
        assert model.answer(phone=customer_phone(720002)) == want_new
    finally:
        await feed.stop()
