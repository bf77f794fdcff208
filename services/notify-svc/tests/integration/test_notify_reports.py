"""Delivery reports from the real stand-in, posted back to the notify-svc API over HTTP:
out of order, repeated, before the send's answer, and for a send not known yet."""

from __future__ import annotations

from datetime import timedelta

import httpx
from notify_testkit import (
    FakeClock,
    Gateway,
    ThreadedServer,
    add_customer,
    eventually,
    messages,
    open_count,
    phone_of,
    service_token,
)
from sqlalchemy import select, update

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.handlers import Handlers
from notify_svc.models import DeliveryReport, Message, Recipient
from notify_svc.worker import Notifier

REPORTS = "/v1/sms/delivery-reports"


async def tier_up(db: Database, handlers: Handlers, customer_id: str) -> None:
    env = new_envelope(
        ev.NotificationRequested(
            customer_id=customer_id,
            template_code="TIER_UP",
            category="service",
            params={"tier": "金卡", "benefits": "专线"},
        ),
        source="test",
    )
    async with db.sessionmaker() as session:
        await handlers.handle(session, env)
        await session.commit()


async def callbacks_to(gateway: Gateway, api: ThreadedServer, **control: object) -> None:
    await gateway.control(
        callback_url=f"{api.url}{REPORTS}",
        reply_url=f"{api.url}/v1/sms/replies",
        callback_token=service_token("sms:report", sub="sms-gateway"),
        **control,
    )


async def test_reports_in_reverse_order_and_repeated_leave_the_right_final_state(
    db: Database,
    notifier: Notifier,
    clock: FakeClock,
    gateway: Gateway,
    api_server: ThreadedServer,
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    for i in range(1, 21):
        await add_customer(db, f"C{i:04d}", name=f"客户{i}")
        await tier_up(db, handlers, f"C{i:04d}")
    undelivered = [phone_of(i) for i in (2, 5, 11, 17)]
    await callbacks_to(
        gateway,
        api_server,
        report_order="reverse",
        report_duplicates=True,
        report_linger_ms=100,
        undelivered_numbers=undelivered,
    )
    assert await notifier.send_due(notifier.sms) == 20

    async def settled() -> bool:
        return await open_count(db) == 0

    await eventually(settled)
    states = {m.address: (m.state, m.reason) for m in await messages(db)}
    for phone, (state, reason) in states.items():
        if phone in undelivered:
            assert (state, reason) == ("undelivered", "UNDELIVERED")
        else:
            assert (state, reason) == ("delivered", None)
    stats = await gateway.stats()
    assert stats["reports_sent"] == 40  # every report twice, all answered {"code": 0}
    assert stats["reports_dropped"] == 0

    # An older, contradicting report turns up later: a final state stays.
    delivered = next(m for m in await messages(db) if m.state == "delivered")
    late = {
        "phone_number": delivered.address,
        "success": False,
        "err_code": "UNDELIVERED",
        "out_id": delivered.out_id,
    }
    async with httpx.AsyncClient(base_url=api_server.url) as client:
        r = await client.post(
            REPORTS, json=[late], headers={"Authorization": f"Bearer {service_token('sms:report')}"}
        )
    assert r.json() == {"code": 0}
    (again,) = await messages(db, id=delivered.id)
    assert again.state == "delivered"


async def test_a_report_that_overtakes_the_send_answer_settles_the_message(
    db: Database,
    notifier: Notifier,
    clock: FakeClock,
    gateway: Gateway,
    api_server: ThreadedServer,
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001")
    await tier_up(db, handlers, "C0001")
    # Accepted at once, report at once, the answer to our POST only 700 ms later.
    await callbacks_to(
        gateway,
        api_server,
        report_delay_ms=0,
        report_linger_ms=0,
        timeout_rate=1.0,
        timeout_sleep_ms=700,
    )
    assert await notifier.send_due(notifier.sms) == 1
    (m,) = await messages(db)
    assert m.state == "delivered"
    assert m.accepted_at is None  # settled by the report while the send was still submitting
    assert m.biz_id is not None
    assert m.attempts == 0
    assert (await gateway.stats())["sms_accepted"] == 1


async def test_a_report_for_an_unknown_send_is_kept_and_matched_later(
    db: Database,
    notifier: Notifier,
    clock: FakeClock,
    gateway: Gateway,
    api_server: ThreadedServer,
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001")
    await tier_up(db, handlers, "C0001")
    report = {"phone_number": phone_of(1), "success": True, "out_id": "early-out-id"}
    async with httpx.AsyncClient(base_url=api_server.url) as client:
        r = await client.post(
            REPORTS,
            json=[report],
            headers={"Authorization": f"Bearer {service_token('sms:report')}"},
        )
    assert r.json() == {"code": 0}
    async with db.sessionmaker() as session:
        (raw,) = (await session.execute(select(DeliveryReport))).scalars()
        assert raw.applied_at is None
        # The send under that out_id is recorded now (another replica's slow commit, say).
        await session.execute(
            update(Message).values(state="accepted", out_id="early-out-id", accepted_at=clock())
        )
        await session.commit()
    assert await notifier.apply_reports_once() == 0  # not due again yet
    clock.advance(timedelta(seconds=6))
    assert await notifier.apply_reports_once() == 1
    (m,) = await messages(db)
    assert m.state == "delivered"


async def test_a_t_reply_through_the_gateway_withdraws_marketing_consent(
    db: Database,
    notifier: Notifier,
    clock: FakeClock,
    gateway: Gateway,
    api_server: ThreadedServer,
) -> None:
    await add_customer(db, "C0001")
    await callbacks_to(gateway, api_server)
    assert (await gateway.reply(phone_of(1), "ｔｄ。"))["code"] == "OK"
    assert (await gateway.reply(phone_of(1), "谢谢"))["code"] == "OK"
    async with db.sessionmaker() as session:
        recipient = await session.get(Recipient, "C0001")
        assert recipient is not None
        assert recipient.marketing_consent is False
