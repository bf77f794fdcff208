"""Pick tracking use cases: a pick's performance and an adviser's hit rate, from closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common.timeutil import CST

from ..calendars import CalendarNotCovered
from ..content.models import Content
from ..errors import Invalid
from ..readmodels.service import closes
from . import rules


@dataclass(frozen=True)
class Performance:
    content: Content
    base_on: date | None
    base_close: Decimal | None
    index_base_close: Decimal | None
    horizons: list[rules.Horizon]


async def performance(session: AsyncSession, *, content: Content) -> Performance:
    """Return since publication beside CSI 300 at 1, 5, 20 and 60 trading days; a horizon
    not reached yet (or whose closes have not arrived) has nulls."""
    if content.kind != "stock_pick" or content.security_code is None:
        raise Invalid("only stock picks are tracked")
    published = content.published_at
    if published.tzinfo is None:  # SQLite gives naive datetimes back; they were stored in CST
        published = published.replace(tzinfo=CST)
    try:
        base = rules.base_day(published.astimezone(CST))
    except CalendarNotCovered:
        return Performance(
            content, None, None, None, [rules.Horizon(n, None, None, None) for n in rules.HORIZONS]
        )
    days = rules.horizon_days(base)
    wanted = [base, *[d for d in days.values() if d is not None]]
    pick = await closes(session, code=content.security_code, days=wanted)
    index = await closes(session, code=rules.INDEX_CODE, days=wanted)
    horizons = []
    for n, on in days.items():
        pr = ir = None
        if on is not None and base in pick and on in pick:
            pr = rules.simple_return(pick[base], pick[on])
        if on is not None and base in index and on in index:
            ir = rules.simple_return(index[base], index[on])
        horizons.append(rules.Horizon(n, on, pr, ir))
    return Performance(content, base, pick.get(base), index.get(base), horizons)


@dataclass(frozen=True)
class HitRate:
    author_id: str
    horizon: int
    picks: int
    scored: int
    hits: int
    rate: Decimal | None


async def hit_rate(session: AsyncSession, *, author_id: str, horizon: int) -> HitRate:
    """Share of an adviser's buy/sell picks that beat (or, for sells, lagged) the index over
    ``horizon`` trading days, among those whose horizon has closed."""
    if horizon not in rules.HORIZONS:
        raise Invalid(f"horizon must be one of {rules.HORIZONS}")
    picks = list(
        (
            await session.execute(
                select(Content).where(
                    col(Content.author_id) == author_id,
                    col(Content.kind) == "stock_pick",
                )
            )
        ).scalars()
    )
    outcomes = []
    for pick in picks:
        if pick.recommendation not in ("buy", "sell"):
            continue
        perf = await performance(session, content=pick)
        h = next(h for h in perf.horizons if h.days == horizon)
        if h.excess is not None:
            outcomes.append(rules.is_hit(pick.recommendation, h.excess))
    hits, scored, rate = rules.hit_rate(outcomes)
    return HitRate(author_id, horizon, len(picks), scored, hits, rate)
