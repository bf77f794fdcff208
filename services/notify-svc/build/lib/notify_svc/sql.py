"""Statement helpers the notify use cases share: chunking, ``IN`` lists, and commits that
need not wait for the disk.

The dialect is asked through ``brokerage_common.dialect`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import BigInteger, CursorResult, Executable, String, any_, literal, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common.dialect import is_postgresql

T = TypeVar("T")
CHUNK = 1000


def chunks(items: Sequence[T], size: int = CHUNK) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def among(session: AsyncSession, column: Any, values: Sequence[Any]) -> Any:
    """``column IN (values)``; on PostgreSQL ``= ANY(array)``: one parameter, not thousands."""
    if not is_postgresql(session):
        return column.in_(list(values))
    element = BigInteger() if values and isinstance(values[0], int) else String()
    return column == any_(literal(list(values), postgresql.ARRAY(element)))


async def allow_async_commit(session: AsyncSession) -> None:
    """Let PostgreSQL acknowledge this transaction's commit before its WAL reaches the disk
    (``synchronous_commit = off`` for this transaction; it commits nothing itself).

    Only for transactions whose loss after a database crash is harmless: recorded outcomes
    (their messages stay submitting, and the reconciler asks the provider), applied reports
    (kept raw and applied again), expanded campaign chunks (expanded again, deduplicated).
    Never for the claim: "submitting" must be durable before the HTTP call.
    """
    if is_postgresql(session):
        await session.execute(text("SET LOCAL synchronous_commit = off"))


async def rows_changed(session: AsyncSession, statement: Executable) -> int:
    """Run an INSERT, UPDATE or DELETE; how many rows it changed."""
    # A DML statement's result is a CursorResult, which has the rowcount.
    result = cast(CursorResult[Any], await session.execute(statement))
    return max(0, int(result.rowcount or 0))
