"""Segment figures from settlement events: rolling average, trailing turnover, trade-id dedupe."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from brokerage_common import Database
from brokerage_common import events as ev
from profile_svc.models import CustomerSegment
from profile_svc.segments import rules, service

POLICY = service.SegmentPolicy(thresholds=rules.DEFAULT_THRESHOLDS, window_days=30)
DAY = date(2026, 11, 20)


def snap(customer_id: str, as_of: date, assets: str) -> ev.AssetSnapshotTaken:
    return ev.AssetSnapshotTaken(
        customer_id=customer_id,
        as_of=as_of,
        total_assets=Decimal(assets),
        cash=Decimal(0),
        securities_value=Decimal(assets),
        net_inflow=Decimal(0),
    )


def trade(
    customer_id: str, trade_id: str, on: date, amount: str, commission: str = "1.00"
) -> ev.TradeSettled:
    return ev.TradeSettled(
        customer_id=customer_id,
        trade_id=trade_id,
        account_id="A1",
        market="SZ",
        security_code="000001",
        side="S",
        quantity=100,
        price=Decimal("10"),
        amount=Decimal(amount),
        commission=Decimal(commission),
        trade_date=on,
        settled_on=on,
    )


async def _segment(db: Database, customer_id: str) -> CustomerSegment:
    async with db.sessionmaker() as session:
        seg = await session.get(CustomerSegment, customer_id)
    assert seg is not None
    return seg


async def test_average_assets_and_turnover_over_the_trailing_window(db: Database) -> None:
    async with db.sessionmaker() as session:
        # 40 days: 1,000,000 for the first 10, then 2,000,000; the window keeps only the last 30.
        snaps = [
            snap("C1", DAY - timedelta(days=d), "1000000" if d >= 30 else "2000000")
            for d in range(40)
        ]
        await service.apply_asset_snapshots(session, snapshots=snaps, policy=POLICY)
        await service.apply_trades(
            session,
            trades=[
                trade(
                    "C1", "T1", DAY - timedelta(days=29), "900000", "225.00"
                ),  # first day of the window
                trade("C1", "T2", DAY - timedelta(days=30), "5000000", "999.00"),  # just outside
                trade("C1", "T3", DAY, "1100000", "275.00"),
            ],
            policy=POLICY,
        )
        await session.commit()
    seg = await _segment(db, "C1")
    assert seg.average_assets == Decimal("2000000.00")
    assert seg.traded_amount == Decimal("2000000.00")
    assert seg.commission == Decimal("500.00")
    assert seg.turnover == Decimal("1.0000")
    assert seg.value_segment == "short_term_large"
    assert (seg.as_of, seg.assets_as_of, seg.total_assets) == (DAY, DAY, Decimal("2000000.00"))


async def test_the_window_rolls_with_new_snapshots(db: Database) -> None:
    async with db.sessionmaker() as session:
        await service.apply_asset_snapshots(
            session, snapshots=[snap("C2", DAY, "500000")], policy=POLICY
        )
        await service.apply_trades(
            session, trades=[trade("C2", "T9", DAY, "600000")], policy=POLICY
        )
        await session.commit()
    assert (await _segment(db, "C2")).value_segment == "short_term_medium"
    async with db.sessionmaker() as session:
        await service.apply_asset_snapshots(
            session, snapshots=[snap("C2", DAY + timedelta(days=30), "500000")], policy=POLICY
        )
        await session.commit()
    seg = await _segment(db, "C2")
    assert seg.traded_amount == 0
    assert seg.value_segment == "static_medium"


async def test_a_trade_counts_once_whatever_its_event_id(db: Database) -> None:
    t = trade("C3", "T-dup", DAY, "10000")
    for _ in range(2):
        async with db.sessionmaker() as session:
            await service.apply_trades(session, trades=[t, t], policy=POLICY)
            await session.commit()
    seg = await _segment(db, "C3")
    assert seg.traded_amount == Decimal("10000.00")
    # Trading without any assets on record: infinite turnover, short-term.
    assert seg.turnover is None
    assert seg.turnover_class == "short_term"


async def test_a_cancelled_trade_stops_counting(db: Database) -> None:
    async with db.sessionmaker() as session:
        await service.apply_asset_snapshots(
            session, snapshots=[snap("C4", DAY, "200000")], policy=POLICY
        )
        await service.apply_trades(
            session, trades=[trade("C4", "T4", DAY, "300000", "75.00")], policy=POLICY
        )
        await session.commit()
    assert (await _segment(db, "C4")).value_segment == "short_term_medium"
    async with db.sessionmaker() as session:
        cancel = ev.TradeCancelled(customer_id="C4", trade_id="T4", reason="error correction")
        assert await service.cancel_trade(session, cancel=cancel, policy=POLICY) is True
        assert await service.cancel_trade(session, cancel=cancel, policy=POLICY) is False
        await session.commit()
    seg = await _segment(db, "C4")
    assert (seg.traded_amount, seg.commission, seg.value_segment) == (0, 0, "static_medium")


async def test_a_corrected_snapshot_replaces_the_day_and_a_late_old_one_does_not_win(
    db: Database,
) -> None:
    async with db.sessionmaker() as session:
        await service.apply_asset_snapshots(
            session, snapshots=[snap("C5", DAY, "90000"), snap("C5", DAY, "1200000")], policy=POLICY
        )
        await session.commit()
    assert (await _segment(db, "C5")).total_assets == Decimal("1200000.00")
    async with db.sessionmaker() as session:
        await service.apply_asset_snapshots(
            session, snapshots=[snap("C5", DAY - timedelta(days=1), "10")], policy=POLICY
        )
        await session.commit()
    seg = await _segment(db, "C5")
    assert (seg.total_assets, seg.assets_as_of, seg.asset_size) == (
        Decimal("1200000.00"),
        DAY,
        "large",
    )
    assert seg.average_assets == Decimal("600005.00")  # both days are in the window


@pytest.mark.parametrize("n", [2500])
async def test_a_large_batch_is_applied_in_a_few_statements(db: Database, n: int) -> None:
    snaps = [snap(f"K{i:05d}", DAY, str(1000 * i)) for i in range(n)]
    trades = [trade(f"K{i:05d}", f"TK{i}", DAY, "5000") for i in range(n)]
    async with db.sessionmaker() as session:
        await service.apply_asset_snapshots(session, snapshots=snaps, policy=POLICY)
        await service.apply_trades(session, trades=trades, policy=POLICY)
        await session.commit()
    assert (await _segment(db, "K00000")).value_segment == "short_term_small"
    assert (await _segment(db, f"K{n - 1:05d}")).value_segment == "static_large"
