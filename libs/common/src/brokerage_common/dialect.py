"""The one place that knows which database a session talks to.

PostgreSQL is the production database; SQLite is the zero-setup default of `make run` and
of the default test run (ADR 0009). Service code asks this module for a dialect-specific
statement instead of reading ``session.bind.dialect`` itself, so the difference between the
two stays here and in ``bulk`` (the fast paths, ADR 0007).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.dml import Insert

Bindable = AsyncSession | AsyncConnection


def dialect_name(bind: Bindable) -> str:
    """``"postgresql"`` or ``"sqlite"``."""
    engine_bind = bind.get_bind() if isinstance(bind, AsyncSession) else bind
    return engine_bind.dialect.name


def is_postgresql(bind: Bindable) -> bool:
    return dialect_name(bind) == "postgresql"


async def begin_write(session: AsyncSession) -> None:
    """Hold the database's write lock from now until this transaction ends, so that what it
    reads next is what its writes will find.

    SQLite: ``BEGIN IMMEDIATE``, unless this transaction has written (and so holds the lock)
    already. Python's sqlite3 in its legacy transaction mode runs a SELECT outside any
    transaction and begins one only before the first INSERT/UPDATE: a read-decide-write
    would otherwise decide on rows another connection changes before the write. PostgreSQL:
    nothing; there ``SELECT ... FOR UPDATE`` locks the rows it reads (in READ COMMITTED it
    waits for a concurrent writer and reads the row as that one committed it).
    """
    if is_postgresql(session):
        return
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    if not getattr(raw.driver_connection, "in_transaction", True):
        await conn.exec_driver_sql("BEGIN IMMEDIATE")


def insert(bind: Bindable, table: Table | Any) -> Any:
    """The dialect's ``INSERT`` for ``table`` (a Table or a mapped class): it has
    ``on_conflict_do_nothing`` / ``on_conflict_do_update`` and ``excluded`` on both backends."""
    target = getattr(table, "__table__", table)
    if is_postgresql(bind):
        return postgresql.insert(target)
    return sqlite.insert(target)


def insert_ignoring_duplicates(
    bind: Bindable, table: Table | Any, *, keys: Sequence[str] | None = None
) -> Insert:
    """``INSERT ... ON CONFLICT [(keys)] DO NOTHING``: the idempotent write of a fact that may
    arrive twice (a redelivered event, a retried request)."""
    stmt = insert(bind, table)
    return stmt.on_conflict_do_nothing(index_elements=list(keys) if keys else None)  # type: ignore[no-any-return]


def upsert(
    bind: Bindable,
    table: Table | Any,
    *,
    keys: Sequence[str],
    update: Iterable[str] | None = None,
    set_: Mapping[str, Any] | None = None,
) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` that sets ``update`` columns from the new row
    (``excluded``) and ``set_`` columns to the given expressions."""
    stmt = insert(bind, table)
    values: dict[str, Any] = {c: stmt.excluded[c] for c in (update or ())}
    values.update(set_ or {})
    if not values:
        return stmt.on_conflict_do_nothing(index_elements=list(keys))  # type: ignore[no-any-return]
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=values)  # type: ignore[no-any-return]


__all__ = [
    "begin_write",
    "dialect_name",
    "insert",
    "insert_ignoring_duplicates",
    "is_postgresql",
    "upsert",
]
