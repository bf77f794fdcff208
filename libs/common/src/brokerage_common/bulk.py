"""Set-based writes for hot paths: one statement per batch, whatever its size.

On PostgreSQL rows travel as one array per column through ``unnest`` (the statement
text is the same for every batch, so it is prepared once): where exact, a column is
one comma-joined text the server splits and casts (``_pg_column``), else an array
asyncpg encodes in binary. NUMERIC columns travel as decimal text either way, which
asyncpg passes on far cheaper than it encodes NUMERIC in binary (ADR 0007, item 9).
The hottest append, the settlement ledger, is a COPY in COPY's text format
(``copy_template``, ``copy_text``, ``copy_lines``; ADR 0007, item 4).
On SQLite the same statement shape runs as an executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Numeric,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from .dialect import is_postgresql


def is_postgres(session: AsyncSession) -> bool:
    """``dialect.is_postgresql`` (the name older callers use)."""
    return is_postgresql(session)


_PG_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def _pg_type(table: Table, column: str) -> str:
    return str(table.c[column].type.compile(dialect=_PG_DIALECT))


_SEP = ","


def _pg_column(table: Table, column: str, param: str, values: Sequence[Any]) -> tuple[str, Any]:
    """One column's values as an SQL array expression and its parameter.

    asyncpg encodes an array element by element, with two ABC ``isinstance`` checks each.
    So where it is exact, a column goes as *one* comma-joined text that the
    server splits (``string_to_array``) and casts: text, NUMERIC, integers, dates and
    aware timestamps, none of them NULL and no text holding a comma. A column of only
    NULLs is ``array_fill``. Anything else goes as an array parameter, NUMERIC as text
    (module docstring).
    """
    pg_type = _pg_type(table, column)
    sql_type, values = _undecorated(table.c[column].type, values)
    if values.count(None) == len(values):
        fill = f"array_fill(CAST(NULL AS {pg_type}), ARRAY[CAST(:{param} AS INTEGER)])"
        return fill, len(values)
    joined = _joined(sql_type, values)
    if joined is not None:
        return f"CAST(string_to_array(:{param}, '{_SEP}') AS {pg_type}[])", joined
    if isinstance(sql_type, Numeric):
        texts = [None if v is None else str(v) for v in values]
        return f"CAST(CAST(:{param} AS TEXT[]) AS {pg_type}[])", texts
    return f"CAST(:{param} AS {pg_type}[])", list(values)


def _undecorated(sql_type: Any, values: Sequence[Any]) -> tuple[Any, Sequence[Any]]:
    """A TypeDecorator's (sqlmodel's AutoString, UTCDateTime) own type, and the values after
    its bind step, if it has one."""
    if isinstance(sql_type, TypeDecorator):
        if type(sql_type).process_bind_param is not TypeDecorator.process_bind_param:
            values = [sql_type.process_bind_param(v, _PG_DIALECT) for v in values]
        return sql_type.impl_instance, values
    return sql_type, values


def _joined(sql_type: Any, values: Sequence[Any]) -> str | None:
    """The values as one ``_SEP``-joined text, or None if it would not split back into them."""
    if None in values:
        return None
    texts: Iterable[str]
    if isinstance(sql_type, String):
        if set(map(type, values)) != {str}:  # not an Enum column's members, say
            return None
        texts = values
    elif isinstance(sql_type, Numeric):
        texts = map(str, values)
    elif isinstance(sql_type, Integer):
        if set(map(type, values)) != {int}:  # not bool, an int that prints True
            return None
        texts = map(str, values)
    elif isinstance(sql_type, DateTime):
        distinct = set(values)  # a batch's timestamps are mostly one "now": str() each once
        if not (
            sql_type.timezone
            and all(type(v) is datetime and v.tzinfo is not None for v in distinct)
        ):
            return None
        text_of = {v: str(v) for v in distinct}  # 2026-11-23 09:30:00.000001+08:00
        texts = map(text_of.__getitem__, values)
    elif isinstance(sql_type, Date):
        distinct = set(values)  # a batch's dates are a few days
        if not all(type(v) is date for v in distinct):
            return None
        text_of = {v: str(v) for v in distinct}
        texts = map(text_of.__getitem__, values)
    else:
        return None
    joined = _SEP.join(texts)
    if not joined or joined.count(_SEP) != len(values) - 1:
        return None
    return joined


def _pg_columns(
    table: Table, columns: Mapping[str, Sequence[Any]]
) -> tuple[str, str, dict[str, Any]]:
    """Quoted column names, the ``unnest(...)`` argument list and the parameters."""
    arrays, params = [], {}
    for i, (name, values) in enumerate(columns.items()):
        sql, params[f"c{i}"] = _pg_column(table, name, f"c{i}", values)
        arrays.append(sql)
    return ", ".join(f'"{c}"' for c in columns), ", ".join(arrays), params


def _by_column(rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    return {c: [r[c] for r in rows] for c in rows[0]}


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows in one statement (PostgreSQL: one array per column; SQLite: executemany)."""
    if not rows:
        return
    if not is_postgres(session):
        await session.execute(table.insert(), list(rows))
        return
    names, arrays, params = _pg_columns(table, _by_column(rows))
    # Identifiers come from the table definition, never from input; values are parameters.
    sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
    await session.execute(text(sql), params)


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
    if is_postgres(session):
        return await upsert_columns(
            session,
            table,
            _by_column(rows),
            conflict=conflict,
            add=add,
            replace=replace,
            returning=returning,
        )
    add, replace = list(add), list(replace)
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


async def upsert_columns(
    session: AsyncSession,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    *,
    conflict: Sequence[str],
    add: Iterable[str] = (),
    replace: Iterable[str] = (),
    returning: str | None = None,
) -> list[Any]:
    """``upsert_rows`` for values already held by column (equal lengths), as hot paths do."""
    first = next(iter(columns.values()), ())
    if not first:
        return []
    if not is_postgres(session):
        rows = [
            dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)
        ]
        return await upsert_rows(
            session, table, rows, conflict=conflict, add=add, replace=replace, returning=returning
        )
    names, arrays, params = _pg_columns(table, columns)
    sets = [f'"{c}" = {table.name}."{c}" + EXCLUDED."{c}"' for c in add]
    sets += [f'"{c}" = EXCLUDED."{c}"' for c in replace]
    action = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
    # Identifiers come from the table definition, never from input; values are parameters.
    keys = ", ".join(f'"{c}"' for c in conflict)
    sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608
    sql += f"ON CONFLICT ({keys}) {action}"
    if returning:
        sql += f' RETURNING "{returning}"'
    result = await session.execute(text(sql), params)
    return list(result.scalars()) if returning else []


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

    Text without a backslash or a control character, the usual case, is returned as it is
    after two C-level scans, cheaper than ``translate``.
    """
    if value.isprintable() and "\\" not in value:
        return value
    return value.translate(_COPY_TEXT_ESCAPES)


def copy_template(fields: Sequence[str]) -> str:
    """One line of COPY's text format as a ``%`` template: the fields in column order, each a
    constant or holding ``%s`` placeholders (``"trade:%s"``).

    Constants are escaped here (``copy_text``) and their ``%`` doubled, so a line costs one
    ``%`` format at run time. A value filled into a placeholder must be escaped by the
    caller unless its alphabet cannot need it (digits, dates, validated identifiers).
    """
    escaped = (
        "%s".join(copy_text(part).replace("%", "%%") for part in field.split("%s"))
        for field in fields
    )
    return "\t".join(escaped) + "\n"


async def copy_lines(
    session: AsyncSession, table: str, columns: Sequence[str], lines: Iterable[str]
) -> None:
    """PostgreSQL only: COPY rows given as lines of COPY's text format into ``table``, in the
    session's transaction. Every field of a line must already be escaped (``copy_text``),
    unless its alphabet cannot need it (digits, dates, validated identifiers).

    For the hottest appends: the server parses the text (NUMERIC, dates) far cheaper than
    asyncpg encodes the same values in binary (ADR 0007), and a COPY is written
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
        # A buffer, not a file: asyncpg reads a file-like source on its executor thread (two
        # thread handoffs per COPY for data already in memory), and takes bytes for a path.
        await raw.copy_to_table(  # type: ignore[union-attr]
            table, source=memoryview(payload), columns=list(columns), format="text"
        )
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateKeyError(exc.constraint_name) from None


def rows_by_keys(
    session: AsyncSession,
    table: Table,
    column: str,
    keys: Sequence[Any],
    *where: ColumnElement[bool],
    only: Sequence[str] | None = None,
) -> Select[Any]:
    """``SELECT * FROM table WHERE column IN keys [AND where]``, planned the same at any size;
    with ``only``, just those columns (fewer values to send and decode).

    On PostgreSQL each key is looked up on its own (``unnest`` joined LATERAL to an
    equality on ``column``, fenced with ``OFFSET 0``): the planner can only choose an
    index lookup per key. The
    plain ``column = ANY(:keys)`` is planned from the table's statistics, and with none
    yet (a table filled since its last ANALYZE: a settlement day's ledger) the planner
    took a sequential scan of the whole table for every batch; that was 80 % of the
    ingest's database time (bench/ingest.py).
    """
    col = table.c[column]
    source: Any = [table.c[c] for c in only] if only else [table]
    if not is_postgres(session):
        return select(*source).where(col.in_(list(keys)), *where)
    k = (
        func.unnest(_key_array(col, f"{column}_keys", keys))
        .table_valued("v")
        .render_derived(name="k")
    )
    # OFFSET 0 keeps the subquery from being flattened into a plain join, which the
    # planner would be free to run as a hash join over a sequential scan again.
    one = select(*source).where(col == k.c.v, *where).offset(literal_column("0")).lateral("t")
    return select(one).select_from(k).join(one, true())


def in_values(
    session: AsyncSession, column: ColumnElement[Any], values: Sequence[Any], name: str
) -> ColumnElement[bool]:
    """``column IN values`` as one array parameter on PostgreSQL (no per-value placeholders)."""
    if is_postgres(session):
        return column == any_(_key_array(column, name, values))
    return column.in_(list(values))


def _key_array(column: ColumnElement[Any], name: str, values: Sequence[Any]) -> Any:
    """PostgreSQL: ``values`` as an array bound to ``name``: one joined text split by the
    server where that is exact (see ``_pg_column``), else an array parameter."""
    joined = _joined(*_undecorated(column.type, values))
    if joined is not None:
        split = func.string_to_array(
            bindparam(name, joined, type_=Text()), literal_column(f"'{_SEP}'")
        )
        return cast(split, ARRAY(column.type))
    return bindparam(name, list(values), type_=ARRAY(column.type))
