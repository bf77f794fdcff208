"""Settings refuse unsafe defaults: a production service needs its own ID-number hash key."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from profile_svc.config import DEV_ID_NUMBER_HASH_KEY, Settings
from profile_svc.main import create_app

SECRET = "a-production-jwt-secret-of-enough-length-0123456789"
PG_URL = "postgresql+asyncpg://profile@db:5432/profile"  # production refuses SQLite


def test_local_runs_get_the_development_key() -> None:
    assert Settings(environment="local").id_number_hash_key == DEV_ID_NUMBER_HASH_KEY


@pytest.mark.parametrize("key", [DEV_ID_NUMBER_HASH_KEY, DEV_ID_NUMBER_HASH_KEY + " ", "too-short"])
@pytest.mark.parametrize("environment", ["production", "staging"])
def test_production_refuses_the_development_or_a_short_key(key: str, environment: str) -> None:
    with pytest.raises(ValidationError, match="ID_NUMBER_HASH_KEY"):
        Settings(
            environment=environment,
            database_url=PG_URL,
            auth_jwt_secret=SECRET,
            id_number_hash_key=key,
        )


def test_in_production_only_the_api_needs_the_key() -> None:
    # The worker and the migrations run without it: they never see an ID number.
    settings = Settings(environment="production", database_url=PG_URL, auth_jwt_secret=SECRET)
    with pytest.raises(RuntimeError, match="ID_NUMBER_HASH_KEY"):
        create_app(settings)


def test_production_accepts_a_real_key() -> None:
    s = Settings(
        environment="production",
        database_url=PG_URL,
        auth_jwt_secret=SECRET,
        id_number_hash_key="k" * 40,
    )
    assert s.hash_key == b"k" * 40


def test_the_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ID_NUMBER_HASH_KEY", "from-the-environment-" + "x" * 20)
    assert Settings().id_number_hash_key == "from-the-environment-" + "x" * 20


def test_inconsistent_segment_thresholds_fail_at_start() -> None:
    with pytest.raises(ValidationError, match="thresholds need"):
        Settings(large_assets=Decimal(10), medium_assets=Decimal(100))
