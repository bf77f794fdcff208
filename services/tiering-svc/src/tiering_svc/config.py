"""tiering-svc settings: the common ones plus tier thresholds and bonus amounts (domain.md §2)."""

from __future__ import annotations

from decimal import Decimal

from brokerage_common import CommonSettings

from .rules import BonusAmounts, TierThresholds


class Settings(CommonSettings):
    service_name: str = "tiering-svc"
    database_url: str = "sqlite+aiosqlite:///./data/tiering.db"
    # Defaults of the configurable numbers (domain.md §2); staff may change them at run time
    # through /v1/config, which stores them in the database.
    silver_assets: Decimal = Decimal(100000)
    silver_commission: Decimal = Decimal(2000)
    gold_assets: Decimal = Decimal(500000)
    gold_commission: Decimal = Decimal(10000)
    platinum_assets: Decimal = Decimal(2000000)
    platinum_commission: Decimal = Decimal(40000)
    bonus_referral: Decimal = Decimal(500)
    bonus_anniversary: Decimal = Decimal(200)
    bonus_suggestion: Decimal = Decimal(100)
    # Settlement days bring a million trades: two lanes let one part of a batch compute
    # while the other is in PostgreSQL (bench/ingest.py).
    consumer_lanes: int = 2
    consumer_batch_max: int = 10000
    routing_resync_interval_s: float = 60.0
    daily_jobs_interval_s: float = 3600.0

    def thresholds(self) -> TierThresholds:
        return TierThresholds(
            silver_assets=self.silver_assets,
            silver_commission=self.silver_commission,
            gold_assets=self.gold_assets,
            gold_commission=self.gold_commission,
            platinum_assets=self.platinum_assets,
            platinum_commission=self.platinum_commission,
        )

    def bonuses(self) -> BonusAmounts:
        return BonusAmounts(
            referral=self.bonus_referral,
            anniversary=self.bonus_anniversary,
            suggestion=self.bonus_suggestion,
        )
