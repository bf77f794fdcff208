"""Set-based writes and keyed reads (brokerage_common.bulk) on a real database."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, select, text

from brokerage_common.bulk import copy_to_stage, insert_rows, rows_by_keys, upsert_rows

metadata = MetaData()
ledger = Table(
    "bulk_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("customer_id", String(32), nullable=False),
    Column("points", Numeric(18, 2), nullable=False),
)
on_pg = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL")


async def test_numeric_values_travel_exactly_and_upserts_add(make_database) -> None:
    db = await make_database(metadata)
    rows = [
        {"key": f"k{i}", "customer_id": "C1", "points": Decimal(v)}
        for i, v in enumerate(["1999.99", "0.01", "123456789012345.67"])
    ]
    async with db.sessionmaker() as session:
        await insert_rows(session, ledger, rows)
        await upsert_rows(
            session,
            ledger,
            [{"key": "k0", "customer_id": "C1", "points": Decimal("0.01")}],
            conflict=["key"],
            add=["points"],
        )
        await session.commit()
        got = dict((await session.execute(select(ledger.c.key, ledger.c.points))).all())
    assert got == {
        "k0": Decimal("2000.00"),
        "k1": Decimal("0.01"),
        "k2": Decimal("123456789012345.67"),
    }


async def test_rows_by_keys_returns_the_rows_of_those_keys_only(make_database) -> None:
    db = await make_database(metadata)
    async with db.sessionmaker() as session:
        await insert_rows(
            session,
            ledger,
            [{"key": f"k{i}", "customer_id": f"C{i % 3}", "points": Decimal(i)} for i in range(30)],
        )
        stmt = rows_by_keys(session, ledger, "customer_id", ["C1", "C9"], ledger.c.points < 20)
        rows = (await session.execute(stmt)).mappings().all()
    assert sorted(r["key"] for r in rows) == sorted(f"k{i}" for i in range(1, 20, 3))


@pytest.mark.postgres_only
@on_pg
async def test_rows_by_keys_looks_each_key_up_in_the_index_even_without_statistics(
    make_database,
) -> None:
    # A table filled since its last ANALYZE (here: never analysed) looks tiny to the planner;
    # ``key = ANY(:keys)`` then became a sequential scan of all of it for every batch.
    db = await make_database(metadata)
    keys = [f"k{i:06d}" for i in range(100_000, 105_000)]
    async with db.sessionmaker() as session:
        await session.execute(
            text(
                "INSERT INTO bulk_ledger (key, customer_id, points) "
                "SELECT 'k' || lpad(i::text, 6, '0'), 'C' || (i / 5), 1 "
                "FROM generate_series(1, 100000) AS i"
            )
        )
        stmt = rows_by_keys(session, ledger, "key", keys)
        compiled = stmt.compile(dialect=session.get_bind().dialect)
        conn = await session.connection()
        raw = (await conn.get_raw_connection()).driver_connection
        plan = "\n".join(
            r[0]
            for r in await raw.fetch(  # type: ignore[union-attr]
                f"EXPLAIN {compiled}", keys
            )
        )
        found = (await session.execute(stmt)).mappings().all()
    assert "Index Scan using uq_bulk_ledger_key" in plan or "bulk_ledger_key_key" in plan, plan
    assert "Seq Scan on bulk_ledger" not in plan, plan
    assert [r["key"] for r in found] == keys[:1]  # only k100000 exists


@pytest.mark.postgres_only
@on_pg
async def test_copy_to_stage_is_part_of_the_transaction_and_empties_at_commit(
    make_database,
) -> None:
    db = await make_database(metadata)
    columns = (("n", "INTEGER"), ("word", "TEXT"), ("amount", "TEXT"))
    async with db.sessionmaker() as session:
        await copy_to_stage(session, "bulk_stage", columns, [(1, "a\tb", "0.10"), (2, None, "5")])
        rows = (
            await session.execute(text("SELECT n, word, CAST(amount AS NUMERIC) FROM bulk_stage"))
        ).all()
        assert rows == [(1, "a\tb", Decimal("0.10")), (2, None, Decimal(5))]
        await session.rollback()
    async with db.sessionmaker() as session:
        # Made again on a connection that may not have it yet; whatever it held is gone.
        await copy_to_stage(session, "bulk_stage", columns, [(3, "c", "1")])
        await session.commit()
        assert (await session.execute(text("SELECT count(*) FROM bulk_stage"))).scalar() == 0
