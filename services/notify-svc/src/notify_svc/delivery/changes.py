"""Writing what a use case decided about messages, and reading back the final ones.

The one rule: an outcome event is published only for a message whose change this
transaction made (``apply_changes`` returns those ids). Session first, never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common.dialect import begin_write

from ..models import Message, table
from ..planning.outcomes import OUTCOME_COLUMNS
from ..rules import FINAL_STATES
from ..sql import among, chunks

message_table = table(Message)
FINAL = tuple(s.value for s in FINAL_STATES)


async def apply_changes(
    session: AsyncSession,
    changes: Sequence[tuple[str, dict[str, Any]]],
    *,
    from_states: tuple[str, ...],
) -> set[str]:
    """Write per-message changes with as few statements as possible; the ids it changed.

    Messages with identical new values share one ``UPDATE ... WHERE id IN ... RETURNING id``;
    the rest go in one executemany per shape, for the rows a locked read found still in
    ``from_states``. Only rows still in ``from_states`` change: a delivery report that got
    there first is never overwritten. A caller publishes an outcome only for the ids
    returned: a concurrent transaction (another report applier, say) may have settled some
    of the others meanwhile, and it published those.
    """
    changed: set[str] = set()
    same: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for message_id, values in changes:
        same[tuple(sorted(values.items()))].append(message_id)
    singles: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for key, ids in same.items():
        values = dict(key)
        if len(ids) == 1:
            shape = tuple(sorted(values))
            singles[shape].append({"_mid": ids[0], **{f"_{k}": v for k, v in values.items()}})
            continue
        for chunk in chunks(ids, 1000):
            changed.update(
                (
                    await session.execute(
                        update(message_table)
                        .where(
                            among(session, message_table.c.id, chunk),
                            message_table.c.state.in_(from_states),
                        )
                        .values(**values)
                        .returning(message_table.c.id)
                    )
                )
                .scalars()
                .all()
            )
    if not singles:
        return changed
    # An executemany returns no ids: read under the write lock (SQLite) or row locks
    # (PostgreSQL) which rows are still in from_states; exactly those change.
    await begin_write(session)
    for shape, params in singles.items():
        stmt = (
            update(message_table)
            .where(
                message_table.c.id == bindparam("_mid"),
                or_(*(message_table.c.state == s for s in from_states)),
            )
            .values(**{k: bindparam(f"_{k}") for k in shape})
        )
        for part in chunks(params, 1000):
            still = set(
                (
                    await session.execute(
                        select(message_table.c.id)
                        .where(
                            among(session, message_table.c.id, [p["_mid"] for p in part]),
                            message_table.c.state.in_(from_states),
                        )
                        .order_by(message_table.c.id)
                        .with_for_update()
                    )
                ).scalars()
            )
            mine = [p for p in part if p["_mid"] in still]
            if mine:
                await session.execute(stmt, mine)
            changed.update(still)
    return changed


async def final_rows(session: AsyncSession, ids: Sequence[str]) -> list[Any]:
    rows: list[Any] = []
    for chunk in chunks(list(ids), 1000):
        rows += (
            await session.execute(
                select(*OUTCOME_COLUMNS).where(
                    among(session, message_table.c.id, chunk), message_table.c.state.in_(FINAL)
                )
            )
        ).all()
    return rows
