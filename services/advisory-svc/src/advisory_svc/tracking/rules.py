"""Pick tracking (后续跟踪): return since publication beside CSI 300 (domain.md §3.1). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..calendars import CalendarNotCovered, is_trading_day, trading_day_before, trading_day_offset

HORIZONS = (1, 5, 20, 60)
INDEX_CODE = "000300"  # CSI 300 (沪深300)
MARKET_CLOSE = time(15, 0)
_BP = Decimal("0.0001")


def base_day(published_at_cst: datetime) -> date:
    """The trading day whose close is the pick's starting price: the day itself when the
    pick came after the close on a trading day, else the last trading day before it."""
    day = published_at_cst.date()
    if is_trading_day(day) and published_at_cst.time() >= MARKET_CLOSE:
        return day
    return trading_day_before(day - timedelta(days=1), 0)


def horizon_days(base: date, horizons: Iterable[int] = HORIZONS) -> dict[int, date | None]:
    """T+n trading days after the base day; None beyond the known calendar."""
    out: dict[int, date | None] = {}
    for n in horizons:
        try:
            out[n] = trading_day_offset(base, n)
        except CalendarNotCovered:
            out[n] = None
    return out


def simple_return(start: Decimal, end: Decimal) -> Decimal:
    if start <= 0:
        raise ValueError("a starting price must be positive")
    return (end / start - 1).quantize(_BP, ROUND_HALF_UP)


@dataclass(frozen=True)
class Horizon:
    days: int
    on: date | None
    pick_return: Decimal | None
    index_return: Decimal | None

    @property
    def excess(self) -> Decimal | None:
        if self.pick_return is None or self.index_return is None:
            return None
        return self.pick_return - self.index_return


def is_hit(recommendation: str, excess: Decimal) -> bool:
    """A buy hits when it beat the index; a sell when it lagged it; a hold is not scored."""
    if recommendation == "buy":
        return excess > 0
    if recommendation == "sell":
        return excess < 0
    raise ValueError("holds are not scored")


def hit_rate(outcomes: Iterable[bool]) -> tuple[int, int, Decimal | None]:
    """(hits, scored, hits/scored to 4 places or None when nothing is scored yet)."""
    values = list(outcomes)
    hits = sum(values)
    if not values:
        return 0, 0, None
    return hits, len(values), (Decimal(hits) / len(values)).quantize(_BP, ROUND_HALF_UP)
