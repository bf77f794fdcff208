"""Round trip through the real broker: settlement and transfer events in, segments and status out,
profile events relayed from the outbox; and no phone or ID number in any log line on the way."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import func, select

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from brokerage_common.kafka import make_producer
from profile_svc.config import Settings
from profile_svc.dependencies import get_today
from profile_svc.main import create_app
from profile_svc.models import PLATFORM, TransferRequest
from profile_svc.worker import build_consumer, build_relay

pytestmark = pytest.mark.bus

LAST_DAY = date(2026, 11, 20)


class _Lines(logging.Handler):
    """Collects formatted lines; with a plain formatter: what code logs before any masking."""

    def __init__(self, formatter: logging.Formatter, level: int) -> None:
        super().__init__(level)
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def _wait_for(check: Callable[[], Any], *, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.2)


async def _published(
    bootstrap: str, topic: str, keys: set[str], *, until: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """Read a topic from the start (no group) until ``until`` holds for the envelopes of keys."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while not until(seen):
            assert time.monotonic() < deadline, f"only saw {[e['type'] for e in seen]}"
            batches = await consumer.getmany(timeout_ms=300)
            for records in batches.values():
                for r in records:
                    if r.key is not None and r.key.decode() in keys:
                        seen.append(orjson.loads(r.value))
        return seen
    finally:
        await consumer.stop()


@pytest.fixture
async def bus_settings(database_url: str, bootstrap: str) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        kafka_bootstrap_servers=bootstrap,
        consumer_session_timeout_ms=2000,
        outbox_poll_interval_s=0.05,
        log_level="DEBUG",
    )


@pytest.fixture
async def worker(bus_settings: Settings, database_url: str) -> AsyncIterator[None]:
    db = Database(database_url, pool_size=5)
    consumer = build_consumer(bus_settings, db, group_id=f"profile-svc-test-{uuid.uuid4().hex[:8]}")
    relay = build_relay(bus_settings, db)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(consumer.run(stop)), asyncio.create_task(relay.run(stop))]
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=20)
        await db.dispose()


async def test_events_update_segments_and_status_and_no_personal_number_is_logged(
    bus_settings: Settings,
    bootstrap: str,
    db: Database,
    make_customer: Callable[..., dict[str, Any]],
    auth: Callable[..., dict[str, str]],
    capsys: pytest.CaptureFixture[str],
    worker: None,
) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    # The app configures logging as in production: JSON lines on stderr, masking formatter.
    app = create_app(bus_settings)
    app.dependency_overrides[get_today] = lambda: date(2026, 11, 22)
    raw = _Lines(JsonFormatter("%(levelname)s %(name)s %(message)s"), logging.INFO)
    root.addHandler(raw)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://profile"
            ) as client,
        ):
            rich, other = make_customer(), make_customer()
            for body in (rich, other):
                assert (
                    await client.post("/v1/customers", json=body, headers=auth("staff"))
                ).status_code == 201
            revealed = await client.get(
                f"/v1/customers/{rich['customer_id']}",
                params={"reveal": "true", "reason": "verify identity"},
                headers=auth("staff"),
            )
            assert revealed.json()["id_number"] == rich["id_number"]
            await _run_the_bus(bus_settings, bootstrap, db, client, auth, rich, other)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])

    secrets = [rich["phone"], rich["id_number"], other["phone"], other["id_number"]]
    stderr = capsys.readouterr().err
    assert "transfer request recorded" in stderr  # the pipeline was live, at DEBUG even
    leaked = [line for line in stderr.splitlines() if any(s in line for s in secrets)]
    assert leaked == [], leaked[:3]
    # Our code and the libraries at INFO do not even rely on the masking.
    assert any("transfer request recorded" in line for line in raw.lines)
    unmasked = [line for line in raw.lines if any(s in line for s in secrets)]
    assert unmasked == [], unmasked[:3]


async def _run_the_bus(
    settings: Settings,
    bootstrap: str,
    db: Database,
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    rich: dict[str, Any],
    other: dict[str, Any],
) -> None:
    cid = rich["customer_id"]
    producer = make_producer(bootstrap, client_id="profile-bus-test")
    await producer.start()
    try:
        messages: list[tuple[str, ev.Event, str]] = []
        for d in range(30):
            messages.append(
                (
                    "account.asset-snapshots",
                    ev.AssetSnapshotTaken(
                        customer_id=cid,
                        as_of=LAST_DAY - timedelta(days=d),
                        total_assets=Decimal("2000000.00"),
                        cash=Decimal("0.00"),
                        securities_value=Decimal("2000000.00"),
                        net_inflow=Decimal("0.00"),
                    ),
                    "settlement-system",
                )
            )
        for i in range(5):
            messages.append(
                (
                    "trade.settled",
                    ev.TradeSettled(
                        customer_id=cid,
                        trade_id=f"T-{cid}-{i}",
                        account_id="A1",
                        market="SH",
                        security_code="600519",
                        side="B",
                        quantity=100,
                        price=Decimal("5000.00"),
                        amount=Decimal("500000.00"),
                        commission=Decimal("125.00"),
                        trade_date=LAST_DAY - timedelta(days=i),
                        settled_on=LAST_DAY - timedelta(days=i),
                    ),
                    "settlement-system",
                )
            )
        transfer = ev.CustomerTransferRequested(
            customer_id=cid,
            request_id=f"R-{cid}",
            kind="custody_transfer",
            market="SZ",
            reason="friend works at another broker",
            requested_at="2026-11-20T10:12:00+08:00",  # type: ignore[arg-type]
        )
        messages.append(("customer.transfer-requested", transfer, "branch-counter"))
        messages.append(
            ("customer.transfer-requested", transfer, "branch-counter")
        )  # redelivered under a new id
        for topic, event, source in messages:
            await producer.send(
                topic,
                key=event.customer_id.encode(),
                value=new_envelope(event, source=source).to_json(),
            )
        # A broken message carrying personal numbers goes to the dead-letter path, not to a log.
        broken = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "type": "CustomerTransferRequested",
            "source": "branch-counter",
            "time": "2026-11-20T10:12:00+08:00",
            "subject": other["customer_id"],
            "data": {
                "customer_id": other["customer_id"],
                "request_id": other["phone"],
                "kind": other["id_number"],
                "market": "SZ",
                "requested_at": "2026-11-20T10:12:00+08:00",
            },
        }
        await producer.send(
            "customer.transfer-requested",
            key=other["customer_id"].encode(),
            value=orjson.dumps(broken),
        )
        await producer.flush()
    finally:
        await producer.stop()

    staff = auth("staff")

    async def segmented_and_flagged() -> bool:
        seg = (await client.get(f"/v1/customers/{cid}/segments", headers=staff)).json()
        status = (await client.get(f"/v1/customers/{cid}", headers=staff)).json()["status"]
        return seg["value_segment"] == "short_term_large" and status == "transfer_requested"

    await _wait_for(segmented_and_flagged)
    seg = (await client.get(f"/v1/customers/{cid}/segments", headers=staff)).json()
    assert (seg["traded_amount"], seg["contribution"], seg["turnover"]) == (
        "2500000.00",
        "625.00",
        "1.2500",
    )
    listed = (await client.get("/v1/segments/short_term_large/customers", headers=staff)).json()
    assert [i["customer_id"] for i in listed["items"]] == [cid]
    [request] = (await client.get(f"/v1/customers/{cid}/transfer-requests", headers=staff)).json()
    assert request["channel"] == "branch-counter"
    assert request["requested_at"].startswith("2026-11-20T02:12:00")

    async def dead_lettered() -> bool:
        async with db.sessionmaker() as session:
            return bool(
                (
                    await session.execute(select(func.count()).select_from(PLATFORM.dead_letter))
                ).scalar_one()
            )

    await _wait_for(dead_lettered)
    async with db.sessionmaker() as session:
        assert (
            await session.execute(select(func.count()).select_from(TransferRequest))
        ).scalar_one() == 1

    # The relay publishes what the API and the worker staged: registrations, the status change,
    # the transfer (once), in commit order per customer.
    published = await _published(
        bootstrap,
        "profile.customers",
        {cid, other["customer_id"]},
        until=lambda seen: (
            sum(e["type"] == "CustomerProfileUpdated" for e in seen) >= 1
            and sum(e["type"] == "CustomerRegistered" for e in seen) >= 2
        ),
    )
    mine = [e["type"] for e in published if e["subject"] == cid]
    assert mine == ["CustomerRegistered", "TransferAwayRecorded", "CustomerProfileUpdated"]
    registered = next(
        e for e in published if e["type"] == "CustomerRegistered" and e["subject"] == cid
    )
    assert registered["data"]["phone"] == rich["phone"]
    assert rich["id_number"] not in orjson.dumps(published).decode()

    async def all_relayed() -> bool:
        o = PLATFORM.outbox
        async with db.sessionmaker() as session:
            return (
                await session.execute(select(func.count()).where(o.c.published_at.is_(None)))
            ).scalar_one() == 0

    await _wait_for(all_relayed)
