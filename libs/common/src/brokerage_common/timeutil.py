"""Time helpers: the market runs on Beijing time (UTC+08:00)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")


def now_cst() -> datetime:
    return datetime.now(CST)


def today_cst() -> date:
    return now_cst().date()
