"""profile-svc settings: the common ones, the ID-number hash key and the segmentation defaults."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from brokerage_common import CommonSettings
from brokerage_common.settings import check_secret, register_development_secret

from .risk.rules import ASSESSMENT_VALIDITY_YEARS
from .segments.rules import SegmentThresholds

# Local runs and tests only: in production the API refuses to start without ID_NUMBER_HASH_KEY.
DEV_ID_NUMBER_HASH_KEY = register_development_secret(
    "local-dev-id-number-hash-key-change-me-0123456789"
)


class Settings(CommonSettings):
    service_name: str = "profile-svc"
    # The zero-setup default of `make run` and the tests; production is PostgreSQL only (ADR 0009).
    database_url: str = "sqlite+aiosqlite:///./data/profile.db"
    # HMAC-SHA256 key of the ID-number hash that enforces "one customer per ID number"
    # (docs/decisions/0005-personal-data-in-events.md). Changing it means re-hashing every row.
    id_number_hash_key: str | None = None
    assessment_validity_years: int = Field(default=ASSESSMENT_VALIDITY_YEARS, ge=1, le=10)
    # Value-segment defaults (domain.md §1.2) and the trailing window of turnover and contribution.
    large_assets: Decimal = Decimal(1000000)
    medium_assets: Decimal = Decimal(100000)
    static_turnover_below: Decimal = Decimal("0.1")
    stable_turnover_below: Decimal = Decimal("1.0")
    segment_window_days: int = Field(default=30, ge=1, le=366)

    @model_validator(mode="after")
    def _refuse_unsafe_hash_key(self) -> Settings:
        # Staging too: a staging database hashed with the development key is one leak away
        # from every ID number (the key is in this repository).
        key = check_secret(
            self.id_number_hash_key, name="ID_NUMBER_HASH_KEY", environment=self.environment
        )
        self.id_number_hash_key = key or (None if self.protected else DEV_ID_NUMBER_HASH_KEY)
        self.thresholds()  # inconsistent thresholds fail at start, not on the first event
        return self

    def thresholds(self) -> SegmentThresholds:
        return SegmentThresholds(
            large_assets=self.large_assets,
            medium_assets=self.medium_assets,
            static_below=self.static_turnover_below,
            stable_below=self.stable_turnover_below,
        )

    @property
    def hash_key(self) -> bytes:
        """The ID-number hash key. Only the API needs it (the worker and migrations never see an
        ID number), so its absence is fatal where it is used, not in every process."""
        if self.id_number_hash_key is None:
            raise RuntimeError(f"ID_NUMBER_HASH_KEY must be set in {self.environment}")
        return self.id_number_hash_key.encode()
