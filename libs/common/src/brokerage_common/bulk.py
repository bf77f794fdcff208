"""Set-based writes for hot paths: one statement per batch, whatever its size.

On PostgreSQL rows travel as one array per column through ``unnest`` (asyncpg encodes
them in binary; the statement text is the same for every batch, so it is prepared
once). NUMERIC columns travel as decimal text and are cast by the server: asyncpg's
binary NUMERIC encoding costs ~0.9 µs a value, ``str(Decimal)`` and a text array ~0.3.
On SQLite the same statement shape runs as an executemany.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Numeric,
    Select,
    Table,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def is_postgres(session: AsyncSession) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def _pg_type(table: Table, column: str) -> str:
    return str(table.c[column].type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


def _is_numeric(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, Numeric)


def _pg_array(table: Table, column: str, param: str) -> str:
    """The bound array of one column; NUMERIC arrives as text (see the module docstring)."""
    pg_type = _pg_type(table, column)
    if _is_numeric(table, column):
        return f"CAST(CAST(:{param} AS TEXT[]) AS {pg_type}[])"
    return f"CAST(:{param} AS {pg_type}[])"


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows in one statement (PostgreSQL: one array per column; SQLite: executemany)."""
    if not rows:
        return
    if not is_postgres(session):
        await session.execute(table.insert(), list(rows))
        return
    columns = list(rows[0])
    arrays = ", ".join(_pg_array(table, c, f"c{i}") for i, c in enumerate(columns))
    names = ", ".join(f'"{c}"' for c in columns)
    # Identifiers come from the table definition, never from input; values are parameters.
    sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
    await session.execute(text(sql), _column_params(table, columns, rows))


def _column_params(
    table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> dict[str, list[Any]]:
    return {
        f"c{i}": [r[c] for r in rows]
        if not _is_numeric(table, c)
        else [None if r[c] is None else str(r[c]) for r in rows]
        for i, c in enumerate(columns)
    }


async def upsert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    add: Iterable[str] = (),
    replace: Iterable[str] = (),
    returning: str | None = None,
) -> list[Any]:
    """INSERT rows; on a conflict of ``conflict`` columns do nothing, or add to / replace columns.

    ``add``: ``col = table.col + excluded.col`` (balances, counters). ``replace``:
    ``col = excluded.col``. With ``returning``, the values of that column for rows
    actually inserted or updated come back.
    """
    if not rows:
        return []
    columns = list(rows[0])
    add, replace = list(add), list(replace)
    if is_postgres(session):
        arrays = ", ".join(_pg_array(table, c, f"c{i}") for i, c in enumerate(columns))
        sets = [f'"{c}" = {table.name}."{c}" + EXCLUDED."{c}"' for c in add]
        sets += [f'"{c}" = EXCLUDED."{c}"' for c in replace]
        action = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
        # Identifiers come from the table definition, never from input; values are parameters.
        names = ", ".join(f'"{c}"' for c in columns)
        keys = ", ".join(f'"{c}"' for c in conflict)
        sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608
        sql += f"ON CONFLICT ({keys}) {action}"
        if returning:
            sql += f' RETURNING "{returning}"'
        result = await session.execute(text(sql), _column_params(table, columns, rows))
        return list(result.scalars()) if returning else []
    ins = sqlite.insert(table)
    if add or replace:
        # SQLite does NUMERIC arithmetic in binary floating point: round to the column's
        # scale at every change, or 1999.70 + 3 x 0.10 ends up a hair below 2,000.
        set_: dict[str, Any] = {c: _exact_sum(table.c[c], ins.excluded[c]) for c in add}
        set_.update({c: ins.excluded[c] for c in replace})
        stmt = ins.on_conflict_do_update(index_elements=list(conflict), set_=set_)
    else:
        stmt = ins.on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        out: list[Any] = []
        for i in range(0, len(rows), 500):
            chunk = rows[i : i + 500]
            out.extend(
                (await session.execute(stmt.values(chunk).returning(table.c[returning]))).scalars()
            )
        return out
    await session.execute(stmt, list(rows))
    return []


def _exact_sum(column: Any, excluded: Any) -> Any:
    scale = getattr(column.type, "scale", None)
    total = column + excluded
    return (
        func.round(total, scale)
        if isinstance(column.type, Numeric) and scale is not None
        else total
    )


class DuplicateKeyError(Exception):
    """A COPY met a unique constraint (``constraint``: its name); nothing of it was written."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__(f"duplicate key for {constraint}")
        self.constraint = constraint


_COPY_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str) -> str:
    """``value`` as one field of COPY's text format (backslash, tab, newline, CR escaped).

    Letters and digits, the usual case for identifiers, are returned as they are.
    """
    return value if value.isalnum() else value.translate(_COPY_TEXT_ESCAPES)


async def copy_lines(
    session: AsyncSession, table: str, columns: Sequence[str], lines: Iterable[str]
) -> None:
    """PostgreSQL only: COPY rows given as lines of COPY's text format into ``table``, in the
    session's transaction. Every field of a line must already be escaped (``copy_text``),
    unless its alphabet cannot need it (digits, dates, validated identifiers).

    For the hottest appends: the server parses the text (NUMERIC, dates) far cheaper than
    asyncpg encodes the same values in binary (~1.5 µs a NUMERIC), and a COPY is written
    with batched heap inserts. A unique violation raises :class:`DuplicateKeyError`; the
    caller's transaction (or savepoint) is then aborted and must be rolled back.
    """
    import asyncpg  # PostgreSQL only

    payload = "".join(lines).encode()
    conn = await session.connection()
    raw = (await conn.get_raw_connection()).driver_connection
    if not raw.is_in_transaction():  # type: ignore[union-attr]
        # SQLAlchemy's asyncpg adapter begins its transaction at the first statement; a COPY
        # on the bare connection before it would commit on its own.
        await session.execute(text("SELECT 1"))
    try:
        await raw.copy_to_table(  # type: ignore[union-attr]
            table, source=io.BytesIO(payload), columns=list(columns), format="text"
        )
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateKeyError(exc.constraint_name) from None


def rows_by_keys(
    session: AsyncSession,
    table: Table,
    column: str,
    keys: Sequence[Any],
    *where: ColumnElement[bool],
) -> Select[Any]:
    """``SELECT * FROM table WHERE column IN keys [AND where]``, planned the same at any size.

    On PostgreSQL each key is looked up on its own (``unnest`` joined LATERAL to an
    equality on ``column``, fenced with ``OFFSET 0``): the planner can only choose an
    index lookup per key. The
    plain ``column = ANY(:keys)`` is planned from the table's statistics, and with none
    yet (a table filled since its last ANALYZE: a settlement day's ledger) the planner
    took a sequential scan of the whole table for every batch; that was 80 % of the
    ingest's database time (bench/ingest.py).
    """
    col = table.c[column]
    if not is_postgres(session):
        return select(table).where(col.in_(list(keys)), *where)
    k = (
        func.unnest(bindparam(f"{column}_keys", list(keys), type_=ARRAY(col.type)))
        .table_valued("v")
        .render_derived(name="k")
    )
    # OFFSET 0 keeps the subquery from being flattened into a plain join, which the
    # planner would be free to run as a hash join over a sequential scan again.
    one = select(table).where(col == k.c.v, *where).offset(literal_column("0")).lateral("t")
    return select(one).select_from(k).join(one, true())


def in_values(
    session: AsyncSession, column: ColumnElement[Any], values: Sequence[Any], name: str
) -> ColumnElement[bool]:
    """``column IN values`` as one array parameter on PostgreSQL (no per-value placeholders)."""
    if is_postgres(session):
        return column == any_(bindparam(name, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))
