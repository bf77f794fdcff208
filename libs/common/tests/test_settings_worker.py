"""Settings refuse unsafe defaults outside local/test; the worker stops and surfaces crashes."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from brokerage_common.settings import DEV_JWT_SECRET, CommonSettings
from brokerage_common.worker import run_until_stopped


@pytest.mark.parametrize("environment", ["local", "test", "TEST"])
def test_local_and_test_fall_back_to_the_dev_secret(environment: str) -> None:
    settings = CommonSettings(environment=environment)
    assert settings.auth_jwt_secret == DEV_JWT_SECRET


@pytest.mark.parametrize("environment", ["production", "Production", "prod", "staging"])
def test_other_environments_need_a_real_key(environment: str) -> None:
    with pytest.raises(ValueError, match="AUTH_JWT"):
        CommonSettings(environment=environment)
    with pytest.raises(ValueError, match="development JWT secret"):
        CommonSettings(environment=environment, auth_jwt_secret=DEV_JWT_SECRET)
    ok = CommonSettings(
        environment=environment, auth_jwt_secret="a-real-production-secret-0123456789"
    )
    assert ok.auth_jwt_secret == "a-real-production-secret-0123456789"
    with_key = CommonSettings(
        environment=environment, auth_jwt_public_key="-----BEGIN PUBLIC KEY-----"
    )
    assert with_key.auth_jwt_secret is None


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
