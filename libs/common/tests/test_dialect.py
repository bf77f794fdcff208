"""The dialect seam: one INSERT ... ON CONFLICT that behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
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
        rows = {key: n for key, n in (await session.execute(select(thing.c.key, thing.c.n))).all()}
    assert rows == {"a": 1, "b": 5, "c": 7}
    await db.dispose()


async def test_begin_write_keeps_a_read_decide_write_whole(
    make_database: Callable[[MetaData], Awaitable[Database]],
) -> None:
    """Two read-decide-writes on their own connections: each adds one to what it read. Under
    ``begin_write`` (SQLite) and ``FOR UPDATE`` (PostgreSQL) the second reads what the first
    wrote; without it, on SQLite, both read 0 and one increment is lost."""
    db = await make_database(metadata)
    async with db.sessionmaker() as session:
        await session.execute(thing.insert().values(key="a", n=0))
        await session.commit()

    async def increment() -> None:
        async with db.sessionmaker() as session:
            await dialect.begin_write(session)
            await dialect.begin_write(session)  # a second call in the same transaction: no-op
            read = select(thing.c.n).where(thing.c.key == "a").with_for_update()
            n = (await session.execute(read)).scalar_one()
            await asyncio.sleep(0.2)  # the other one runs meanwhile, and reads if it can
            await session.execute(thing.update().where(thing.c.key == "a").values(n=n + 1))
            await session.commit()

    await asyncio.gather(increment(), increment())
    async with db.sessionmaker() as session:
        assert (await session.execute(select(thing.c.n))).scalar_one() == 2
    await db.dispose()
