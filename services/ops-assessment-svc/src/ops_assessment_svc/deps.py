"""Route dependencies shared by the subpackages' routers (settings, clock, month)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Path

from brokerage_common import get_settings, now_cst
from brokerage_common.params import ID_PATTERN

from .config import Settings

SettingsDep = Annotated[Settings, Depends(get_settings)]
MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"
"""YYYY-MM, 2000-01 to 2099-12: the years every bounded day lies in (brokerage_common.params)."""
MonthPath = Annotated[str, Path(pattern=MONTH_PATTERN, examples=["2026-11"])]
StaffIdPath = Annotated[str, Path(min_length=1, max_length=32, pattern=ID_PATTERN)]
"""A staff id as the roster stores it (32 characters)."""


def get_now() -> datetime:
    """Now in Beijing time; tests replace this dependency to fix the clock."""
    return now_cst()


NowDep = Annotated[datetime, Depends(get_now)]


def today(now: datetime) -> date:
    return now.date()
