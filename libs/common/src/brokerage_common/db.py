"""Async engine, sessions and the per-service table base (SQLite locally, PostgreSQL in prod)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

# Stable constraint names, so Alembic migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_registry() -> registry:
    """A registry with its own metadata, so each service's tables stay its own.

    Several services are imported into one test process; with the global
    ``SQLModel.metadata`` every service's ``create_all`` would create every table.
    A service declares ``class Base(SQLModel, registry=service_registry())``: a class
    statement mypy can check, where ``service_base()``'s class, made at run time, is not
    a valid base class to it.
    """
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def service_base() -> type[SQLModel]:
    """A SQLModel base on its own ``service_registry()`` (untyped callers; see there)."""

    class Base(SQLModel, registry=service_registry()):
        pass

    return Base


def make_engine(
    url: str, *, pool_size: int = 10, echo: bool = False, batch_plans: bool = False
) -> AsyncEngine:
    """Create the async engine with the settings each backend needs to be safe under load.

    ``batch_plans`` (workers): PostgreSQL plans every statement for its actual arguments.
    A prepared statement otherwise switches to a generic plan after five runs, made
    while the table was small; a consumer's ``customer_id = ANY($1)`` read then stayed a
    sequential scan as the table grew and the ingest slowed down batch after batch
    (bench/ingest.py). Planning once per batch of thousands of rows costs nothing.
    """
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        if batch_plans:
            kwargs["connect_args"] = {"server_settings": {"plan_cache_mode": "force_custom_plan"}}
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the API read while the worker writes; busy_timeout waits for the lock
        # instead of failing; foreign keys are off by default in SQLite.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class Database:
    """An engine with its session factory; the app and the worker each own one."""

    def __init__(self, url: str, *, pool_size: int = 10, batch_plans: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, batch_plans=batch_plans)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    async def session(self) -> AsyncIterator[AsyncSession]:
        """FastAPI dependency: one session per request; the route commits, never the service."""
        async with self.sessionmaker() as session:
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
            return False

    async def create_all(self, metadata: MetaData) -> None:
        """Create tables directly: tests and the zero-setup local run only (production: Alembic)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def dispose(self) -> None:
        await self.engine.dispose()
