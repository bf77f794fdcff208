"""API shapes of pick tracking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel


class HorizonRead(BaseModel):
    trading_days: int
    on: date | None
    pick_return: Decimal | None
    index_return: Decimal | None
    excess_return: Decimal | None


class PerformanceRead(BaseModel):
    content_id: str
    security_code: str
    recommendation: str | None
    index_code: str
    base_on: date | None
    base_close: Decimal | None
    index_base_close: Decimal | None
    horizons: list[HorizonRead]


class HitRateRead(BaseModel):
    author_id: str
    trading_days: int
    picks: int
    scored: int
    hits: int
    hit_rate: Decimal | None
