"""The offers read model of one API process (ADR 0010, "Offers"): every registered customer's
standing in memory, loaded from advisory's database at start and kept current by polling
the ``offer_change`` marker, so an offers request reads no database.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Hashable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from brokerage_common import Database

from . import service
from .service import Standing

log = logging.getLogger(__name__)

# An IN list per statement when customers are re-read: small enough for any database.
_CHUNK = 500
# Answers kept by what they depend on (offers.router): ~3 kB each, so at most ~30 MB.
_ANSWERS = 10_000


class OffersModel:
    """customer id -> Standing, and the markers it has applied.

    Every read of the database and write of the dict goes under one lock, so a re-read
    started before a commit cannot overwrite what a later re-read found after it.
    """

    def __init__(self, db: Database, *, overlap_s: float = 30.0) -> None:
        self.db = db
        self.overlap = timedelta(seconds=overlap_s)
        self.standings: dict[str, Standing] = {}
        self.loaded = False
        self._seen: dict[str, datetime] = {}
        self._since: datetime | None = None
        self._lock = asyncio.Lock()
        # An answer's JSON after its customer id, by everything it depends on (the key
        # holds the inputs, not the customer, so it is never stale, only forgotten).
        self.answers: dict[Hashable, bytes] = {}

    def remember(self, key: Hashable, tail: bytes) -> bytes:
        if len(self.answers) >= _ANSWERS:
            self.answers.clear()
        self.answers[key] = tail
        return tail

    def get(self, customer_id: str) -> Standing | None:
        return self.standings.get(customer_id)

    async def load(self) -> None:
        """Every registered customer; the poll then starts from this moment minus the overlap."""
        async with self._lock:
            started = datetime.now(UTC)
            async with self.db.engine.connect() as conn:
                self.standings = await service.standings(conn)
            self._since = started - self.overlap
            self.loaded = True
        # Out of the collector's sight: a full collection would otherwise walk every
        # customer's objects (~5 per customer) while requests wait, a p99 of tens of ms.
        gc.freeze()
        log.info("offers read model loaded: %d customers", len(self.standings))

    async def poll(self) -> int:
        """Re-read the customers whose marker moved since the last poll; how many.

        A marker is looked for back to ``overlap`` before the previous poll, so a writer's
        transaction that took less than that (or whose clock is behind by less) is seen;
        a marker already applied is not re-read.
        """
        async with self._lock:
            if self._since is None:
                return 0
            started = datetime.now(UTC)
            async with self.db.engine.connect() as conn:
                markers = await service.changed_since(conn, since=self._since)
                moved = [cid for cid, at in markers.items() if self._seen.get(cid) != at]
                await self._reread(conn, moved)
            self._seen = markers
            self._since = started - self.overlap
            return len(moved)

    async def refresh(self, customer_ids: Iterable[str]) -> None:
        """Re-read these customers now: a write of this process is seen by its next read.

        Called after the write's commit, so it never fails the write: if the database has
        gone away meanwhile, the next poll brings the change.
        """
        try:
            async with self._lock, self.db.engine.connect() as conn:
                await self._reread(conn, list(customer_ids))
        except Exception as exc:  # noqa: BLE001 - the write is committed; the poll catches up
            log.warning("offers read model refresh failed: %s", type(exc).__name__)

    async def _reread(self, conn: AsyncConnection, customer_ids: list[str]) -> None:
        for i in range(0, len(customer_ids), _CHUNK):
            chunk = customer_ids[i : i + _CHUNK]
            fresh = await service.standings(conn, customer_ids=chunk)
            for cid in chunk:
                standing = fresh.get(cid)
                if standing is None:
                    self.standings.pop(cid, None)
                else:
                    self.standings[cid] = standing


class OffersFeed:
    """Loads an OffersModel, retrying while the database is away, then polls it."""

    def __init__(self, model: OffersModel, *, interval_s: float = 1.0) -> None:
        self.model = model
        self.interval_s = interval_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.model.loaded:
                    await self.model.poll()
                else:
                    await self.model.load()
            except Exception as exc:  # noqa: BLE001 - the database may be down; keep the old answers
                log.warning("offers read model refresh failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_s)
