"""Idempotent consumer: one database transaction per batch, offsets committed only after it.

Each batch from ``getmany`` is applied in one transaction that also records the
ids of the events it applied (``processed_event``); a redelivered event finds
its id there and changes nothing. Offsets are committed after the database
commit, so a crash between the two only causes a redelivery that is skipped.
A message that cannot be parsed or validated, or that a handler rejects, goes
to ``<topic>.dlq`` and the ``dead_letter`` table; the messages after it go on.

For the settlement-day path (ADR 0007): hot types decode through a stricter msgspec
struct first (``wire.py``); a handler marked ``@batch_handler(dedupes_by_key=True)``
gets no event-id claims because its own business key dedupes; and ``lanes`` split a
batch by customer into concurrent transactions, all committed before offsets move.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, overload

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from . import metrics
from .bulk import upsert_rows
from .db import Database
from .events import EVENT_TYPES, Envelope, envelope_model
from .kafka import Connection, KafkaConnection, make_consumer, make_producer
from .settings import CommonSettings
from .tables import PlatformTables
from .tracing import current_events
from .wire import FAST_DECODE_ERRORS, fast_decoder

log = logging.getLogger(__name__)

EventHandler = Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[Envelope[Any]]], Awaitable[int | None]]


@overload
def batch_handler(fn: BatchHandler, /) -> BatchHandler: ...


@overload
def batch_handler(*, dedupes_by_key: bool = False) -> Callable[[BatchHandler], BatchHandler]: ...


def batch_handler(
    fn: BatchHandler | None = None, /, *, dedupes_by_key: bool = False
) -> BatchHandler | Callable[[BatchHandler], BatchHandler]:
    """Mark a handler as taking a list of consecutive envelopes of one type (set-based writes).

    ``dedupes_by_key=True``: the handler's own writes are idempotent by a business key
    (a trade's ledger entry is unique per trade id), so a redelivered event, or the same
    fact re-sent under a new event id, already changes nothing. The consumer then does not
    also record the event ids of that type in ``processed_event``: on the busiest path
    that second unique index per event costs more than the work itself. Such a handler
    may return how many of the envelopes it applied; the rest count as duplicates.
    """

    def mark(f: BatchHandler) -> BatchHandler:
        f.__batch__ = True  # type: ignore[attr-defined]
        f.__dedupes_by_key__ = dedupes_by_key  # type: ignore[attr-defined]
        return f

    return mark(fn) if fn is not None else mark


class PermanentEventError(Exception):
    """A handler's verdict that this event can never be applied: it goes to the dead-letter path."""


class RetryBatch(Exception):
    """A handler's verdict that the batch met a race (another consumer wrote some of its
    facts since they were read): roll back and apply the whole batch again, from scratch."""


_TRANSIENT_SQLSTATES = {
    "40001",
    "40P01",
    "55P03",
    "57P01",
    "57P02",
    "57P03",
    "08000",
    "08003",
    "08006",
}


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying the whole batch for (the database or broker is briefly unavailable)."""
    if isinstance(
        exc, (RetryBatch, OperationalError, InterfaceError, TimeoutError, ConnectionError, OSError)
    ):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return code in _TRANSIENT_SQLSTATES
    return False


class _Parsed(NamedTuple):
    record: ConsumerRecord[bytes, bytes]
    envelope: Envelope[Any]


class _Dead(NamedTuple):
    record: ConsumerRecord[bytes, bytes]
    reason: str


@dataclass(frozen=True)
class _Batch:
    records: list[ConsumerRecord[bytes, bytes]]
    parsed: list[_Parsed]
    dead: list[_Dead]
    offsets: dict[TopicPartition, int]

    def lanes(self, n: int) -> list[tuple[list[_Parsed], list[_Dead]]]:
        """Split into ``n`` parts by message key (the customer): one customer's events all
        land in one part, in their order, so the parts can be applied concurrently."""
        if n == 1:
            return [(self.parsed, self.dead)]
        parts: list[tuple[list[_Parsed], list[_Dead]]] = [([], []) for _ in range(n)]
        for p in self.parsed:
            key = p.record.key
            parts[hash(key) % n if key is not None else 0][0].append(p)
        for d in self.dead:
            key = d.record.key
            parts[hash(key) % n if key is not None else 0][1].append(d)
        return [part for part in parts if part[0] or part[1]]


class IdempotentConsumer:
    """Consume ``topics`` as group ``name``; apply events through ``handlers`` (type -> handler)."""

    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        db: Database,
        tables: PlatformTables,
        handlers: Mapping[str, EventHandler | BatchHandler],
        bootstrap: Connection,
        batch_max: int = 2000,
        poll_timeout_ms: int = 500,
        session_timeout_ms: int = 10000,
        lanes: int = 1,
        after_commit: Callable[[list[Envelope[Any]]], Awaitable[None] | None] | None = None,
        max_consecutive_errors: int = 10,
    ) -> None:
        unknown = set(handlers) - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"handlers for unknown event types: {sorted(unknown)}")
        self.name = name
        self.topics = list(topics)
        self.db = db
        self.tables = tables
        self.handlers = dict(handlers)
        self.bootstrap = bootstrap
        self.batch_max = batch_max
        self.poll_timeout_ms = poll_timeout_ms
        self.session_timeout_ms = session_timeout_ms
        if lanes < 1:
            raise ValueError("lanes must be at least 1")
        # Lanes: a batch is split by customer and its parts applied at once, each in its own
        # transaction, so one part's Python work overlaps the other's database work.
        self.lanes = lanes
        self.after_commit = after_commit
        if max_consecutive_errors < 1:
            raise ValueError("max_consecutive_errors must be at least 1")
        # A batch that fails this many times in a row ends run() with the error: the process
        # exits and its orchestrator restarts it, with fresh connections and a fresh state.
        self.max_consecutive_errors = max_consecutive_errors
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._batch_lock = asyncio.Lock()
        self.applied_total = 0
        self._committed: dict[TopicPartition, int] = {}
        # The next offset after the last record applied, per partition: with the committed
        # offset, what the log end must never fall below (see _check_log_end).
        self._applied_to: dict[TopicPartition, int] = {}
        self.log_end_resets = 0
        self._commit_task: asyncio.Task[None] | None = None
        # Hot types decode through a stricter msgspec struct; anything it refuses takes the
        # contract's pydantic path below, which accepts or dead-letters it (see wire.py).
        self._fast_decode = fast_decoder(frozenset(self.handlers))
        self._self_deduping = frozenset(
            t for t, h in self.handlers.items() if getattr(h, "__dedupes_by_key__", False)
        )

    @classmethod
    def from_settings(
        cls,
        settings: CommonSettings,
        db: Database,
        tables: PlatformTables,
        *,
        topics: Sequence[str],
        handlers: Mapping[str, EventHandler | BatchHandler],
        name: str | None = None,
    ) -> IdempotentConsumer:
        """A service worker's consumer: group = the service name unless ``name`` is given."""
        return cls(
            name=name or settings.service_name,
            topics=topics,
            db=db,
            tables=tables,
            handlers=handlers,
            bootstrap=KafkaConnection.from_settings(settings),
            batch_max=settings.consumer_batch_max,
            session_timeout_ms=settings.consumer_session_timeout_ms,
            lanes=settings.consumer_lanes,
            max_consecutive_errors=settings.max_consecutive_errors,
        )

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._consumer = make_consumer(
            self.bootstrap, group_id=self.name, session_timeout_ms=self.session_timeout_ms
        )
        self._consumer.subscribe(self.topics, listener=_WaitForBatch(self))
        await self._consumer.start()
        self._producer = make_producer(self.bootstrap, client_id=f"{self.name}-dlq")
        await self._producer.start()

    def _tp_order(self, tp: TopicPartition) -> tuple[int, str, int]:
        """Within a batch, topics listed first are applied first (e.g. trades before the
        end-of-day snapshot taken after them); partitions keep their own order."""
        rank = self.topics.index(tp.topic) if tp.topic in self.topics else len(self.topics)
        return (rank, tp.topic, tp.partition)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set.

        Never dies on one bad message; transient errors back off and retry the batch, and
        after ``max_consecutive_errors`` failures in a row the error ends the run (the worker
        exits, its orchestrator restarts it) instead of retrying forever.
        """
        await self.start()
        # The next batch is fetched and parsed while this one waits on the database:
        # parsing is CPU, the batch's statements are mostly waiting, so they overlap.
        upcoming: asyncio.Task[_Batch] | None = None
        try:
            upcoming = current = asyncio.create_task(self._fetch())
            while not stop.is_set():
                batch = await current
                # A batch fetched but not applied is simply read again after a restart.
                upcoming = current = asyncio.create_task(self._fetch())
                if batch.records:
                    await self._process_with_retry(batch, stop)
                await self._check_log_end()
                self._update_lag()
        finally:
            if upcoming is not None:
                upcoming.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await upcoming
            await self._finish_commit()
            await self.stop()

    async def _fetch(self) -> _Batch:
        assert self._consumer is not None
        batches = await self._consumer.getmany(
            timeout_ms=self.poll_timeout_ms, max_records=self.batch_max
        )
        records = [r for tp in sorted(batches, key=self._tp_order) for r in batches[tp]]
        parsed, dead = self._parse(records) if records else ([], [])
        # Each partition's records come in offset order: its last one sets the next offset.
        offsets = {tp: rs[-1].offset + 1 for tp, rs in batches.items() if rs}
        return _Batch(records, parsed, dead, offsets)

    # ------------------------------------------------------------------ batch processing

    async def _process_with_retry(self, batch: _Batch, stop: asyncio.Event) -> None:
        """Apply and commit a batch; transient failures retry it with capped backoff (tenacity)."""
        records = batch.records
        topics = {r.topic for r in records}

        def before_sleep(state: RetryCallState) -> None:
            for topic in topics:
                metrics.EVENTS_FAILED.labels(self.name, topic).inc()
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "batch failed transiently, retrying",
                extra={
                    "consumer": self.name,
                    "attempt": state.attempt_number,
                    "error": type(exc).__name__,
                    "delay_s": round(state.upcoming_sleep, 2),
                },
            )

        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(lambda e: is_transient(e) or isinstance(e, KafkaError)),
                stop=stop_after_attempt(self.max_consecutive_errors),
                wait=wait_exponential_jitter(multiplier=0.2, max=30),
                before_sleep=before_sleep,
                reraise=True,
            ):
                with attempt:
                    if stop.is_set():
                        return
                    async with self._batch_lock:
                        await self._process_lanes(batch)
                        self._applied_to.update(batch.offsets)
                        await self._commit_offsets(batch.offsets)
        except Exception as exc:
            for topic in topics:
                metrics.EVENTS_FAILED.labels(self.name, topic).inc()
            log.error(
                "batch failed; the consumer stops so that the process is restarted",
                extra={"consumer": self.name, "error": type(exc).__name__},
            )
            raise

    async def _process_lanes(self, batch: _Batch) -> None:
        lanes = batch.lanes(self.lanes)
        if len(lanes) == 1:
            await self._process_parsed(*lanes[0])
            return
        # Every lane finishes (or fails) before the batch is retried or its offsets move:
        # a lane still running must not overlap the retry of the same customers.
        results = await asyncio.gather(
            *(self._process_parsed(parsed, dead) for parsed, dead in lanes),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def process_batch(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Apply one batch in one transaction; isolate a rejected event if the batch fails."""
        parsed, dead = self._parse(records)
        await self._process_parsed(parsed, dead)

    async def _process_parsed(self, parsed: list[_Parsed], dead: list[_Dead]) -> None:
        started = time.perf_counter()
        # The batch's log lines carry its event ids (looked up only when a line is written).
        handling = current_events.set(parsed)
        try:
            await self._process_handled(parsed, dead, started)
        finally:
            current_events.reset(handling)

    async def _process_handled(
        self, parsed: list[_Parsed], dead: list[_Dead], started: float
    ) -> None:
        try:
            applied = await self._apply(parsed, dead)
        except Exception as exc:
            if is_transient(exc):
                raise
            # Some event in the batch was refused by a handler: apply one by one to find it.
            log.warning(
                "batch rejected, isolating the event",
                extra={"consumer": self.name, "error": type(exc).__name__},
            )
            applied = []
            for item in parsed:
                one = current_events.set([item])
                try:
                    applied += await self._apply([item], [])
                except Exception as one_exc:
                    if is_transient(one_exc):
                        raise
                    await self._apply(
                        [],
                        [
                            _Dead(
                                item.record,
                                f"handler rejected: {type(one_exc).__name__}: {one_exc}",
                            )
                        ],
                    )
                finally:
                    current_events.reset(one)
            if dead:
                await self._apply([], dead)
        metrics.BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        if self.after_commit is not None and applied:
            result = self.after_commit(applied)
            if result is not None:
                await result

    def _parse(
        self, records: list[ConsumerRecord[bytes, bytes]]
    ) -> tuple[list[_Parsed], list[_Dead]]:
        parsed: list[_Parsed] = []
        dead: list[_Dead] = []
        fast = self._fast_decode
        for record in records:
            if fast is not None and record.value is not None:
                try:
                    parsed.append(_Parsed(record, fast(record.value)))
                    continue
                except FAST_DECODE_ERRORS:
                    pass
            try:
                obj = orjson.loads(record.value) if record.value is not None else None
            except orjson.JSONDecodeError as exc:
                dead.append(_Dead(record, f"not JSON: {exc}"))
                continue
            if not isinstance(obj, dict):
                dead.append(_Dead(record, "envelope is not a JSON object"))
                continue
            event_type = obj.get("type")
            if not isinstance(event_type, str):
                dead.append(_Dead(record, "envelope has no type"))
                continue
            if event_type not in self.handlers:
                # Not ours to apply (another consumer's event, or a newer type): skip, do not
                # dead-letter.
                continue
            try:
                env = envelope_model(EVENT_TYPES[event_type]).model_validate(obj)
            except ValidationError as exc:
                dead.append(_Dead(record, f"invalid {event_type}: {_short_errors(exc)}"))
                continue
            parsed.append(_Parsed(record, env))
        return parsed, dead

    async def _apply(self, parsed: list[_Parsed], dead: list[_Dead]) -> list[Envelope[Any]]:
        """One transaction: claim event ids, run handlers, record dead letters, commit."""
        async with self.db.sessionmaker() as session:
            fresh = await self._claim(session, parsed)
            # Events a self-deduplicating handler found already applied (by business key).
            skipped: dict[str, int] = {}
            for run in _runs_by_type(fresh):
                handler = self.handlers[run[0].type]
                if getattr(handler, "__batch__", False):
                    applied = await handler(session, run)  # type: ignore[arg-type]
                    if run[0].type in self._self_deduping and isinstance(applied, int):
                        skipped[run[0].type] = skipped.get(run[0].type, 0) + len(run) - applied
                else:
                    for env in run:
                        one = current_events.set(env)
                        try:
                            await handler(session, env)  # type: ignore[arg-type]
                        finally:
                            current_events.reset(one)
            if dead:
                await self._dead_letter(session, dead)
            await session.commit()
        self._count(parsed, fresh, skipped)
        return fresh

    def _count(
        self, parsed: list[_Parsed], fresh: list[Envelope[Any]], skipped: dict[str, int]
    ) -> None:
        """Metrics: each fresh event counts once as applied (its first copy in the batch);
        every other copy, in this batch or seen in an earlier one, is a duplicate, and so is
        what a self-deduplicating handler reported as already applied."""
        seen_by_topic = Counter(p.record.topic for p in parsed)
        if len(seen_by_topic) == 1:  # the usual batch: one topic
            (topic,) = seen_by_topic
            applied_by_topic = {topic: len(fresh) - sum(skipped.values())}
        else:
            unclaimed = {e.id for e in fresh}
            applied_by_topic = {}
            for p in parsed:
                env = p.envelope
                if env.id in unclaimed:
                    unclaimed.discard(env.id)
                    if skipped.get(env.type):
                        skipped[env.type] -= 1
                    else:
                        topic = p.record.topic
                        applied_by_topic[topic] = applied_by_topic.get(topic, 0) + 1
        duplicate_by_topic = {
            t: n - applied_by_topic.get(t, 0)
            for t, n in seen_by_topic.items()
            if n > applied_by_topic.get(t, 0)
        }
        for topic, n in applied_by_topic.items():
            metrics.EVENTS_CONSUMED.labels(self.name, topic).inc(n)
        for topic, n in duplicate_by_topic.items():
            metrics.EVENTS_DUPLICATE.labels(self.name, topic).inc(n)
        self.applied_total += sum(applied_by_topic.values())

    async def _claim(self, session: AsyncSession, parsed: list[_Parsed]) -> list[Envelope[Any]]:
        """Insert the batch's event ids; the ones already there were applied before.

        Types whose handler dedupes by its own business key are not recorded (see
        ``batch_handler``); within the batch their copies are still dropped by id.
        """
        if not parsed:
            return []
        seen: set[str] = set()
        unique: list[Envelope[Any]] = []
        for p in parsed:
            if p.envelope.id not in seen:
                seen.add(p.envelope.id)
                unique.append(p.envelope)
        self_deduping = self._self_deduping
        now = datetime.now(UTC)
        rows = [
            {"consumer": self.name, "event_id": e.id, "processed_at": now}
            for e in unique
            if e.type not in self_deduping
        ]
        if not rows:
            return unique
        claimed = set(
            await upsert_rows(
                session,
                self.tables.processed_event,
                rows,
                conflict=["consumer", "event_id"],
                returning="event_id",
            )
        )
        return [e for e in unique if e.id in claimed or e.type in self_deduping]

    async def _dead_letter(self, session: AsyncSession, dead: list[_Dead]) -> None:
        assert self._producer is not None or not dead
        now = datetime.now(UTC)
        futures = []
        for d in dead:
            r = d.record
            # The original headers go along (the envelope's content type among them): the
            # dead letter is the message as it came, plus why it was set aside.
            headers = [
                *(r.headers or ()),
                ("dlq.reason", d.reason[:1000].encode()),
                ("dlq.topic", r.topic.encode()),
                ("dlq.partition", str(r.partition).encode()),
                ("dlq.offset", str(r.offset).encode()),
                ("dlq.consumer", self.name.encode()),
            ]
            if self._producer is not None:
                futures.append(
                    await self._producer.send(
                        f"{r.topic}.dlq", key=r.key, value=r.value, headers=headers
                    )
                )
            metrics.EVENTS_DEAD_LETTERED.labels(self.name, r.topic).inc()
            log.error(
                "event dead-lettered",
                extra={
                    "consumer": self.name,
                    "topic": r.topic,
                    "partition": r.partition,
                    "offset": r.offset,
                    "reason": d.reason[:300],
                },
            )
        # The dead-letter topic must have it before the offset moves past it.
        await asyncio.gather(*futures)
        await session.execute(
            insert(self.tables.dead_letter),
            [
                {
                    "consumer": self.name[:100],
                    "topic": d.record.topic[:200],
                    "partition": d.record.partition,
                    "offset": d.record.offset,
                    "key": _db_text(d.record.key, 200),
                    "value": _db_text(d.record.value),
                    "reason": _db_text(d.reason.encode(errors="replace"), 2000),
                    "created_at": now,
                }
                for d in dead
            ],
        )

    async def _commit_offsets(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit the batch's offsets to Kafka in the background, after its database commit.

        Nothing waits for the broker's answer before the next batch: a lost offset commit
        only means a redelivery, which the claim skips. One commit is in flight at a time,
        so they land in order.
        """
        assert self._consumer is not None
        assigned = self._consumer.assignment()
        offsets = {tp: o for tp, o in offsets.items() if tp in assigned}
        if not offsets:
            return
        await self._finish_commit()
        self._commit_task = asyncio.create_task(self._send_commit(offsets))

    async def _send_commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self._consumer is not None
        try:
            # Never commit past a partition's end: a batch read from a broker that has since
            # restarted empty would otherwise leave the group waiting at an offset the new
            # log reaches only after skipping everything before it (issue 16). The end is
            # the high watermark of the last fetch response, not a ListOffsets request:
            # Tansu answers that with the last batch's base offset + 1.
            for tp, offset in list(offsets.items()):
                end = self._highwater(tp)
                if end is not None and offset > end:
                    del offsets[tp]
                    await self._log_end_behind(tp, end, offset)
            if not offsets:
                return
            await self._consumer.commit(offsets)
            self._committed.update(offsets)
        except CommitFailedError:
            # The group rebalanced: the new owner re-reads these and skips them by id.
            log.warning("offset commit failed after rebalance", extra={"consumer": self.name})
        except KafkaError as exc:
            log.warning(
                "offset commit failed; the batch will be redelivered and skipped",
                extra={"consumer": self.name, "error": type(exc).__name__},
            )

    async def _finish_commit(self) -> None:
        task, self._commit_task = self._commit_task, None
        if task is not None:
            await task

    async def _check_log_end(self) -> None:
        """Re-read a partition from its start when its log ends below what this consumer
        committed or applied: the topic was re-created, truncated, or the broker restarted
        empty. The events now in it are new ones; the handlers are idempotent, so re-reading
        what was applied before costs time, never a double application.

        The end is the high watermark of the last fetch response (no request of its own);
        every record applied came in a response whose high watermark was past it, so only
        a log that really shrank can end below the position."""
        consumer = self._consumer
        if consumer is None:
            return
        for tp in list(consumer.assignment()):
            end = self._highwater(tp)
            known = max(self._committed.get(tp, 0), self._applied_to.get(tp, 0))
            if end is not None and end < known:
                await self._log_end_behind(tp, end, known)

    def _highwater(self, tp: TopicPartition) -> int | None:
        """The partition's end as of the last fetch; None if unknown or no longer assigned
        (aiokafka asserts the assignment, which a rebalance changes between awaits)."""
        consumer = self._consumer
        if consumer is None or tp not in consumer.assignment():
            return None
        end: int | None = consumer.highwater(tp)
        return end

    async def _log_end_behind(self, tp: TopicPartition, end: int, known: int) -> None:
        """Alert, show the gap as a negative lag, and read the partition again from its start."""
        self.log_end_resets += 1
        metrics.CONSUMER_LOG_END_BEHIND.labels(self.name, tp.topic, str(tp.partition)).inc()
        metrics.CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(end - known)
        log.error(
            "partition's log ends below this consumer's position; re-reading it from the start",
            extra={
                "consumer": self.name,
                "topic": tp.topic,
                "partition": tp.partition,
                "log_end": end,
                "position": known,
            },
        )
        self._committed.pop(tp, None)
        self._applied_to.pop(tp, None)
        if self._consumer is not None and tp in self._consumer.assignment():
            # aiokafka asserts the partition is still assigned; a rebalance may just have
            # taken it, and then its next owner checks the same on its own.
            with contextlib.suppress(AssertionError, IllegalStateError):
                await self._consumer.seek_to_beginning(tp)

    def _update_lag(self) -> None:
        consumer = self._consumer
        if consumer is None:
            return
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            done = self._committed.get(tp)
            if high is None or done is None:
                continue
            # Not clamped at 0: a negative lag is a log that ended below the commit.
            metrics.CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(high - done)


class _WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions are taken away, let the batch in flight finish and commit its offsets."""

    def __init__(self, consumer: IdempotentConsumer) -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self.consumer._batch_lock:
            await self.consumer._finish_commit()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        """Know each new partition's committed offset: a log that ends below it (the broker
        restarted empty after the commit) is noticed on the first fetch."""
        consumer = self.consumer
        kafka = consumer._consumer
        consumer._committed = {}
        consumer._applied_to = {}
        if kafka is None:
            return
        for tp in assigned:
            try:
                committed = await kafka.committed(tp)
            except KafkaError as exc:
                log.warning(
                    "committed offset not read",
                    extra={"consumer": consumer.name, "error": type(exc).__name__},
                )
                continue
            if committed is not None:
                consumer._committed[tp] = committed


def _runs_by_type(envs: list[Envelope[Any]]) -> list[list[Envelope[Any]]]:
    """Consecutive envelopes of one type, in order: batch handlers get long runs, order is kept."""
    runs: list[list[Envelope[Any]]] = []
    for env in envs:
        if runs and runs[-1][0].type == env.type:
            runs[-1].append(env)
        else:
            runs.append([env])
    return runs


def _db_text(raw: bytes | None, limit: int | None = None) -> str | None:
    """Message bytes as text any database column takes: a poison message must not poison the insert.

    Invalid UTF-8 becomes U+FFFD and NUL (which PostgreSQL text refuses) becomes U+FFFD too;
    the DLQ topic keeps the exact bytes.
    """
    if not raw:
        return None
    text = raw.decode(errors="replace").replace("\x00", "\ufffd")
    return text[:limit] if limit is not None else text


def _short_errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])


__all__ = [
    "BatchHandler",
    "EventHandler",
    "IdempotentConsumer",
    "PermanentEventError",
    "RetryBatch",
    "batch_handler",
    "is_transient",
]
