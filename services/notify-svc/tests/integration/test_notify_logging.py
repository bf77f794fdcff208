"""No phone number in any log line: sends, failures, timeouts, reports, replies, the circuit."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from notify_testkit import (
    FakeClock,
    Gateway,
    ThreadedServer,
    add_customer,
    drive,
    phone_of,
    service_token,
)

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from brokerage_common.logging import MaskingJsonFormatter
from notify_svc.handlers import Handlers
from notify_svc.worker import Notifier

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Our code and the HTTP layers: their records must hold no phone even before formatting.
OURS = ("notify_svc", "sms_gateway_standin", "brokerage_common", "httpx", "uvicorn")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self.formatter_ = MaskingJsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.formatter_.format(record))


@pytest.fixture
def capture() -> Iterator[Capture]:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    handler = Capture()
    yield handler
    root.setLevel(saved[0])
    root.handlers = saved[1]


STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def raw_text(record: logging.LogRecord) -> str:
    """The message and every extra field (the record's own bookkeeping numbers left out)."""
    parts = [record.getMessage()]
    parts += [str(v) for k, v in record.__dict__.items() if k not in STANDARD]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return " ".join(parts)


async def test_no_phone_number_reaches_a_log_line(
    db: Database,
    notifier: Notifier,
    clock: FakeClock,
    gateway: Gateway,
    api_server: ThreadedServer,
    capture: Capture,
) -> None:
    root = logging.getLogger()
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    handlers = Handlers(notifier.settings, clock=clock)
    for i in range(1, 6):
        await add_customer(db, f"C{i:04d}", name=f"客户{i}")
        env = new_envelope(
            ev.NotificationRequested(
                customer_id=f"C{i:04d}",
                template_code="TIER_UP",
                category="service",
                params={"tier": "金卡", "benefits": "专线"},
            ),
            source="test",
        )
        async with db.sessionmaker() as session:
            await handlers.handle(session, env)
            await session.commit()
    await gateway.control(
        callback_url=f"{api_server.url}/v1/sms/delivery-reports",
        reply_url=f"{api_server.url}/v1/sms/replies",
        callback_token=service_token("sms:report"),
        fail_rate=0.3,
        timeout_rate=0.2,
        timeout_sleep_ms=600,
        number_codes={phone_of(3): "isv.MOBILE_NUMBER_ILLEGAL"},
        undelivered_numbers=[phone_of(4)],
        seed=5,
    )
    notifier.settings.sms_timeout_s = 0.2
    notifier.sms = type(notifier.sms)(notifier.settings)
    await drive(notifier, clock)
    await gateway.reply(phone_of(1), "T")
    await gateway.control(error_code="isv.SMS_SIGNATURE_ILLEGAL", fail_rate=0.0)
    await add_customer(db, "C0009", name="客户9")
    async with db.sessionmaker() as session:
        await handlers.handle(
            session,
            new_envelope(
                ev.TierChanged(
                    customer_id="C0009",
                    old_tier="standard",
                    new_tier="silver",
                    reason="assets",
                    effective_on=clock().date(),
                ),
                source="tiering-svc",
            ),
        )
        await session.commit()
    await notifier.send_due(notifier.sms)

    assert len(capture.records) > 20
    names = {r.name.split(".")[0] for r in capture.records}
    assert {"notify_svc", "httpx"} <= names
    for record in capture.records:
        if record.name.startswith(OURS):
            assert not PHONE.search(raw_text(record)), (record.name, record.getMessage())
    for line in capture.lines:
        assert not PHONE.search(line), line
