"""advisory-svc settings: the common ones plus the catalogue's configurable numbers (§3.1)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from brokerage_common import CommonSettings

from .catalogue.rules import DEFAULT_PRICES, FeeBand, Prices

D_RATE_MAX = Decimal("0.05")


class Settings(CommonSettings):
    service_name: str = "advisory-svc"
    database_url: str = "sqlite+aiosqlite:///./data/advisory.db"
    standard_rate: Decimal = Field(default=DEFAULT_PRICES.standard_rate, gt=0, le=Decimal("0.003"))
    sms_month_fee: Decimal = Field(default=DEFAULT_PRICES.sms_month_fee, ge=0, le=1000)
    sms_month_points: Decimal = Field(default=DEFAULT_PRICES.sms_month_points, ge=0, le=100000)
    # Bundle D's annual rates: a domain maximum of 5 % a year (defaults 1.0/0.8/0.6 %),
    # far above any real fee; "decreasing with size" is checked below (issue 16 item 3).
    d_rate_below_1m: Decimal = Field(default=Decimal("0.010"), gt=0, le=D_RATE_MAX)
    d_rate_1m_5m: Decimal = Field(default=Decimal("0.008"), gt=0, le=D_RATE_MAX)
    d_rate_above_5m: Decimal = Field(default=Decimal("0.006"), gt=0, le=D_RATE_MAX)
    risk_disclosure_version: str = "RD-2026-01"
    mismatch_warning_version: str = "MW-2026-01"
    audience_chunk_size: int = Field(default=5000, ge=1, le=5000)
    daily_jobs_interval_s: float = 3600.0
    # The offers read model (ADR 0010, "Offers"): how often each API process polls the
    # change marker, and how far back it looks (longer than any writer's transaction).
    offers_poll_interval_s: float = Field(default=1.0, gt=0, le=60)
    offers_change_overlap_s: float = Field(default=30.0, ge=1, le=3600)

    @model_validator(mode="after")
    def _d_rates_decrease_with_size(self) -> Settings:
        if not self.d_rate_below_1m >= self.d_rate_1m_5m >= self.d_rate_above_5m:
            raise ValueError("bundle D's annual rates must not rise with the entrusted amount")
        return self

    def prices(self) -> Prices:
        """The catalogue's numbers (a new equal value each call; ``catalogue`` caches by it)."""
        return Prices(
            standard_rate=self.standard_rate,
            sms_month_fee=self.sms_month_fee,
            sms_month_points=self.sms_month_points,
            d_bands=(
                FeeBand(Decimal(0), self.d_rate_below_1m),
                FeeBand(Decimal(1_000_000), self.d_rate_1m_5m),
                FeeBand(Decimal(5_000_000), self.d_rate_above_5m),
            ),
        )
