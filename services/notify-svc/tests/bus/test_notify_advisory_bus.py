"""advisory-svc's events through the real broker: agreements decide who may get advice, and one
piece of content in two chunks becomes one message per entitled customer, once, even when a
chunk is delivered again (ADR 0010)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from notify_testkit import FakeClock, eventually, messages
from sqlalchemy import func, select

from brokerage_common import Database, Envelope, new_envelope
from brokerage_common import events as ev
from brokerage_common.kafka import make_producer
from notify_svc.config import Settings
from notify_svc.models import Agreement, Recipient
from notify_svc.rules import BEIJING
from notify_svc.worker import build_consumer

pytestmark = pytest.mark.bus


async def _publish(bootstrap: str, envelopes: list[Envelope[Any]]) -> None:
    producer = make_producer(bootstrap, client_id="notify-advisory-bus-test")
    await producer.start()
    try:
        for env in envelopes:
            await producer.send_and_wait(
                env.data.TOPIC.name, key=env.data.key.encode(), value=env.to_json()
            )
    finally:
        await producer.stop()


async def _count(db: Database, model: Any, column: Any, values: list[str]) -> int:
    async with db.sessionmaker() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).select_from(model).where(column.in_(values))
                )
            ).scalar_one()
        )


async def test_agreements_and_chunked_content_from_advisory(
    bootstrap: str, settings: Settings, db: Database, clock: FakeClock
) -> None:
    suffix = uuid.uuid4().hex[:8]
    active, cooling, rescinded, none = (f"C{x}{suffix}" for x in "ACRN")
    customers = [active, cooling, rescinded, none]
    settings.kafka_bootstrap_servers = bootstrap
    settings.service_name = f"notify-svc-test-{suffix}"  # a group of its own
    settings.consumer_session_timeout_ms = 2000
    today = date(2026, 11, 20)  # the FakeClock's day

    def signed(customer: str, signed_on: date, advice_from: date) -> ev.AdvisoryAgreementSigned:
        return ev.AdvisoryAgreementSigned(
            customer_id=customer,
            agreement_id=f"AG-{customer}",
            agreement_no=f"TG-B001-2026-{customer[-4:]}",
            branch_id="B001",
            risk_disclosure_version="RD-2026-01",
            signed_on=signed_on,
            cooling_off_ends_on=advice_from,
            advice_from=advice_from,
        )

    first = [
        *(
            ev.CustomerRegistered(
                customer_id=c,
                name="客户",
                phone=f"139{i:04d}{int(suffix[:4], 16) % 10000:04d}",
                branch_id="B001",
                opened_on=date(2020, 1, 1),
                birth_month_day="03-15",
                onsite=False,
            )
            for i, c in enumerate(customers)
        ),
        signed(active, date(2026, 11, 2), date(2026, 11, 10)),  # cooling-off over
        signed(cooling, date(2026, 11, 18), date(2026, 11, 26)),  # advice from next week
        signed(rescinded, date(2026, 11, 2), date(2026, 11, 10)),
        ev.AdvisoryAgreementRescinded(
            customer_id=rescinded,
            agreement_id=f"AG-{rescinded}",
            rescinded_on=date(2026, 11, 19),
            in_cooling_off=False,
            refund=Decimal("0"),
        ),
    ]
    consumer = build_consumer(settings, db, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await _publish(bootstrap, [new_envelope(e, source="test") for e in first])

        async def known() -> bool:
            return (
                await _count(db, Recipient, Recipient.customer_id, customers) == 4
                and await _count(db, Agreement, Agreement.customer_id, customers) == 3
            )

        await eventually(known, timeout_s=30)

        content_id = uuid.uuid4().hex
        piece = ev.ContentPublished(
            content_id=content_id,
            kind="stock_pick",
            title="个股点评",
            body="浦发银行（600000）基本面稳健，技术面走强。",
            risk_level="R2",
            author_id="S100",
            branch_id="B001",
            advice=True,
            security_code="600000",
            published_at=datetime(2026, 11, 20, 9, 30, tzinfo=BEIJING),
            audience_size=4,
            chunk_count=2,
        )
        chunk1 = ev.ContentAudienceResolved(
            content_id=content_id, chunk_no=1, chunk_count=2, customer_ids=[active, cooling]
        )
        chunk2 = ev.ContentAudienceResolved(
            content_id=content_id, chunk_no=2, chunk_count=2, customer_ids=[rescinded, none]
        )
        chunk1_env = new_envelope(chunk1, source="test")
        await _publish(
            bootstrap,
            [
                new_envelope(piece, source="test"),
                chunk1_env,
                chunk1_env,  # the same event again (the consumer's event id)
                new_envelope(chunk1, source="test"),  # re-published: a new event id
                new_envelope(chunk2, source="test"),
            ],
        )

        async def planned() -> bool:
            return len(await messages(db, trigger_ref=f"campaign:content-{content_id}")) >= 4

        await eventually(planned, timeout_s=30)
        await asyncio.sleep(1.0)  # room for a duplicate to show up, were there one
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)

    got = await messages(db, trigger_ref=f"campaign:content-{content_id}")
    assert len(got) == 4  # one per customer of the audience, the redelivered chunk added none
    decided = {m.customer_id: (m.state, m.reason) for m in got}
    # Advice only under an agreement valid today: cooling-off over, not rescinded (ADR 0010).
    assert decided == {
        active: ("scheduled", None),
        cooling: ("suppressed", "no_advisory_agreement"),
        rescinded: ("suppressed", "no_advisory_agreement"),
        none: ("suppressed", "no_advisory_agreement"),
    }
    assert {m.category for m in got} == {"advisory"}
    assert today == clock().astimezone(BEIJING).date()
