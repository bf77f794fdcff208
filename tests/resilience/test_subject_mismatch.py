"""An event whose CloudEvents ``subject`` names another customer than its data is dead-lettered
by advisory-svc, notify-svc and ops-assessment-svc (issue 16 item 6).

Each service's consumer is built with the handlers its worker registers; a record is parsed
as the consumer parses a fetched batch. The same record with the subject matching its data
is applied: so the refusal is the subject's, nothing else. Trades go through the fast wire
decoder (advisory and ops consume them), the others through the contract's models.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiokafka.structs import ConsumerRecord
from sqlalchemy import MetaData

from brokerage_common import IdempotentConsumer, new_envelope, platform_tables
from brokerage_common import events as ev

pytestmark = [pytest.mark.resilience]

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
C1, C2 = "C0001", "C0002"
SAMPLES: list[ev.Event] = [
    ev.CustomerRegistered(
        customer_id=C1,
        name="张伟",
        phone="13800001234",
        branch_id="B001",
        opened_on=date(2020, 3, 2),
        birth_month_day="11-22",
        onsite=False,
    ),
    ev.TierChanged(
        customer_id=C1,
        old_tier="standard",
        new_tier="gold",
        reason="upgrade",
        effective_on=date(2026, 11, 1),
    ),
    ev.CustomerTransferRequested(
        customer_id=C1, request_id="R-1", kind="custody_transfer", market="SZ", requested_at=AT
    ),
    ev.TradeSettled(
        customer_id=C1,
        trade_id="T-1",
        account_id="A-1",
        market="SH",
        security_code="600519",
        side="B",
        quantity=100,
        price=Decimal("1500.00"),
        amount=Decimal("150000.00"),
        commission=Decimal("37.50"),
        trade_date=date(2026, 11, 20),
        settled_on=date(2026, 11, 20),
    ),
]


def _handlers(package: str) -> Mapping[str, Any]:
    if package == "advisory_svc":
        return importlib.import_module("advisory_svc.handlers").registry("advisory-svc")  # type: ignore[no-any-return]
    config = importlib.import_module(f"{package}.config")
    handlers = importlib.import_module(f"{package}.handlers")
    settings = config.Settings(environment="test")
    if package == "notify_svc":
        return handlers.Handlers(settings).registry()  # type: ignore[no-any-return]
    return handlers.handlers(settings)  # type: ignore[no-any-return]


def _record(raw: bytes, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="t",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=C1.encode(),
        value=raw,
        checksum=None,
        serialized_key_size=len(C1),
        serialized_value_size=len(raw),
        headers=(),
    )


@pytest.mark.parametrize("package", ["advisory_svc", "notify_svc", "ops_assessment_svc"])
def test_a_subject_naming_another_customer_is_dead_lettered(package: str) -> None:
    handlers = _handlers(package)
    consumer = IdempotentConsumer(
        name=f"{package}-test",
        topics=["t"],
        db=None,  # type: ignore[arg-type]  # parsing touches no database
        tables=platform_tables(MetaData()),
        handlers=handlers,
        bootstrap="127.0.0.1:1",
    )
    tried = 0
    for event in SAMPLES:
        if event.TYPE not in handlers:
            continue
        tried += 1
        obj = orjson.loads(new_envelope(event, source="test", time=AT).to_json())
        assert obj["subject"] == C1
        parsed, dead = consumer._parse([_record(orjson.dumps(obj), 0)])
        assert (len(parsed), dead) == (1, []), event.TYPE
        obj["subject"] = C2
        parsed, dead = consumer._parse([_record(orjson.dumps(obj), 1)])
        assert (parsed, len(dead)) == ([], 1), event.TYPE
        assert "subject" in dead[0].reason, dead[0].reason
    assert tried >= 2
