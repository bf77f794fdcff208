"""Settings refuse unsafe defaults outside local/test; the worker stops and surfaces crashes."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from brokerage_common.settings import (
    DEV_JWT_SECRET,
    CommonSettings,
    check_secret,
    register_development_secret,
)
from brokerage_common.worker import run_until_stopped

PG_URL = "postgresql+asyncpg://u@db:5432/service"
REAL_SECRET = "a-real-production-secret-0123456789"


@pytest.mark.parametrize("environment", ["local", "test", "TEST", " Local "])
def test_local_and_test_fall_back_to_the_dev_secret(environment: str) -> None:
    settings = CommonSettings(environment=environment)
    assert settings.auth_jwt_secret == DEV_JWT_SECRET
    assert settings.environment == environment.strip().lower()
    assert not settings.protected


@pytest.mark.parametrize("environment", ["production", "Production", "staging", " STAGING"])
def test_other_environments_need_a_real_key(environment: str) -> None:
    with pytest.raises(ValueError, match="AUTH_JWT"):
        CommonSettings(environment=environment, database_url=PG_URL)
    with pytest.raises(ValueError, match="development value"):
        CommonSettings(environment=environment, auth_jwt_secret=DEV_JWT_SECRET, database_url=PG_URL)
    ok = CommonSettings(environment=environment, auth_jwt_secret=REAL_SECRET, database_url=PG_URL)
    assert ok.auth_jwt_secret == REAL_SECRET
    assert ok.protected
    with_key = CommonSettings(
        environment=environment,
        auth_jwt_public_key="-----BEGIN PUBLIC KEY-----",
        database_url=PG_URL,
    )
    assert with_key.auth_jwt_secret is None


@pytest.mark.parametrize("environment", ["prod", "dev", "production-eu", ""])
def test_an_unknown_environment_is_refused_not_guessed(environment: str) -> None:
    with pytest.raises(ValueError, match="environment"):
        CommonSettings(environment=environment)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("abcde", "at least 32 bytes"),
        ("x" * 31, "at least 32 bytes"),
        (DEV_JWT_SECRET + " ", "development value"),
        ("\t" + DEV_JWT_SECRET + "\n", "development value"),
        ("  " + "s" * 20 + "  " + " " * 20, "at least 32 bytes"),  # padding is not length
    ],
)
@pytest.mark.parametrize("environment", ["staging", "production"])
def test_weak_secrets_are_refused_outside_local_and_test(
    environment: str, secret: str, why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        CommonSettings(environment=environment, auth_jwt_secret=secret, database_url=PG_URL)


def test_a_secret_is_stripped_and_32_bytes_suffice() -> None:
    s = CommonSettings(
        environment="production", auth_jwt_secret=" " + "k" * 32 + "\n", database_url=PG_URL
    )
    assert s.auth_jwt_secret == "k" * 32
    # Bytes, not characters: 11 CJK characters are 33 bytes.
    assert (
        CommonSettings(
            environment="production", auth_jwt_secret="密" * 11, database_url=PG_URL
        ).auth_jwt_secret
        == "密" * 11
    )


def test_a_registered_development_value_is_refused_under_any_setting() -> None:
    dev = register_development_secret("some-service-local-key-0123456789abcdef")
    with pytest.raises(ValueError, match="development value"):
        check_secret(dev, name="X_KEY", environment="staging")
    assert check_secret(dev, name="X_KEY", environment="local") == dev


def test_production_refuses_sqlite() -> None:
    with pytest.raises(ValueError, match="SQLite"):
        CommonSettings(
            environment="production",
            auth_jwt_secret=REAL_SECRET,
            database_url="sqlite+aiosqlite:///./data/x.db",
        )


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@h:5432/db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("AUTH_JWT_SECRET", "from-the-environment-0123456789abcdef")
    settings = CommonSettings()
    assert settings.database_url == "postgresql+asyncpg://u@h:5432/db"
    assert not settings.is_sqlite
    assert settings.kafka_bootstrap_servers == "k1:9092,k2:9092"
    assert settings.auth_jwt_secret == "from-the-environment-0123456789abcdef"
    assert CommonSettings(database_url="sqlite+aiosqlite:///x.db").is_sqlite


async def test_run_until_stopped_stops_every_loop_on_sigterm() -> None:
    stopped: list[str] = []

    def loop_named(name: str):  # type: ignore[no-untyped-def]
        async def run(stop: asyncio.Event) -> None:
            await stop.wait()
            stopped.append(name)

        return run

    async def send_sigterm(_stop: asyncio.Event) -> None:
        await asyncio.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)

    await asyncio.wait_for(
        run_until_stopped([loop_named("consumer"), loop_named("relay"), send_sigterm]), timeout=5
    )
    assert sorted(stopped) == ["consumer", "relay"]
    # The handlers are gone again: SIGTERM would no longer be swallowed by a finished worker.
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


async def test_run_until_stopped_stops_the_others_and_reraises_a_crash() -> None:
    stopped: list[str] = []

    async def healthy(stop: asyncio.Event) -> None:
        await stop.wait()
        stopped.append("healthy")

    async def crashing(_stop: asyncio.Event) -> None:
        await asyncio.sleep(0.05)
        raise RuntimeError("consumer loop died")

    with pytest.raises(RuntimeError, match="consumer loop died"):
        await asyncio.wait_for(run_until_stopped([healthy, crashing]), timeout=5)
    assert stopped == ["healthy"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
