"""The call-center routing read model: in memory, fed by events, never waits for the database.

It starts from a snapshot of the tiering database, then follows ``tiering.tiers``
(tier changes), ``profile.customers`` (phone numbers) and ``ops.cases`` (service group
assignments) from the end of each partition. It re-reads the snapshot whenever the feed
starts following (at start, and again after the broker was away), which heals what was
published meanwhile; at once when a partition's log end falls below the feed's position
(a broker restarted empty, a topic re-created), after which that partition is re-read
from its start; and every ``resync_interval_s`` (5 minutes) as a safety net. Lookups
read one dict: when the database or the broker is down, the last known answer still
comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select

from brokerage_common import Database
from brokerage_common import events as ev
from brokerage_common.kafka import Connection, make_consumer

from .. import rules
from ..models import CUSTOMER_TIER
from .rules import GROUP_TIERS

log = logging.getLogger(__name__)

UNKNOWN = {
    "customer_id": None,
    "tier": None,
    "queue": "general",
    "priority": False,
    "group_id": None,
}
UNKNOWN_JSON = orjson.dumps(UNKNOWN)
# Rows of the snapshot read at a time (``load``): each chunk holds the loop ~5 ms here.
SNAPSHOT_CHUNK_ROWS = 1000
_HEAD = b'{"customer_id":'
_NO_GROUP = b"null}"


def _answer(customer_id: str, tier: rules.Tier, group_id: str | None) -> dict[str, Any]:
    route = rules.route_for(tier)
    return {
        "customer_id": customer_id,
        "tier": tier.value,
        "queue": route.queue,
        "priority": route.priority,
        "group_id": group_id if tier.value in GROUP_TIERS else None,
    }


def _tail(tier: rules.Tier) -> bytes:
    """What follows the (empty) customer id in the answer without a group."""
    return orjson.dumps(_answer("", tier, None))[len(_HEAD) + 2 :]


# A known caller's answer after the customer id, per tier: ',"tier":"gold",...,"group_id":null}';
# for the tiers that name a group, the same up to the group's value.
_TAILS = {tier.value: _tail(tier) for tier in rules.Tier}
_GROUP_TAILS = {tier: _TAILS[tier].removesuffix(_NO_GROUP) for tier in GROUP_TIERS}

_TIER_NAMES = {tier.value: tier.value for tier in rules.Tier}

# The values that a query names exactly as written: what parse_qs leaves as it is (no "%",
# "+", "&", "="), what caller_query accepts, and for a phone one that normalize_caller leaves
# alone (not 86 and eleven digits). A customer whose phone or id is anything else is still
# answered, by the general way.
_PHONE_AS_WRITTEN = r"(?!86[0-9]{11}\Z)[0-9]{5,15}"
_ID_AS_WRITTEN = r"[0-9A-Za-z_-]{1,32}"
_PLAIN_PHONE = re.compile(_PHONE_AS_WRITTEN).fullmatch
_PLAIN_ID = re.compile(_ID_AS_WRITTEN).fullmatch
_AS_WRITTEN = f"phone={_PHONE_AS_WRITTEN}|customer_id={_ID_AS_WRITTEN}"
PLAIN_QUERY = re.compile(_AS_WRITTEN.encode()).fullmatch
"""A query naming one caller as the call center writes it: ``answers`` holds every known
caller so asked, so such a query that is not there asks about an unknown caller."""


class RoutingModel:
    def __init__(self) -> None:
        self.tier_by_customer: dict[str, str] = {}
        self.customer_by_phone: dict[str, str] = {}
        self.phone_by_customer: dict[str, str] = {}
        # The service group, the month (YYYY-MM) it was assigned for, and how an answer
        # ends with it (its JSON and "}"), encoded once here rather than per lookup.
        self.group_by_customer: dict[str, tuple[str | None, str, bytes]] = {}
        # Every known caller's answer as sent, by the query that asks for it as the call
        # center writes it: b"phone=13800001234" and b"customer_id=C000123". One lookup
        # answers a ringing phone (the fast path); a query not here (another spelling, an
        # unknown caller) is parsed and answered from the dicts above. Rebuilt whenever
        # what an answer is made of changes; never reassigned (the fast path holds it).
        self.answers: dict[bytes, bytes] = {}
        self.loaded = False

    def _caller(self, phone: str | None, customer_id: str | None) -> tuple[str, str] | None:
        """(customer id, tier) of a caller; None for an unknown one. A phone whose customer
        has no tier yet is a standard customer; an id the model has no tier for is unknown."""
        cid = customer_id if customer_id is not None else self.customer_by_phone.get(phone or "")
        if cid is None:
            return None
        tier = self.tier_by_customer.get(cid)
        if tier is None:
            if customer_id is not None:
                return None
            tier = "standard"
        return cid, tier

    def answer(self, *, phone: str | None = None, customer_id: str | None = None) -> dict[str, Any]:
        """The routing answer for a caller; an unknown caller gets the general queue."""
        caller = self._caller(phone, customer_id)
        if caller is None:
            return UNKNOWN
        cid, tier = caller
        group = self.group_by_customer.get(cid)
        return _answer(cid, rules.Tier(tier), group[0] if group else None)

    def answer_json(self, *, phone: str | None = None, customer_id: str | None = None) -> bytes:
        """``orjson.dumps(self.answer(...))``, built from the tier's precomputed bytes."""
        caller = self._caller(phone, customer_id)
        if caller is None:
            return UNKNOWN_JSON
        return self._encode(*caller)

    def _encode(self, cid: str, tier: str) -> bytes:
        group_tail = _GROUP_TAILS.get(tier)
        if group_tail is not None:
            group = self.group_by_customer.get(cid)
            if group is not None:
                return _HEAD + orjson.dumps(cid) + group_tail + group[2]
        # Not a tier: rules.Tier says what is wrong with it, as in answer().
        tail = _TAILS.get(tier) or _tail(rules.Tier(tier))
        return _HEAD + orjson.dumps(cid) + tail

    def _keep(self, cid: str) -> None:
        """(Re)build ``answers`` for a customer: by id while the model has its tier, by phone
        while the phone is the customer's; each only for a plainly written value."""
        tier = self.tier_by_customer.get(cid)
        # A value that is not a tier is never kept: asked for, it raises as answer() does.
        valid = tier is None or tier in _TAILS
        # One answer for both keys (by phone, a customer with no tier yet is standard).
        body = self._encode(cid, tier or "standard") if valid else b""
        if _PLAIN_ID(cid):
            key = b"customer_id=" + cid.encode()
            if tier is not None and valid:
                self.answers[key] = body
            else:
                self.answers.pop(key, None)
        phone = self.phone_by_customer.get(cid)
        if phone is not None and self.customer_by_phone.get(phone) == cid and _PLAIN_PHONE(phone):
            key = b"phone=" + phone.encode()
            if valid:
                self.answers[key] = body
            else:
                self.answers.pop(key, None)

    def set_tier(self, customer_id: str, tier: str) -> None:
        self.tier_by_customer[customer_id] = tier
        self._keep(customer_id)

    def set_group(self, customer_id: str, group_id: str | None, month: str) -> None:
        """The customer's group for ``month`` (None: back to the branch queue); an earlier
        month's never replaces a later one."""
        if self._put_group(customer_id, group_id, month):
            self._keep(customer_id)

    def _put_group(self, customer_id: str, group_id: str | None, month: str) -> bool:
        held = self.group_by_customer.get(customer_id)
        if held is not None and held[1] > month:
            return False
        self.group_by_customer[customer_id] = (group_id, month, orjson.dumps(group_id) + b"}")
        return True

    def _group_is(self, cid: str, group_id: str | None, month: str) -> bool:
        held = self.group_by_customer.get(cid)
        return held is not None and held[0] == group_id and held[1] == month

    def set_phone(self, customer_id: str, phone: str) -> None:
        self._move_phone(customer_id, phone)
        self._keep(customer_id)

    def _move_phone(self, customer_id: str, phone: str) -> None:
        old = self.phone_by_customer.get(customer_id)
        if old and old != phone and self.customer_by_phone.get(old) == customer_id:
            del self.customer_by_phone[old]
            self.answers.pop(b"phone=" + old.encode(), None)
        self.phone_by_customer[customer_id] = phone
        self.customer_by_phone[phone] = customer_id
        self.tier_by_customer.setdefault(customer_id, "standard")

    def apply(self, value: bytes) -> None:
        """Apply one message from the followed topics; anything unexpected is ignored."""
        try:
            obj = orjson.loads(value)
            kind, data = obj.get("type"), obj.get("data") or {}
            cid = data.get("customer_id")
            if not isinstance(cid, str):
                return
            if (
                kind == ev.TierChanged.TYPE
                and data.get("new_tier") in rules.Tier.__members__.values()
            ):
                self.set_tier(cid, data["new_tier"])
            elif kind in (
                ev.CustomerRegistered.TYPE,
                ev.CustomerProfileUpdated.TYPE,
            ) and isinstance(data.get("phone"), str):
                self.set_phone(cid, data["phone"])
            elif (
                kind == ev.CustomerAssigned.TYPE
                and "group_id" in data
                and (data["group_id"] is None or isinstance(data["group_id"], str))
                and isinstance(data.get("month"), str)
            ):
                self.set_group(cid, data["group_id"], data["month"])
        except (orjson.JSONDecodeError, AttributeError, ValueError):
            return

    def _load_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        for cid, tier, phone, group_id, group_month in rows:
            if (
                self.tier_by_customer.get(cid) == tier
                and (
                    not phone
                    or (
                        self.phone_by_customer.get(cid) == phone
                        and self.customer_by_phone.get(phone) == cid
                    )
                )
                and (not group_month or self._group_is(cid, group_id, group_month))
            ):
                continue  # as held: no answer to rebuild (most rows of a re-read)
            # One string per tier, not one per row read.
            self.tier_by_customer[cid] = _TIER_NAMES.get(tier, tier)
            if phone:
                self._move_phone(cid, phone)
            if group_month:
                self._put_group(cid, group_id, group_month)
            self._keep(cid)

    async def load(self, db: Database) -> None:
        """Read the snapshot in chunks: between two, the loop answers calls (200,000 rows
        read at once held them for about half a second)."""
        c = CUSTOMER_TIER.c
        columns = (c.customer_id, c.tier, c.phone, c.group_id, c.group_month)
        async with db.sessionmaker() as session:
            result = await session.stream(
                select(*columns).execution_options(yield_per=SNAPSHOT_CHUNK_ROWS)
            )
            async for rows in result.partitions():
                self._load_rows(rows)
        self.loaded = True
        # Out of the collector's sight, as advisory's offers model (ADR 0010): what the
        # process holds after a load (the app, its modules, the model) is long-lived, and a
        # full collection walking it would run while calls wait.
        gc.freeze()


class RoutingFeed:
    """Keeps a RoutingModel current: follow the topics, re-read the snapshot now and then."""

    def __init__(
        self,
        model: RoutingModel,
        *,
        db: Database,
        bootstrap: Connection,
        resync_interval_s: float = 300.0,
        first_follow_wait_s: float = 5.0,
    ) -> None:
        self.model = model
        self.db = db
        self.bootstrap = bootstrap
        self.resync_interval_s = resync_interval_s
        # At start the first snapshot waits this long for the feed to follow, so that one
        # read after that moment covers everything before it; with the broker away it is
        # read anyway (routing answers through a broker outage) and read again on following.
        self.first_follow_wait_s = first_follow_wait_s
        self._snapshot_read = False
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        # Set while the feed reads every partition from a known position: whatever is
        # published after that moment reaches the model.
        self.following = asyncio.Event()
        # Set to re-read the snapshot now instead of at the next interval.
        self._reload = asyncio.Event()
        self.log_end_resets = 0

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._follow()), asyncio.create_task(self._resync())]

    async def stop(self) -> None:
        self._stop.set()
        self._reload.set()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _resync(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.following.wait(), timeout=self.first_follow_wait_s)
        while not self._stop.is_set():
            self._snapshot_read = True
            try:
                await self.model.load(self.db)
            except Exception as exc:  # noqa: BLE001 - the database may be down; keep the old answers
                log.warning("routing snapshot reload failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reload.wait(), timeout=self.resync_interval_s)
            self._reload.clear()

    async def _rewind_shrunk_logs(
        self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]
    ) -> None:
        """Re-read from its start every partition whose log end is below our position, and
        reload the snapshot now. After a broker restarted empty the feed would otherwise
        wait at its old position until the log grew past it (or the next reload, ~60 s
        later); re-applying what the log holds is safe (every change is a plain set)."""
        for tp in partitions:
            end = consumer.highwater(tp)
            if end is None:
                continue
            position = await consumer.position(tp)
            if end < position:
                log.error(
                    "routing feed: log end below our position; re-reading from the start",
                    extra={
                        "topic": tp.topic,
                        "partition": tp.partition,
                        "log_end": end,
                        "position": position,
                    },
                )
                self.log_end_resets += 1
                await consumer.seek_to_beginning(tp)
                self._reload.set()

    async def _follow(self) -> None:
        topics = [
            ev.TierChanged.TOPIC.name,
            ev.CustomerRegistered.TOPIC.name,
            ev.CustomerAssigned.TOPIC.name,
        ]
        while not self._stop.is_set():
            consumer: AIOKafkaConsumer | None = None
            try:
                # No group: every API replica follows every partition itself, from the end.
                # make_consumer (common) types group_id as str though aiokafka takes None for
                # a consumer that only assigns; the one ignore left in tiering.
                consumer = make_consumer(self.bootstrap, group_id=None)  # type: ignore[arg-type]
                await consumer.start()
                missing = [t for t in topics if not consumer.partitions_for_topic(t)]
                if missing:
                    await consumer._client.force_metadata_update()
                    missing = [t for t in topics if not consumer.partitions_for_topic(t)]
                if missing:
                    # Topics are created by the deployment, not on first use: until they
                    # exist the feed follows nothing and must not say it follows.
                    raise RuntimeError(f"no partitions yet for {', '.join(missing)}")
                partitions = [
                    TopicPartition(t, p)
                    for t in topics
                    for p in (consumer.partitions_for_topic(t) or set())
                ]
                consumer.assign(partitions)
                await consumer.seek_to_end(*partitions)
                for tp in partitions:
                    # seek_to_end is lazy: resolve "the end" now, or messages published before
                    # the first fetch would be skipped without the feed ever saying it follows.
                    await consumer.position(tp)
                self.following.set()
                # What was published before this moment and not followed (while the broker
                # was away the feed resumes from the end) is in the database by now, since
                # the workers write before they publish: a snapshot read before this moment
                # is read again now, not at the next interval (the first, at start, is read
                # after it).
                if self._snapshot_read:
                    self._reload.set()
                while not self._stop.is_set():
                    batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                    for records in batches.values():
                        for r in records:
                            if r.value is not None:
                                self.model.apply(r.value)
                    await self._rewind_shrunk_logs(consumer, partitions)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - broker away: keep answering, try again later
                self.following.clear()
                log.warning("routing feed interrupted: %s", type(exc).__name__)
                await asyncio.sleep(2.0)
            finally:
                if consumer is not None:
                    await consumer.stop()
