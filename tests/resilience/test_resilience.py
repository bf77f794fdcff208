"""Fault injection against the real Tansu broker and real consumer processes (issue 16).

Each test is one attack of the issue's fault-injection run, kept in the suite so the
fix cannot quietly regress: a broker restarted empty (nothing skipped, partitions as
declared), a consumer killed with SIGKILL again and again while events stream in (0 lost,
0 doubled), poison interleaved with good events (each poison dead-lettered with its
reason, each good event applied once), a consumer whose database is gone (it exits after
N consecutive errors instead of retrying forever).

The consumer under test is the toy of ``libs/common/tests/bus_consumer_proc.py``: its
handler is deliberately not idempotent on its own (it adds each commission to a running
total and appends a log row), so any event applied twice shows as a wrong total.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, func, select

from brokerage_common.broker import LocalBroker, free_port
from brokerage_common.consumer import IdempotentConsumer
from brokerage_common.db import Database
from brokerage_common.events import Envelope, TradeSettled, new_envelope
from brokerage_common.kafka import ensure_topics, make_producer, partition_counts

pytestmark = [pytest.mark.resilience, pytest.mark.bus]

ROOT = Path(__file__).resolve().parents[2]
PROC_PATH = ROOT / "libs" / "common" / "tests" / "bus_consumer_proc.py"
MakeDatabase = Callable[[MetaData], Awaitable[Database]]


def _load_toy() -> Any:
    name = "brokerage_common_tests_bus_toy"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PROC_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


toy = _load_toy()


# ------------------------------------------------------------------------------------ helpers


def uid() -> str:
    return uuid.uuid4().hex[:10]


def trade(customer_id: str, n: int) -> Envelope[Any]:
    commission = Decimal(f"{(n * 37) % 500}.{(n * 13) % 100:02d}")
    return new_envelope(
        TradeSettled(
            trade_id=f"T{customer_id}-{n:06d}",
            customer_id=customer_id,
            account_id=f"A{customer_id}"[:32],
            market="SH",
            security_code="600519",
            side="B",
            quantity=100,
            price=Decimal("1520.00"),
            amount=Decimal("152000.00"),
            commission=commission,
            trade_date=date(2026, 11, 20),
            settled_on=date(2026, 11, 20),
        ),
        source="settlement-system",
    )


def expected_totals(envs: list[Envelope[Any]]) -> dict[str, tuple[int, int]]:
    """Per customer: the sum of commissions in fen and the number of trades, each once."""
    out: dict[str, tuple[int, int]] = {}
    for e in envs:
        total, n = out.get(e.data.customer_id, (0, 0))
        out[e.data.customer_id] = (total + toy.fen(e.data.commission), n + 1)
    return out


async def send_all(producer: AIOKafkaProducer, topic: str, envs: list[Envelope[Any]]) -> None:
    for e in envs:
        await producer.send(topic, key=e.data.key.encode(), value=e.to_json())
    await producer.flush()


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, within_s: float, what: str
) -> None:
    deadline = time.monotonic() + within_s
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within_s}s waiting for {what}")
        await asyncio.sleep(0.1)


async def applied(db: Database, group: str) -> int:
    pe = toy.tables.processed_event
    async with db.sessionmaker() as session:
        stmt = select(func.count()).select_from(pe).where(pe.c.consumer == group)
        return int((await session.execute(stmt)).scalar_one())


async def totals(db: Database, customers: set[str]) -> dict[str, tuple[int, int]]:
    t = toy.totals
    async with db.sessionmaker() as session:
        rows = (await session.execute(select(t).where(t.c.customer_id.in_(customers)))).all()
    return {r.customer_id: (r.total_fen, r.events) for r in rows}


async def log_count(db: Database, customers: set[str]) -> int:
    log = toy.applied_log
    async with db.sessionmaker() as session:
        stmt = select(func.count()).select_from(log).where(log.c.customer_id.in_(customers))
        return int((await session.execute(stmt)).scalar_one())


async def dead_letters(db: Database, group: str) -> list[Any]:
    dl = toy.tables.dead_letter
    async with db.sessionmaker() as session:
        stmt = select(dl).where(dl.c.consumer == group).order_by(dl.c.id)
        return list((await session.execute(stmt)).all())


def metric(name: str, **labels: str) -> float:
    return sum(
        s.value
        for m in REGISTRY.collect()
        for s in m.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


@contextlib.asynccontextmanager
async def running(consumer: IdempotentConsumer) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield task
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=20)


@contextlib.asynccontextmanager
async def producer_on(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = make_producer(bootstrap, client_id="resilience-test")
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


@pytest.fixture
async def db(make_database: MakeDatabase) -> Database:
    return await make_database(toy.metadata)


@pytest.fixture
def own_broker(tmp_path: Path) -> Any:
    """A broker of this test alone, on a port it can be restarted on."""
    holder = {"broker": LocalBroker(port=free_port(), log_path=tmp_path / "tansu.log").start()}
    try:
        yield holder
    finally:
        holder["broker"].stop()


# ----------------------------------------------------------------- broker restarted empty


async def test_broker_restarted_empty_skips_nothing_and_keeps_partition_counts(
    db: Database, own_broker: dict[str, LocalBroker], tmp_path: Path
) -> None:
    """Issue 16 item 1: before the fix the group waited at its old offsets on the new,
    shorter log (every new event below them skipped, no error, lag 0), and the restarted
    broker's topics came back with 4 partitions instead of their declared count."""
    broker = own_broker["broker"]
    run = uid()
    topic = f"res.trades.{run}"
    specs = {topic: 6, f"{topic}.dlq": 1}
    await ensure_topics(broker.bootstrap, specs)
    customers = [f"R{run}{c:02d}" for c in range(12)]
    before = [trade(c, i) for i in range(40) for c in customers]  # 480, ~80 a partition
    group = f"res-restart-{run}"
    consumer = toy.make_consumer(db=db, bootstrap=broker.bootstrap, group=group, topics=[topic])

    async with running(consumer) as task:
        async with producer_on(broker.bootstrap) as producer:
            await send_all(producer, topic, before)
        await wait_until(
            lambda: _is(applied(db, group), len(before)), within_s=60, what="the first events"
        )
        await asyncio.sleep(1.0)  # offsets committed

        # The broker restarts empty (memory storage), on the same port.
        broker.stop()
        broker = own_broker["broker"] = LocalBroker(
            port=broker.port, log_path=tmp_path / "tansu2.log"
        ).start()
        await asyncio.sleep(3.0)  # clients reconnect (and, before the fix, auto-created)
        await ensure_topics(broker.bootstrap, specs)
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
        await admin.start()
        try:
            assert await partition_counts(admin, list(specs)) == specs
        finally:
            await admin.close()

        after = [trade(c, 1000 + i) for i in range(5) for c in customers]  # 60, ~10 a partition
        async with producer_on(broker.bootstrap) as producer:
            await send_all(producer, topic, after)
        await wait_until(
            lambda: _is(applied(db, group), len(before) + len(after)),
            within_s=60,
            what="every event sent after the restart",
        )
        assert not task.done()

    assert consumer.log_end_resets >= 1
    assert metric("brokerage_consumer_log_end_behind_total", consumer=group) >= 1
    everything = before + after
    assert await totals(db, set(customers)) == expected_totals(everything)  # none twice
    assert await log_count(db, set(customers)) == len(everything)
    assert await dead_letters(db, group) == []


async def test_offsets_written_past_the_new_log_end_are_noticed_and_nothing_skipped(
    db: Database, own_broker: dict[str, LocalBroker], tmp_path: Path
) -> None:
    """The issue's exact shape: after the restart the group's old positions (~80 a
    partition here) were committed to the new broker, whose partitions then held ~10 new
    events each. Before the fix the consumer waited at 80: every new event skipped, no
    error, lag clamped at 0. Now it notices the log ends below its offset, says so
    (error log, brokerage_consumer_log_end_behind_total) and re-reads the partition from
    its start."""
    broker = own_broker["broker"]
    run = uid()
    topic = f"res.offsets.{run}"
    specs = {topic: 3, f"{topic}.dlq": 1}
    await ensure_topics(broker.bootstrap, specs)
    customers = [f"O{run}{c:02d}" for c in range(6)]
    group = f"res-offsets-{run}"
    before = [trade(c, i) for i in range(40) for c in customers]  # 240, ~80 a partition
    consumer = toy.make_consumer(db=db, bootstrap=broker.bootstrap, group=group, topics=[topic])
    async with running(consumer):
        async with producer_on(broker.bootstrap) as producer:
            await send_all(producer, topic, before)
        await wait_until(
            lambda: _is(applied(db, group), len(before)), within_s=60, what="the first events"
        )
        await asyncio.sleep(1.0)
    old_positions = dict(consumer._committed)
    assert sum(old_positions.values()) == len(before)

    broker.stop()
    broker = own_broker["broker"] = LocalBroker(
        port=broker.port, log_path=tmp_path / "tansu2.log"
    ).start()
    await ensure_topics(broker.bootstrap, specs)
    # What the restarted worker did: its old positions committed to the new broker.
    writer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap, group_id=group, enable_auto_commit=False
    )
    await writer.start()
    try:
        writer.assign(list(old_positions))
        await writer.commit(old_positions)
    finally:
        await writer.stop()
    after = [trade(c, 1000 + i) for i in range(5) for c in customers]  # 30, ~10 a partition
    async with producer_on(broker.bootstrap) as producer:
        await send_all(producer, topic, after)

    resumed = toy.make_consumer(db=db, bootstrap=broker.bootstrap, group=group, topics=[topic])
    resets_before = metric("brokerage_consumer_log_end_behind_total", consumer=group)
    async with running(resumed):
        await wait_until(
            lambda: _is(applied(db, group), len(before) + len(after)),
            within_s=60,
            what="every event sent after the restart",
        )
    assert resumed.log_end_resets >= 1
    assert metric("brokerage_consumer_log_end_behind_total", consumer=group) > resets_before
    everything = before + after
    assert await totals(db, set(customers)) == expected_totals(everything)
    assert await log_count(db, set(customers)) == len(everything)


async def _is(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


# -------------------------------------------------------------- consumer killed in a stream


async def test_consumer_killed_again_and_again_in_a_stream_loses_and_doubles_nothing(
    db: Database, database_url: str, bootstrap: str, tmp_path: Path
) -> None:
    """SIGKILL three times while events stream in: 0 lost, 0 applied twice."""
    run = uid()
    topic = f"res.stream.{run}"
    await ensure_topics(bootstrap, {topic: 3, f"{topic}.dlq": 1})
    customers = [f"S{run}{c:02d}" for c in range(20)]
    envs = [trade(c, i) for i in range(100) for c in customers]  # 2,000
    group = f"res-kill-{run}"
    env = {
        **os.environ,
        "TOY_DATABASE_URL": database_url,
        "TOY_BOOTSTRAP": bootstrap,
        "TOY_GROUP": group,
        "TOY_TOPIC": topic,
        "TOY_BATCH_MAX": "200",
        "TOY_BATCH_SLEEP_S": "0.05",
    }

    def start() -> subprocess.Popen[bytes]:
        with (tmp_path / "proc.log").open("ab") as out:
            return subprocess.Popen(
                [sys.executable, str(PROC_PATH)], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    kills = 0
    proc = start()
    try:
        async with producer_on(bootstrap) as producer:
            for chunk in range(10):
                await send_all(producer, topic, envs[chunk * 200 : (chunk + 1) * 200])
                if chunk in (2, 5, 8):
                    # Kill it once it applied something of this stream, then restart it.
                    seen = await applied(db, group)
                    await wait_until(
                        lambda seen=seen: _more(applied(db, group), seen),
                        within_s=60,
                        what="progress before the kill",
                    )
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(timeout=10)
                    kills += 1
                    proc = start()
        await wait_until(
            lambda: _is(applied(db, group), len(envs)), within_s=120, what="every event"
        )
        await asyncio.sleep(1.0)
        assert proc.poll() is None, (tmp_path / "proc.log").read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    assert kills == 3
    assert await applied(db, group) == len(envs)  # none lost
    assert await totals(db, set(customers)) == expected_totals(envs)  # none doubled
    assert await log_count(db, set(customers)) == len(envs)
    assert await dead_letters(db, group) == []


async def _more(value: Awaitable[int], than: int) -> bool:
    return await value > than


# ------------------------------------------------------------------ poison among good events


def _raw(env: Envelope[Any], **changes: Any) -> bytes:
    obj = orjson.loads(env.to_json())
    data_changes = changes.pop("data", {})
    obj.update(changes)
    obj["data"].update(data_changes)
    return orjson.dumps(obj)


async def test_poison_interleaved_with_good_events_is_dead_lettered_with_its_reason(
    db: Database, bootstrap: str
) -> None:
    run = uid()
    topic = f"res.poison.{run}"
    await ensure_topics(bootstrap, {topic: 3, f"{topic}.dlq": 1})
    customer = f"X{run}"
    good = [trade(customer, i) for i in range(30)]
    template = trade(customer, 999)
    poison: list[tuple[bytes, str]] = [
        (b"not json at all", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (_raw(template, subject="SOMEONE-ELSE"), "subject differs from data.customer_id"),
        (_raw(template, id="p-nul", data={"trade_id": "T\u0000"}), "NUL"),
        (_raw(template, id="p-1970", time="1970-01-01T08:00:00+08:00"), "timestamp"),
        (_raw(template, id="p-2407", time="2407-01-01T08:00:00+08:00"), "timestamp"),
        (_raw(template, id="p-float", data={"commission": 1.5}), "commission"),
    ]
    group = f"res-poison-{run}"
    consumer = toy.make_consumer(db=db, bootstrap=bootstrap, group=group, topics=[topic])
    async with producer_on(bootstrap) as producer:
        # One key: poison and good events share a partition, in this order.
        for i, e in enumerate(good):
            await producer.send(topic, key=customer.encode(), value=e.to_json())
            if i % 4 == 0 and i // 4 < len(poison):
                await producer.send(topic, key=customer.encode(), value=poison[i // 4][0])
        await producer.flush()
    async with running(consumer) as task:
        await wait_until(
            lambda: _is(applied(db, group), len(good)), within_s=60, what="every good event"
        )
        await wait_until(
            lambda: _has(dead_letters(db, group), len(poison)), within_s=30, what="dead letters"
        )
        assert not task.done()

    assert await totals(db, {customer}) == expected_totals(good)
    letters = await dead_letters(db, group)
    assert len(letters) == len(poison)
    for letter, (_, why) in zip(letters, poison, strict=True):
        assert why in letter.reason, (why, letter.reason)


async def _has(rows: Awaitable[list[Any]], n: int) -> bool:
    return len(await rows) >= n


# ------------------------------------------------------------ N consecutive errors: exit


async def test_a_consumer_exits_after_n_consecutive_errors_instead_of_retrying_forever(
    bootstrap: str, tmp_path: Path
) -> None:
    """A worker whose database is gone exits (non-zero) so its orchestrator restarts it."""
    run = uid()
    topic = f"res.nodb.{run}"
    await ensure_topics(bootstrap, {topic: 1, f"{topic}.dlq": 1})
    async with producer_on(bootstrap) as producer:
        await send_all(producer, topic, [trade(f"N{run}", 1)])
    env = {
        **os.environ,
        # Nothing listens there: every batch fails with a connection error (transient).
        "TOY_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none",
        "TOY_BOOTSTRAP": bootstrap,
        "TOY_GROUP": f"res-nodb-{run}",
        "TOY_TOPIC": topic,
        "TOY_MAX_CONSECUTIVE_ERRORS": "3",
    }
    with (tmp_path / "proc.log").open("ab") as out:
        proc = subprocess.Popen(  # noqa: ASYNC220 - starting it does not block; waiting is threaded
            [sys.executable, str(PROC_PATH)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        code = await asyncio.to_thread(proc.wait, 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = (tmp_path / "proc.log").read_text()
    assert code not in (0, None), output[-2000:]
    assert "the consumer stops so that the process is restarted" in output
