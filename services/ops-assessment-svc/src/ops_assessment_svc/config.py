"""ops-assessment-svc settings: the common ones plus the defaults of domain.md §5.1, §6, §7."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import field_validator

from brokerage_common import CommonSettings


class Settings(CommonSettings):
    service_name: str = "ops-assessment-svc"
    database_url: str = "sqlite+aiosqlite:///./data/ops-assessment.db"
    group_capacity: int = 300
    potential_contribution_rate: Decimal = Decimal("0.003")
    churning_turnover: Decimal = Decimal(20)
    first_call_minutes: int = 30
    # The exchange's announced closures for years exchange_calendars does not ship yet
    # (ADR 0008, as notify-svc reads them).
    xshg_announced_closures: tuple[date, ...] = ()
    # Settlement days: two lanes let one part of a batch compute while the other writes.
    consumer_lanes: int = 2
    consumer_batch_max: int = 10000
    jobs_interval_s: float = 3600.0

    @field_validator("xshg_announced_closures")
    @classmethod
    def _weekdays(cls, days: tuple[date, ...]) -> tuple[date, ...]:
        # The exchange never trades on a weekend: only weekday closures matter.
        return tuple(sorted({d for d in days if d.weekday() < 5}))
