"""Set-based writes and keyed reads (brokerage_common.bulk) on a real database."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    func,
    select,
    text,
)
from sqlmodel.sql.sqltypes import UTCDateTime

from brokerage_common.bulk import (
    DuplicateKeyError,
    _pg_column,
    copy_lines,
    copy_template,
    copy_text,
    in_values,
    insert_rows,
    rows_by_keys,
    upsert_columns,
    upsert_rows,
)

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
                f"EXPLAIN {compiled}", *(compiled.params[p] for p in compiled.positiontup or ())
            )
        )
        found = (await session.execute(stmt)).mappings().all()
    assert "Index Scan using uq_bulk_ledger_key" in plan or "bulk_ledger_key_key" in plan, plan
    assert "Seq Scan on bulk_ledger" not in plan, plan
    assert [r["key"] for r in found] == keys[:1]  # only k100000 exists


@pytest.mark.postgres_only
@on_pg
async def test_copy_lines_escapes_free_text_and_is_part_of_the_transaction(make_database) -> None:
    db = await make_database(metadata)
    nasty = "a\tb\\c\nd\re"
    line = f"{copy_text(nasty)}\tC1\t0.10\n" + f"{copy_text('k2')}\tC1\t1999.99\n"
    async with db.sessionmaker() as session:
        await copy_lines(session, "bulk_ledger", ("key", "customer_id", "points"), [line])
        rows = (await session.execute(select(ledger.c.key, ledger.c.points).order_by("id"))).all()
        assert rows == [(nasty, Decimal("0.10")), ("k2", Decimal("1999.99"))]
        await session.rollback()
    async with db.sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(ledger))).scalar() == 0


@pytest.mark.postgres_only
@on_pg
async def test_copy_lines_refuses_a_known_key_and_writes_nothing_of_the_copy(make_database) -> None:
    db = await make_database(metadata)
    async with db.sessionmaker() as session:
        await insert_rows(session, ledger, [{"key": "k1", "customer_id": "C1", "points": 1}])
        with pytest.raises(DuplicateKeyError) as caught:
            async with session.begin_nested():
                await copy_lines(
                    session,
                    "bulk_ledger",
                    ("key", "customer_id", "points"),
                    ["k0\tC1\t2\n", "k1\tC2\t3\n"],
                )
        assert (
            caught.value.constraint == "bulk_ledger_key_key"
        )  # this plain MetaData names no constraints
        # The savepoint is undone, the transaction goes on.
        await session.commit()
        rows = (await session.execute(select(ledger.c.key, ledger.c.points))).all()
    assert rows == [("k1", Decimal(1))]


@pytest.mark.parametrize(
    "keys",
    [
        ["a", "b", "c"],  # joined into one text parameter
        ["a,b", "c", ""],  # a comma or an empty key: an array parameter instead
        [""],
    ],
)
async def test_text_values_round_trip_whichever_way_they_travel(make_database, keys) -> None:
    db = await make_database(metadata)
    async with db.sessionmaker() as session:
        await insert_rows(
            session,
            ledger,
            [{"key": k, "customer_id": "C1", "points": Decimal("0.05")} for k in keys],
        )
        await upsert_columns(
            session,
            ledger,
            {
                "key": keys,
                "customer_id": ["C2"] * len(keys),
                "points": [Decimal("1.10")] * len(keys),
            },
            conflict=["key"],
            add=["points"],
        )
        await session.commit()
        found = (await session.execute(rows_by_keys(session, ledger, "key", keys))).mappings()
        assert sorted((r["key"], r["points"]) for r in found) == sorted(
            (k, Decimal("1.15")) for k in keys
        )
        only = rows_by_keys(session, ledger, "key", keys, only=["key"])
        assert sorted(tuple(r) for r in await session.execute(only)) == sorted((k,) for k in keys)
        none = rows_by_keys(session, ledger, "key", ["a,", "zz"])
        assert (await session.execute(none)).all() == []


typed = Table(
    "bulk_typed",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(16), nullable=True),
    Column("on", Date, nullable=True),
    Column("at", DateTime(timezone=True), nullable=True),
    Column("at_utc", UTCDateTime, nullable=True),
    Column("naive", DateTime, nullable=True),
    Column("amount", Numeric(18, 2), nullable=True),
)
_SH = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    "rows",
    [
        # every column joined into one text
        [
            (1, "a", date(2026, 11, 23), datetime(2026, 11, 23, 9, 30, 0, 1, _SH), Decimal("1.10")),
            (2, "b", date(1999, 1, 2), datetime(2026, 1, 1, tzinfo=UTC), Decimal("-0.01")),
        ],
        # NULLs among values, text with a comma, an all-NULL column: other encodings
        [
            (1, None, date(2026, 11, 23), None, None),
            (2, "x,y", None, None, Decimal("7")),
        ],
    ],
)
async def test_typed_columns_round_trip_whichever_way_they_travel(make_database, rows) -> None:
    db = await make_database(metadata)
    full = [
        {"id": i, "label": lbl, "on": d, "at": t, "at_utc": t, "naive": None, "amount": a}
        for i, lbl, d, t, a in rows
    ]
    async with db.sessionmaker() as session:
        await insert_rows(session, typed, full)
        await session.commit()
        got = (await session.execute(select(typed).order_by(typed.c.id))).all()
    for row, want in zip(got, full, strict=True):
        assert row._mapping["label"] == want["label"]
        assert row._mapping["on"] == want["on"]
        assert row._mapping["amount"] == want["amount"]
        assert row._mapping["naive"] is None
        for col in ("at", "at_utc"):
            value = row._mapping[col]
            if want[col] is None:
                assert value is None
            else:  # the same instant (SQLite hands back what it was given, naive or not)
                assert (value if value.tzinfo else value.replace(tzinfo=UTC)) == want[col] or (
                    value == want[col].replace(tzinfo=None)
                )


def test_sqlmodel_columns_travel_as_one_text_where_exact() -> None:
    # AutoString and UTCDateTime are TypeDecorators: they must not fall back to arrays,
    # which asyncpg encodes element by element (the hot path's cost).
    from sqlmodel import Field, SQLModel

    class BulkProbe(SQLModel, table=True):
        __tablename__ = "bulk_probe"
        id: str = Field(primary_key=True, max_length=32)
        at: datetime = Field(sa_type=UTCDateTime)

    table = BulkProbe.__table__  # type: ignore[attr-defined]
    sql, param = _pg_column(table, "id", "c0", ["C1", "C2"])
    assert (sql, param) == ("CAST(string_to_array(:c0, ',') AS VARCHAR(32)[])", "C1,C2")
    at = datetime(2026, 11, 23, 9, 30, tzinfo=_SH)
    sql, param = _pg_column(table, "at", "c1", [at])
    assert sql == "CAST(string_to_array(:c1, ',') AS TIMESTAMP WITH TIME ZONE[])"
    assert param == "2026-11-23 01:30:00+00:00"  # after UTCDateTime's own bind step
    sql, param = _pg_column(table, "id", "c0", ["C,1", "C2"])
    assert (sql, param) == ("CAST(:c0 AS VARCHAR(32)[])", ["C,1", "C2"])


async def test_in_values_matches_integer_and_text_keys(make_database) -> None:
    db = await make_database(metadata)
    rows = [{"key": k, "customer_id": "C1", "points": Decimal(1)} for k in ("a", "b,c", "d")]
    async with db.sessionmaker() as session:
        await insert_rows(session, ledger, rows)
        ids = (await session.execute(select(ledger.c.id).order_by(ledger.c.id))).scalars().all()
        by_id = select(ledger.c.key).where(in_values(session, ledger.c.id, ids[:2], "ids"))
        assert sorted((await session.execute(by_id)).scalars()) == ["a", "b,c"]
        for keys in (["a", "d"], ["b,c", "d"]):  # joined text, then an array (a comma)
            by_key = select(ledger.c.key).where(in_values(session, ledger.c.key, keys, "keys"))
            assert sorted((await session.execute(by_key)).scalars()) == keys


def test_copy_template_escapes_its_constants_once_and_leaves_placeholders_to_the_caller() -> None:
    # COPY's text format: tab between fields, newline after the row, backslash escapes.
    template = copy_template(["%s", "trade:%s", "commission %s x 1.1 (silver)", "50%", "a\tb\\c"])
    assert template == "%s\ttrade:%s\tcommission %s x 1.1 (silver)\t50%%\ta\\tb\\\\c\n"
    line = template % ("C1", "T1", "117.42")
    assert line.rstrip("\n").split("\t") == [
        "C1",
        "trade:T1",
        "commission 117.42 x 1.1 (silver)",
        "50%",
        "a\\tb\\\\c",
    ]
