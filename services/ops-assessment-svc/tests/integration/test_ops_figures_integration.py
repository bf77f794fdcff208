"""Monthly figures kept from events: once per trade and per day, late events, unknown customers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from brokerage_common import events as ev
from brokerage_common import new_envelope
from ops_assessment_svc.config import Settings
from ops_assessment_svc.figures import handlers
from ops_assessment_svc.figures.models import CustomerMonthFigure
from ops_assessment_svc.handlers import handlers as registry

D = Decimal


async def _month(h: Any, customer_id: str, month: str = "2026-11") -> CustomerMonthFigure:
    rows = await h.rows(
        CustomerMonthFigure,
        CustomerMonthFigure.customer_id == customer_id,
        CustomerMonthFigure.month == month,
    )
    assert len(rows) == 1
    return rows[0]


async def test_trades_add_once_per_trade_id_and_a_cancel_takes_one_out(
    harness: Any, build: Any
) -> None:
    t1 = build.trade("T1", "C1", "152000.00", "38.00")
    t2 = build.trade("T2", "C1", "10000.00", "5.00")
    assert await harness.handle(handlers.on_trades_settled, t1, t2, t1) == 2
    # The same trade under a new event id (a producer's retry) changes nothing.
    again = build.trade("T1", "C1", "152000.00", "38.00")
    assert await harness.handle(handlers.on_trades_settled, again) == 0
    row = await _month(harness, "C1")
    assert (row.traded_amount, row.commission) == (D("162000.00"), D("43.00"))
    cancel = new_envelope(ev.TradeCancelled(customer_id="C1", trade_id="T2"), source="s")
    await harness.handle(handlers.on_trade_cancelled, cancel)
    await harness.handle(handlers.on_trade_cancelled, cancel)
    row = await _month(harness, "C1")
    assert (row.traded_amount, row.commission) == (D("152000.00"), D("38.00"))


async def test_a_cancel_before_its_trade_keeps_the_trade_out(harness: Any, build: Any) -> None:
    cancel = new_envelope(ev.TradeCancelled(customer_id="C2", trade_id="T9"), source="s")
    await harness.handle(handlers.on_trade_cancelled, cancel)
    assert (
        await harness.handle(handlers.on_trades_settled, build.trade("T9", "C2", "100.00", "1.00"))
        == 0
    )
    assert await harness.rows(CustomerMonthFigure, CustomerMonthFigure.customer_id == "C2") == []


async def test_snapshots_start_end_inflow_once_per_day_and_a_late_earlier_day(
    harness: Any, build: Any
) -> None:
    nov = date(2026, 11, 1)
    days = [
        build.snapshot("C1", nov.replace(day=3), "105000", "5000"),
        build.snapshot("C1", nov.replace(day=4), "120000", "10000"),
        build.snapshot("C1", nov.replace(day=30), "130000", "0"),
    ]
    assert await harness.handle(handlers.on_asset_snapshots, *days) == 3
    row = await _month(harness, "C1")
    # Start = 3 Nov (its own inflow is inside it); NI = the later days' inflow.
    assert (row.start_on, row.start_assets, row.end_assets) == (
        date(2026, 11, 3),
        D("105000.00"),
        D("130000.00"),
    )
    assert row.net_inflow == D("10000.00")
    assert (row.assets_sum, row.asset_days) == (D("355000.00"), 3)
    # Replaying the month changes nothing; a late 2 Nov becomes the start, and 3 Nov's
    # inflow is now added capital.
    assert await harness.handle(handlers.on_asset_snapshots, *days) == 0
    await harness.handle(
        handlers.on_asset_snapshots, build.snapshot("C1", date(2026, 11, 2), "100000", "0")
    )
    row = await _month(harness, "C1")
    assert (row.start_on, row.start_assets, row.net_inflow) == (
        date(2026, 11, 2),
        D("100000.00"),
        D("15000.00"),
    )
    assert row.asset_days == 4


async def test_contacts_count_once_per_interaction(harness: Any, build: Any) -> None:
    env = new_envelope(
        ev.InteractionLogged(
            customer_id="C7",
            interaction_id="I1",
            staff_id="S1",
            branch_id="B001",
            channel="call",
            topic="t",
            outcome="o",
            occurred_at=build.now,
        ),
        source="profile-svc",
    )
    await harness.handle(handlers.on_interaction_logged, env)
    await harness.handle(handlers.on_interaction_logged, env)
    assert (await _month(harness, "C7")).contacts == 1


def test_one_registry_covers_every_consumed_event() -> None:
    reg = registry(Settings(environment="test"))
    assert set(reg) == {
        "TradeSettled",
        "TradeCancelled",
        "AssetSnapshotTaken",
        "InteractionLogged",
        "CustomerRegistered",
        "CustomerProfileUpdated",
        "TierChanged",
        "CustomerTransferRequested",
        "TransferAwayRecorded",
    }
