"""pytest plugin: fixtures for the real database (SQLite or PostgreSQL) and the real broker.

Set ``TEST_DATABASE_URL`` to a PostgreSQL server URL (``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``)
and every test database is created there (one fresh database per test) instead of a SQLite file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

from .auth import Role, issue_token
from .broker import LocalBroker
from .db import Database
from .settings import DEV_JWT_SECRET

TEST_JWT_SECRET = DEV_JWT_SECRET


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A real Tansu broker process on a free loopback port, with every platform topic created."""
    log_path = tmp_path_factory.mktemp("broker") / "tansu.log"
    b = LocalBroker(log_path=log_path).start()
    try:
        b.create_topics()
        yield b
    finally:
        b.stop()


@pytest.fixture
def bootstrap(broker: LocalBroker) -> str:
    return broker.bootstrap


def _server_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest_asyncio.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database for this test: a SQLite file, or a new PostgreSQL database."""
    server = _server_url()
    if server is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest_asyncio.fixture
async def make_database(
    database_url: str,
) -> AsyncIterator[Callable[[MetaData], Awaitable[Database]]]:
    """Factory: a Database on this test's fresh database with the given tables created."""
    created: list[Database] = []

    async def factory(metadata: MetaData) -> Database:
        db = Database(database_url, pool_size=5)
        await db.create_all(metadata)
        created.append(db)
        return db

    yield factory
    for db in created:
        await db.dispose()


@pytest.fixture
def make_token() -> Callable[..., str]:
    """Factory for signed test tokens.

    ``make_token("customer", sub="C1")``, ``make_token("staff", branch_id="B1")``.
    """

    def factory(
        role: Role,
        *,
        sub: str = "tester",
        branch_id: str | None = None,
        scopes: list[str] | None = None,
        ttl_s: int = 3600,
        secret: str = TEST_JWT_SECRET,
        staff_roles: list[str] | None = None,
    ) -> str:
        return issue_token(
            secret=secret,
            sub=sub,
            role=role,
            branch_id=branch_id,
            scopes=scopes,
            ttl_s=ttl_s,
            staff_roles=staff_roles,
        )

    return factory


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "bus: talks to a real Kafka-protocol broker")


async def table_names(database_url: str) -> set[str]:
    """The names of the tables in that database (migration tests compare them to the models)."""
    from sqlalchemy import inspect

    from .db import make_engine

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
