"""Log lines say when (ISO 8601 with offset), for which request and for which event (ADR 0019)."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common.consumer import IdempotentConsumer, batch_handler
from brokerage_common.db import Database
from brokerage_common.events import (
    CustomerRegistered,
    Envelope,
    TradeSettled,
    new_envelope,
    parse_envelope,
)
from brokerage_common.logging import configure_logging
from brokerage_common.outbox import Outbox
from brokerage_common.settings import CommonSettings
from brokerage_common.tracing import (
    RequestContext,
    TraceContext,
    current_request,
    outgoing_headers,
    parse_traceparent,
)
from brokerage_common.web import install_platform

PROC_PATH = Path(__file__).with_name("bus_consumer_proc.py")
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PHONE = "13800001234"


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


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level


def json_lines(err: str, logger: str | None = None) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if logger is None or line["logger"] == logger]


# ------------------------------------------------------------------------------ timestamps


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("as_json", [True, False])
def test_every_line_has_an_iso_8601_time_with_its_offset(
    capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    configure_logging(service="test-svc", json=as_json)
    logging.getLogger("brokerage_common.tests").warning("hello")
    line = capsys.readouterr().err.strip()
    stamp = json.loads(line)["time"] if as_json else line.split(" ", 1)[0]
    when = datetime.fromisoformat(stamp)
    assert when.tzinfo is not None
    assert (stamp[10], stamp[-6] in "+-", stamp[-3]) == ("T", True, ":")  # ...T..+08:00
    assert abs((datetime.now(when.tzinfo) - when).total_seconds()) < 60


@pytest.mark.usefixtures("restore_logging")
def test_a_python_m_entry_point_logs_under_its_module_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Spec:
        name = "toy_svc.worker"

    main = type(sys)("__main__")
    main.__spec__ = Spec()  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "__main__", main)
    configure_logging(service="test-svc")
    logging.getLogger("__main__").warning("started")
    assert json.loads(capsys.readouterr().err)["logger"] == "toy_svc.worker"


# -------------------------------------------------------------------------------- requests


def traced_app() -> FastAPI:
    app = FastAPI()
    install_platform(
        app, settings=CommonSettings(service_name="toy-svc", environment="test"), readiness=[]
    )
    log = logging.getLogger("toy_svc.router")

    @app.get("/v1/things/{n}")
    async def thing(n: int) -> dict[str, int]:
        log.info("looking up", extra={"n": n, "phone": PHONE})
        log.warning("found")
        return {"n": n}

    return app


async def _get(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
        return await client.get("/v1/things/7", headers=headers or {})


@pytest.mark.usefixtures("restore_logging")
async def test_a_requests_lines_share_one_request_id_echoed_in_the_response(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service="toy-svc")
    app = traced_app()
    first = await _get(app)
    second = await _get(app)
    lines = json_lines(capsys.readouterr().err, "toy_svc.router")
    assert [line["message"] for line in lines] == ["looking up", "found"] * 2
    ids = [line["request_id"] for line in lines]
    assert ids[0] == ids[1] == first.headers["x-request-id"]
    assert ids[2] == ids[3] == second.headers["x-request-id"]
    assert ids[0] != ids[2]
    # No incoming id: the request id is the fresh trace's id.
    assert lines[0]["trace_id"] == ids[0]
    assert len(ids[0]) == 32
    # PII masking still holds on these lines.
    assert lines[0]["phone"] == "138****1234"
    assert current_request.get() is None  # nothing leaks past the request


@pytest.mark.usefixtures("restore_logging")
async def test_an_incoming_request_id_and_traceparent_are_kept(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service="toy-svc")
    app = traced_app()
    r = await _get(app, {"X-Request-ID": "cc-42.a", "traceparent": TRACEPARENT})
    lines = json_lines(capsys.readouterr().err, "toy_svc.router")
    assert r.headers["x-request-id"] == "cc-42.a"
    assert {line["request_id"] for line in lines} == {"cc-42.a"}
    assert {line["trace_id"] for line in lines} == {TRACE_ID}
    # This request is a new span in the caller's trace.
    assert {line["span_id"] for line in lines} != {"00f067aa0ba902b7"}


@pytest.mark.usefixtures("restore_logging")
async def test_a_request_id_that_could_forge_a_line_is_replaced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service="toy-svc")
    r = await _get(traced_app(), {"X-Request-ID": 'x" injected', "traceparent": "00-zz-bad-01"})
    lines = json_lines(capsys.readouterr().err, "toy_svc.router")
    assert r.headers["x-request-id"] == lines[0]["request_id"] == lines[0]["trace_id"]
    assert len(r.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (TRACEPARENT, True),
        (TRACEPARENT.upper(), True),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", False),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", False),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", False),
        ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", False),
        ("", False),
        (None, False),
    ],
)
def test_traceparent_parsing_follows_w3c(value: str | None, valid: bool) -> None:
    assert (parse_traceparent(value) is not None) is valid


# --------------------------------------------------------------------------- the envelope


def trade(customer_id: str, n: int) -> TradeSettled:
    return TradeSettled(
        trade_id=f"T{customer_id}-{n:06d}",
        customer_id=customer_id,
        account_id=f"A{customer_id}",
        market="SH",
        security_code="600519",
        side="B",
        quantity=100,
        price=Decimal("1520.00"),
        amount=Decimal("152000.00"),
        commission=Decimal("38.00"),
        trade_date=date(2026, 11, 20),
        settled_on=date(2026, 11, 20),
    )


def test_the_outbox_writes_the_requests_trace_context_into_the_envelope() -> None:
    outbox = Outbox(toy.tables, source="toy-svc")
    assert "traceparent" not in outbox.envelope(trade("C1", 1)).model_dump_json()
    token = current_request.set(RequestContext("r1", TraceContext(TRACE_ID, "00f067aa0ba902b7")))
    try:
        env = outbox.envelope(trade("C1", 1))
        fast = outbox._rows([trade("C1", 2)], datetime.now().astimezone())[0]["payload"]
    finally:
        current_request.reset(token)
    assert env.traceparent == TRACEPARENT
    assert json.loads(env.model_dump_json())["traceparent"] == TRACEPARENT
    assert json.loads(fast)["traceparent"] == TRACEPARENT
    assert parse_envelope(fast).traceparent == TRACEPARENT


async def test_an_event_staged_by_a_request_carries_the_callers_trace() -> None:
    """HTTP -> outbox: the envelope a route stages continues the caller's trace (the
    consumer's side is test_a_worker_line_carries_the_event_id_and_trace_id)."""
    app = traced_app()
    outbox = Outbox(toy.tables, source="toy-svc")

    @app.get("/v1/stage")
    async def stage() -> dict[str, str | None]:
        return {"payload": outbox.envelope(trade("C1", 1)).model_dump_json()}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
        r = await client.get("/v1/stage", headers={"traceparent": TRACEPARENT})
    staged = parse_envelope(r.json()["payload"])
    assert staged.traceparent is not None
    trace = parse_traceparent(staged.traceparent)
    assert trace is not None
    assert trace.trace_id == TRACE_ID
    assert trace.span_id != "00f067aa0ba902b7"  # the request's own span, the caller's child


def test_a_call_made_while_handling_a_request_carries_its_id_and_trace() -> None:
    assert outgoing_headers() == {}
    token = current_request.set(RequestContext("cc-7", TraceContext(TRACE_ID, "00f067aa0ba902b7")))
    try:
        assert outgoing_headers() == {"traceparent": TRACEPARENT, "X-Request-ID": "cc-7"}
    finally:
        current_request.reset(token)


def test_a_malformed_traceparent_is_ignored_not_refused() -> None:
    env = new_envelope(trade("C1", 1), source="settlement-system")
    obj = json.loads(env.model_dump_json())
    obj["traceparent"] = "not a trace"
    obj["someextension"] = "ignored"
    parsed = parse_envelope(json.dumps(obj))
    assert parsed.traceparent is None
    assert parsed.id == env.id


# -------------------------------------------------------------------------------- workers


def registered(customer_id: str) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id,
        name="张三",
        phone=PHONE,
        branch_id="B001",
        opened_on=date(2026, 11, 20),
        birth_month_day="03-07",
        onsite=True,
    )


def record(env: Envelope[Any], offset: int) -> ConsumerRecord[bytes, bytes]:
    value = env.to_json()
    return ConsumerRecord(
        topic=env.data.TOPIC.name,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=env.data.key.encode(),
        value=value,
        checksum=None,
        serialized_key_size=len(env.data.key),
        serialized_value_size=len(value),
        headers=(),
    )


def consumer_with(
    db: Database, handler: Any, event_type: str = "TradeSettled"
) -> IdempotentConsumer:
    return IdempotentConsumer(
        name="toy-log",
        topics=["trade.settled", "profile.customers"],
        db=db,
        tables=toy.tables,
        handlers={event_type: handler},
        bootstrap="127.0.0.1:9",
    )


@pytest.mark.usefixtures("restore_logging")
async def test_a_worker_line_carries_the_event_id_and_trace_id(
    make_database: Callable[[MetaData], Awaitable[Database]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = await make_database(toy.metadata)
    log = logging.getLogger("toy_svc.handlers")

    async def handle(_session: AsyncSession, env: Envelope[Any]) -> None:
        log.warning("applying", extra={"customer": env.data.customer_id, "phone": env.data.phone})

    # An internal event staged during a traced request, and one from before tracing.
    traced = new_envelope(registered("C1"), source="profile-svc", traceparent=TRACEPARENT)
    plain = new_envelope(registered("C2"), source="profile-svc")
    configure_logging(service="toy-worker")
    consumer = consumer_with(db, handle, "CustomerRegistered")
    await consumer.process_batch([record(traced, 0), record(plain, 1)])
    err = capsys.readouterr().err
    assert PHONE not in err
    lines = json_lines(err)
    applying = [line for line in lines if line["message"] == "applying"]
    assert [(line["event_id"], line.get("trace_id")) for line in applying] == [
        (traced.id, TRACE_ID),
        (plain.id, None),
    ]


@pytest.mark.usefixtures("restore_logging")
async def test_a_batch_handlers_line_carries_the_batchs_event_ids(
    make_database: Callable[[MetaData], Awaitable[Database]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = await make_database(toy.metadata)
    log = logging.getLogger("toy_svc.handlers")

    @batch_handler
    async def handle_all(_session: AsyncSession, envs: list[Envelope[Any]]) -> None:
        log.warning("applying a batch", extra={"n": len(envs)})

    envs = [new_envelope(trade(f"C{n}", n), source="settlement-system") for n in range(3)]
    configure_logging(service="toy-worker")
    await consumer_with(db, handle_all).process_batch(
        [record(env, n) for n, env in enumerate(envs)]
    )
    (line,) = [x for x in json_lines(capsys.readouterr().err) if x["message"].startswith("apply")]
    assert line["event_ids"] == [env.id for env in envs]
    assert line["event_count"] == 3
