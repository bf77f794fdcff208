"""Set-based writes for hot paths: one statement per batch, whatever its size.

On PostgreSQL rows travel as one array per column through ``unnest`` (asyncpg encodes
them in binary; the statement text is the same for every batch, so it is prepared
once). On SQLite the same statement shape runs as an executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Numeric, Table, any_, bindparam, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def is_postgres(session: AsyncSession) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def _pg_type(table: Table, column: str) -> str:
    return str(table.c[column].type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


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
        arrays = ", ".join(f"CAST(:c{i} AS {_pg_type(table, c)}[])" for i, c in enumerate(columns))
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
        params = {f"c{i}": [r[c] for r in rows] for i, c in enumerate(columns)}
        result = await session.execute(text(sql), params)
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


def in_values(
    session: AsyncSession, column: ColumnElement[Any], values: Sequence[Any], name: str
) -> ColumnElement[bool]:
    """``column IN values`` as one array parameter on PostgreSQL (no per-value placeholders)."""
    if is_postgres(session):
        return column == any_(bindparam(name, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))
