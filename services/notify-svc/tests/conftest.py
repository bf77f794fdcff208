"""Fixtures of the notify-svc tests: the real SMS gateway stand-in over HTTP, a clock, a database.

The stand-in (and, where a test needs callbacks, the notify-svc API) run with uvicorn in a
background thread on a free loopback port, each with its own event loop. Helpers live in
``notify_testkit`` (importable from the test modules: importlib mode cannot import conftest).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import MetaData

sys.path.insert(0, str(Path(__file__).parent))

from notify_testkit import GATEWAY_KEY, FakeClock, Gateway, ThreadedServer

from brokerage_common import Database
from notify_svc.config import Settings
from notify_svc.models import metadata
from notify_svc.templates import service as templates
from notify_svc.worker import Notifier
from sms_gateway_standin import Settings as StandinSettings
from sms_gateway_standin import create_app as create_standin


@pytest.fixture(scope="session")
def standin_server() -> Iterator[ThreadedServer]:
    settings = StandinSettings(
        key=GATEWAY_KEY, callback_url=None, reply_url=None, report_delay_ms=20
    )
    server = ThreadedServer(create_standin(settings)).start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def gateway(standin_server: ThreadedServer) -> AsyncIterator[Gateway]:
    gw = Gateway(standin_server.url)
    await gw.reset()
    await gw.control(callback_url=None, reply_url=None, report_linger_ms=5, seed=1)
    yield gw
    await gw.reset()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str, standin_server: ThreadedServer) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        kafka_bootstrap_servers="127.0.0.1:1",
        log_json=False,
        sms_gateway_url=standin_server.url,
        sms_gateway_key=GATEWAY_KEY,
        sms_timeout_s=2.0,
        im_webhook_url="",
        smtp_host="",
        retry_base_s=1.0,
        retry_max_s=60.0,
        unknown_query_delay_s=5.0,
        report_grace_s=600.0,
        circuit_cooldown_s=300.0,
        db_pool_size=5,
    )


@pytest_asyncio.fixture
async def db(
    make_database: Callable[[MetaData], Awaitable[Database]], clock: FakeClock
) -> Database:
    database = await make_database(metadata)
    async with database.sessionmaker() as session:
        await templates.ensure_default_templates(session, now=clock())
        await session.commit()
    return database


@pytest_asyncio.fixture
async def notifier(settings: Settings, db: Database, clock: FakeClock) -> AsyncIterator[Notifier]:
    n = Notifier(settings, db, clock=clock, rand=lambda: 0.5)
    yield n
    await n.aclose()


@pytest.fixture
def api_server(settings: Settings, db: Database, clock: FakeClock) -> Iterator[ThreadedServer]:
    """The notify-svc API on a real port, where the stand-in posts its callbacks."""
    from notify_svc.main import create_app

    server = ThreadedServer(create_app(settings, clock=clock)).start()
    yield server
    server.stop()
