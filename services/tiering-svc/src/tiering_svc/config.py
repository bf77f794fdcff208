"""tiering-svc settings: the common ones plus tier thresholds and bonus amounts (domain.md §2)."""

from __future__ import annotations

from decimal import Decimal

from brokerage_common import CommonSettings

from .rules import DEFAULT_BONUSES, DEFAULT_THRESHOLDS


class Settings(CommonSettings):
    service_name: str = "tiering-svc"
    database_url: str = "sqlite+aiosqlite:///./data/tiering.db"
    # Defaults of the configurable numbers (domain.md §2); staff may change them at run time
    # through /v1/config, which stores them in the database.
    silver_assets: Decimal = DEFAULT_THRESHOLDS.silver_assets
    silver_commission: Decimal = DEFAULT_THRESHOLDS.silver_commission
    gold_assets: Decimal = DEFAULT_THRESHOLDS.gold_assets
    gold_commission: Decimal = DEFAULT_THRESHOLDS.gold_commission
    platinum_assets: Decimal = DEFAULT_THRESHOLDS.platinum_assets
    platinum_commission: Decimal = DEFAULT_THRESHOLDS.platinum_commission
    bonus_referral: Decimal = DEFAULT_BONUSES.referral
    bonus_anniversary: Decimal = DEFAULT_BONUSES.anniversary
    bonus_suggestion: Decimal = DEFAULT_BONUSES.suggestion
    # Settlement days bring a million trades: two lanes let one part of a batch compute
    # while the other is in PostgreSQL (bench/ingest.py).
    consumer_lanes: int = 2
    consumer_batch_max: int = 10000
    # The routing snapshot's re-read as a safety net; it is also re-read whenever the feed
    # starts following (ADR 0006).
    routing_resync_interval_s: float = 300.0
    daily_jobs_interval_s: float = 3600.0
