"""Housekeeping: published outbox rows and processed-event ids pruned after their retention.

Both tables grow with every event for as long as a service runs. A published outbox row
is only history once its retention has passed, and a ``processed_event`` id only has to
outlive any redelivery of its event (a consumer that no longer finds the id would apply
the event again), so the retention is days (``RETENTION_DAYS``, default 7), far beyond a
broker's redelivery after a crash or a rebalance. A pass runs every ``PRUNE_INTERVAL_S``
(600) in windows of ``PRUNE_BATCH_SIZE`` (5,000) rows.

The hot path must not notice it: rows are deleted in bounded windows, each its own short
transaction, so no statement scans or locks more than a window's rows and the rows it
locks are old ones nobody else writes:

- ``outbox_event`` by id range (its primary key), oldest first, stopping at the first
  row created after the cutoff; an unpublished row is never deleted;
- ``processed_event`` (keyed by random event ids, no useful order) by physical
  position: PostgreSQL's TID range scan (``ctid`` between two blocks, PostgreSQL 14+),
  SQLite's ``rowid`` range. Neither needs an index on ``processed_at``, which would
  cost every claim on the consumer's hot path.

``bench/housekeeping.py`` measures it on 10 million rows (rows/s, longest lock hold).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, and_, bindparam, delete, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement, TextClause

from . import metrics
from .db import Database
from .settings import CommonSettings
from .tables import PlatformTables
from .worker import run_periodic

log = logging.getLogger(__name__)

ROWS_PER_BLOCK = 80
"""About how many ``processed_event`` rows fit in an 8 kB PostgreSQL block (a window of
``batch_size`` rows spans ``batch_size / ROWS_PER_BLOCK`` blocks)."""


@dataclass
class PruneReport:
    """What one pass deleted, and its longest window (the longest any lock was held)."""

    outbox: int = 0
    processed: int = 0
    windows: int = 0
    longest_window_s: float = 0.0
    seconds: float = 0.0
    _started: float = field(default_factory=time.perf_counter, repr=False)

    def window(self, started: float) -> None:
        self.windows += 1
        self.longest_window_s = max(self.longest_window_s, time.perf_counter() - started)


class Housekeeper:
    """Prunes one service database's platform tables, a window at a time."""

    def __init__(
        self,
        *,
        db: Database,
        tables: PlatformTables,
        service: str,
        retention: timedelta = timedelta(days=7),
        batch_size: int = 5000,
        interval_s: float = 600.0,
        max_consecutive_errors: int = 10,
    ) -> None:
        if retention < timedelta(days=1):
            raise ValueError("retention under a day would forget ids a redelivery still needs")
        self.db = db
        self.tables = tables
        self.service = service
        self.retention = retention
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.max_consecutive_errors = max_consecutive_errors

    @classmethod
    def from_settings(
        cls, settings: CommonSettings, db: Database, tables: PlatformTables
    ) -> Housekeeper:
        return cls(
            db=db,
            tables=tables,
            service=settings.service_name,
            retention=timedelta(days=settings.retention_days),
            batch_size=settings.prune_batch_size,
            interval_s=settings.prune_interval_s,
            max_consecutive_errors=settings.max_consecutive_errors,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Prune every ``interval_s`` until ``stop``; exits after too many failures in a row."""
        await run_periodic(
            self.prune_once,
            name="housekeeping",
            service=self.service,
            interval_s=self.interval_s,
            stop=stop,
            max_consecutive_errors=self.max_consecutive_errors,
        )

    async def prune_once(self, now: datetime | None = None) -> PruneReport:
        cutoff = (now or datetime.now(UTC)) - self.retention
        report = PruneReport()
        report.outbox = await self.prune_outbox(cutoff, report)
        report.processed = await self.prune_processed(cutoff, report)
        report.seconds = time.perf_counter() - report._started
        metrics.HOUSEKEEPING_PRUNED.labels(self.service, "outbox_event").inc(report.outbox)
        metrics.HOUSEKEEPING_PRUNED.labels(self.service, "processed_event").inc(report.processed)
        if report.outbox or report.processed:
            log.info(
                "housekeeping pruned rows",
                extra={
                    "outbox_event": report.outbox,
                    "processed_event": report.processed,
                    "longest_window_ms": round(report.longest_window_s * 1000, 1),
                },
            )
        return report

    async def prune_outbox(self, cutoff: datetime, report: PruneReport | None = None) -> int:
        """Delete published rows published before ``cutoff``, oldest ids first."""
        report = report or PruneReport()
        o = self.tables.outbox
        async with self.db.sessionmaker() as session:
            first = (await session.execute(select(func.min(o.c.id)))).scalar()
        if first is None:
            return 0
        after = int(first) - 1
        deleted = 0
        while True:
            upto = after + self.batch_size
            started = time.perf_counter()
            async with self.db.sessionmaker() as session:
                result = await session.execute(
                    delete(o).where(
                        o.c.id > after,
                        o.c.id <= upto,
                        o.c.published_at.is_not(None),
                        o.c.published_at < cutoff,
                    )
                )
                await session.commit()
            report.window(started)
            deleted += _rowcount(result)
            async with self.db.sessionmaker() as session:
                following = (
                    await session.execute(
                        select(o.c.id, o.c.created_at)
                        .where(o.c.id > upto)
                        .order_by(o.c.id)
                        .limit(1)
                    )
                ).first()
            # Ids follow creation: the first row created after the cutoff ends the pass.
            if following is None or _aware(following.created_at) >= cutoff:
                return deleted
            after = int(following.id) - 1
            await asyncio.sleep(0)  # other tasks of the worker run between windows

    async def prune_processed(self, cutoff: datetime, report: PruneReport | None = None) -> int:
        """Delete ids processed before ``cutoff``, walking the table by physical position."""
        report = report or PruneReport()
        p = self.tables.processed_event
        deleted = 0
        if self.db.is_sqlite:
            rowid: ColumnElement[int] = literal_column("rowid", Integer)
            async with self.db.sessionmaker() as session:
                last = (await session.execute(select(func.max(rowid)).select_from(p))).scalar()
            step, end = self.batch_size, int(last or 0)
            window: ColumnElement[bool] | TextClause = and_(
                rowid > bindparam("lo"), rowid <= bindparam("hi")
            )
            bounds = [(lo, lo + step) for lo in range(0, end, step)]
        else:
            async with self.db.sessionmaker() as session:
                blocks = (
                    await session.execute(
                        text(
                            "SELECT pg_relation_size(CAST(:t AS regclass))"
                            " / current_setting('block_size')::int"
                        ),
                        {"t": p.name},
                    )
                ).scalar()
            step = max(1, self.batch_size // ROWS_PER_BLOCK)
            window = text(
                "ctid >= format('(%s,0)', CAST(:lo AS bigint))::tid"
                " AND ctid < format('(%s,0)', CAST(:hi AS bigint))::tid"
            )
            bounds = [(lo, lo + step) for lo in range(0, int(blocks or 0) + 1, step)]
        statement = delete(p).where(window, p.c.processed_at < cutoff)
        for lo, hi in bounds:
            started = time.perf_counter()
            async with self.db.sessionmaker() as session:
                result = await session.execute(statement, {"lo": lo, "hi": hi})
                await session.commit()
            report.window(started)
            deleted += _rowcount(result)
            await asyncio.sleep(0)
        return deleted


def _rowcount(result: object) -> int:
    # A DELETE's result is a CursorResult; the session's execute() is typed as Result.
    return int(getattr(result, "rowcount", 0) or 0)


def _aware(value: datetime) -> datetime:
    # SQLite hands DateTime(timezone=True) back naive; the platform writes UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


__all__ = ["Housekeeper", "PruneReport"]
