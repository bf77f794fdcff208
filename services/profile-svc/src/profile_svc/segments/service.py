"""Segmentation use cases: keep each customer's value segment up to date from settlement
events (snapshots, settled and cancelled trades), and list a branch's customers by segment.

Every function takes the session first and keyword-only arguments, writes its
rows into that session, and never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import events as ev
from brokerage_common.dialect import insert_ignoring_duplicates, upsert

from ..customers.models import Customer
from ..exceptions import NotFound
from ..tables import table_of
from . import rules
from .models import AssetSnapshot, CustomerSegment, SettledTrade

_CHUNK = 2000
_RATIO = Decimal("0.0001")

# Core tables: segments are computed set-wise, many customers per statement.
customer_table = table_of(Customer)
segment_table = table_of(CustomerSegment)
snapshot_table = table_of(AssetSnapshot)
trade_table = table_of(SettledTrade)

SortKey = Literal["assets", "contribution"]


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass(frozen=True)
class SegmentPolicy:
    thresholds: rules.SegmentThresholds
    window_days: int


async def apply_asset_snapshots(
    session: AsyncSession, *, snapshots: Sequence[ev.AssetSnapshotTaken], policy: SegmentPolicy
) -> None:
    """Keep each day's end-of-day assets (a corrected snapshot replaces the day) and re-segment."""
    rows: dict[tuple[str, date], Decimal] = {}
    for s in snapshots:
        rows[(s.customer_id, s.as_of)] = s.total_assets
    stmt = upsert(session, snapshot_table, keys=["customer_id", "as_of"], update=["total_assets"])
    items = [
        {"customer_id": c, "as_of": d, "total_assets": v} for (c, d), v in sorted(rows.items())
    ]
    for chunk in _chunks(items):
        await session.execute(stmt, list(chunk))
    hints: dict[str, date] = {}
    for cid, day in rows:
        hints[cid] = max(day, hints.get(cid, day))
    await recompute_segments(session, hints=hints, policy=policy)


async def apply_trades(
    session: AsyncSession, *, trades: Sequence[ev.TradeSettled], policy: SegmentPolicy
) -> None:
    """Keep each settled trade's amount and commission once (by trade id) and re-segment."""
    unique: dict[str, ev.TradeSettled] = {}
    for t in trades:
        unique.setdefault(t.trade_id, t)
    items = [
        {
            "trade_id": t.trade_id,
            "customer_id": t.customer_id,
            "trade_date": t.trade_date,
            "amount": t.amount,
            "commission": t.commission,
        }
        for t in unique.values()
    ]
    stmt = insert_ignoring_duplicates(session, trade_table, keys=["trade_id"])
    for chunk in _chunks(items):
        await session.execute(stmt, list(chunk))
    hints: dict[str, date] = {}
    for t in unique.values():
        hints[t.customer_id] = max(t.trade_date, hints.get(t.customer_id, t.trade_date))
    await recompute_segments(session, hints=hints, policy=policy)


async def cancel_trade(
    session: AsyncSession, *, cancel: ev.TradeCancelled, policy: SegmentPolicy
) -> bool:
    """Forget a cancelled trade's amount and commission; True when the trade was known."""
    trade_date = (
        await session.execute(
            delete(trade_table)
            .where(
                trade_table.c.trade_id == cancel.trade_id,
                trade_table.c.customer_id == cancel.customer_id,
            )
            .returning(trade_table.c.trade_date)
        )
    ).scalar_one_or_none()
    if trade_date is None:
        return False
    await recompute_segments(session, hints={cancel.customer_id: trade_date}, policy=policy)
    return True


async def recompute_segments(
    session: AsyncSession, *, hints: dict[str, date], policy: SegmentPolicy
) -> None:
    """Recompute the value segment of the given customers, a few statements per chunk.

    The window ends on each customer's latest event day (snapshot or trade), not on
    the wall clock, so replaying the same events gives the same segments.
    """
    ids = sorted(hints)
    now = datetime.now(UTC)
    seg_t, snap_t, trade_t = segment_table, snapshot_table, trade_table
    upsert_segment = upsert(
        session,
        seg_t,
        keys=["customer_id"],
        update=[c.name for c in seg_t.columns if c.name != "customer_id"],
    )
    for chunk in _chunks(ids):
        existing = {
            r["customer_id"]: r
            for r in (
                await session.execute(select(seg_t).where(seg_t.c.customer_id.in_(chunk)))
            ).mappings()
        }
        refs = {
            cid: max(hints[cid], existing[cid]["as_of"]) if cid in existing else hints[cid]
            for cid in chunk
        }
        starts = {cid: ref - timedelta(days=policy.window_days - 1) for cid, ref in refs.items()}
        since = min(starts.values())
        snaps: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for cid, day, value in await session.execute(
            select(snap_t.c.customer_id, snap_t.c.as_of, snap_t.c.total_assets).where(
                snap_t.c.customer_id.in_(chunk), snap_t.c.as_of >= since
            )
        ):
            snaps[cid].append((day, value))
        trades: dict[str, list[tuple[date, Decimal, Decimal]]] = defaultdict(list)
        for cid, day, amount, commission in await session.execute(
            select(
                trade_t.c.customer_id, trade_t.c.trade_date, trade_t.c.amount, trade_t.c.commission
            ).where(trade_t.c.customer_id.in_(chunk), trade_t.c.trade_date >= since)
        ):
            trades[cid].append((day, amount, commission))
        rows = [
            _segment_row(
                cid,
                ref=refs[cid],
                start=starts[cid],
                previous=existing.get(cid),
                snaps=snaps[cid],
                trades=trades[cid],
                policy=policy,
                now=now,
            )
            for cid in chunk
        ]
        await session.execute(upsert_segment, rows)
        # Rows well before every window in this chunk can no longer count: keep the tables small.
        horizon = since - timedelta(days=policy.window_days)
        await session.execute(
            delete(snap_t).where(snap_t.c.customer_id.in_(chunk), snap_t.c.as_of < horizon)
        )
        await session.execute(
            delete(trade_t).where(trade_t.c.customer_id.in_(chunk), trade_t.c.trade_date < horizon)
        )


def _segment_row(
    cid: str,
    *,
    ref: date,
    start: date,
    previous: Any,
    snaps: list[tuple[date, Decimal]],
    trades: list[tuple[date, Decimal, Decimal]],
    policy: SegmentPolicy,
    now: datetime,
) -> dict[str, Any]:
    figures = rules.window_figures(
        start=start,
        end=ref,
        known_assets=previous["total_assets"] if previous is not None else Decimal(0),
        known_as_of=previous["assets_as_of"] if previous is not None else None,
        snapshots=snaps,
        trades=trades,
        t=policy.thresholds,
    )
    seg = figures.segment
    return {
        "customer_id": cid,
        "as_of": ref,
        "total_assets": figures.total_assets,
        "assets_as_of": figures.assets_as_of,
        "average_assets": figures.average_assets,
        "traded_amount": figures.traded_amount,
        "commission": figures.commission,
        "turnover": seg.turnover.quantize(_RATIO) if seg.turnover is not None else None,
        "asset_size": seg.asset_size.value,
        "turnover_class": seg.turnover_class.value,
        "value_segment": seg.value_segment,
        "updated_at": now,
    }


async def segment_of(session: AsyncSession, *, customer_id: str) -> CustomerSegment | None:
    return await session.get(CustomerSegment, customer_id)


def segment_kind(segment: str) -> rules.SegmentKind:
    """The kind of a segment name; 404 for a name that is no segment."""
    kind = rules.segment_kind(segment)
    if kind is None:
        raise NotFound(f"unknown segment {segment!r}")
    return kind


@dataclass(frozen=True)
class SegmentMember:
    customer_id: str
    name: str
    status: str
    birth_date: date
    value_segment: str | None
    total_assets: Decimal
    contribution: Decimal
    turnover: Decimal | None


async def list_segment(
    session: AsyncSession,
    *,
    segment: str,
    branch_id: str,
    today: date,
    sort: SortKey,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[rules.SegmentKind, int, list[SegmentMember]]:
    """A branch's customers in a value segment, a life stage or a family life cycle stage, sorted.

    Value segments need settlement figures (inner join); life stages and family stages
    list every customer of the stage, those without figures counting as zero.
    """
    kind = segment_kind(segment)
    c = customer_table.c
    s = segment_table.c
    assets = func.coalesce(s.total_assets, 0)
    contribution = func.coalesce(s.commission, 0)
    stmt: Select[Any] = select(
        c.customer_id,
        c.name,
        c.status,
        c.birth_date,
        s.value_segment,
        assets.label("total_assets"),
        contribution.label("contribution"),
        s.turnover,
    ).where(c.branch_id == branch_id)
    if kind == "value":
        stmt = stmt.select_from(customer_table.join(segment_table, s.customer_id == c.customer_id))
        stmt = stmt.where(s.value_segment == segment)
    else:
        stmt = stmt.select_from(
            customer_table.outerjoin(segment_table, s.customer_id == c.customer_id)
        )
        if kind == "life_stage":
            born_after, born_by = rules.life_stage_birth_range(rules.LifeStage(segment), today)
            stmt = stmt.where(c.birth_date <= born_by)
            if born_after is not None:
                stmt = stmt.where(c.birth_date > born_after)
        else:
            stmt = stmt.where(c.family_life_cycle == segment)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    key: Any = assets if sort == "assets" else contribution
    tie: Any = c.customer_id
    if kind == "value":
        # Every row has figures (inner join, NOT NULL columns): the same order on the bare
        # columns, which ix_customer_segment_by_assets / _by_commission hold, so a page is
        # read in index order instead of sorting the whole segment.
        key, tie = (s.total_assets if sort == "assets" else s.commission), s.customer_id
    stmt = (
        stmt.order_by(key.desc() if descending else key.asc(), tie.asc())
        .limit(limit)
        .offset(offset)
    )
    members = [
        SegmentMember(
            customer_id=r.customer_id,
            name=r.name,
            status=r.status,
            birth_date=r.birth_date,
            value_segment=r.value_segment,
            total_assets=Decimal(r.total_assets),
            contribution=Decimal(r.contribution),
            turnover=r.turnover,
        )
        for r in await session.execute(stmt)
    ]
    return kind, int(total), members
