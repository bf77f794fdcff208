"""The dialect seam: one INSERT ... ON CONFLICT that behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import Column, Integer, MetaData, String, Table, select

from brokerage_common import Database, dialect

metadata = MetaData()
thing = Table(
    "thing",
    metadata,
    Column("key", String(8), primary_key=True),
    Column("n", Integer, nullable=False),
)


async def test_ignoring_duplicates_and_upsert(
    make_database: Callable[[MetaData], Awaitable[Database]],
) -> None:
    db = await make_database(metadata)
    async with db.sessionmaker() as session:
        assert dialect.dialect_name(session) in {"sqlite", "postgresql"}
        stmt = dialect.insert_ignoring_duplicates(session, thing, keys=["key"])
        await session.execute(stmt, [{"key": "a", "n": 1}, {"key": "b", "n": 2}])
        await session.execute(stmt, [{"key": "a", "n": 99}])  # a redelivery changes nothing
        up = dialect.upsert(session, thing, keys=["key"], update=["n"])
        await session.execute(up, [{"key": "b", "n": 5}, {"key": "c", "n": 7}])
        await session.commit()
        rows = dict((await session.execute(select(thing.c.key, thing.c.n))).tuples().all())
    assert rows == {"a": 1, "b": 5, "c": 7}
    await db.dispose()
