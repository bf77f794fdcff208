"""Sending through the real SMS gateway stand-in: exactly once under failures, dedupe, quiet
hours, opt-out, batching, unknown sends settled by the status query, crash in submitting."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from notify_testkit import FakeClock, Gateway, add_customer, drive, messages, phone_of
from sqlalchemy import update

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.campaigns import service as campaigns
from notify_svc.handlers import Handlers
from notify_svc.models import Message
from notify_svc.recipients import service as recipients
from notify_svc.rules import BEIJING
from notify_svc.worker import Notifier


async def request(
    db: Database,
    handlers: Handlers,
    customer_id: str,
    template_code: str,
    category: str,
    params: dict[str, str] | None = None,
    *,
    event_id: str | None = None,
) -> None:
    env = new_envelope(
        ev.NotificationRequested(
            customer_id=customer_id,
            template_code=template_code,
            category=category,  # type: ignore[arg-type]
            params=params or {},
        ),
        source="test",
        event_id=event_id,
    )
    async with db.sessionmaker() as session:
        await handlers.handle(session, env)
        await session.commit()


def risk(code: str = "600000") -> dict[str, str]:
    return {"security_name": "浦发银行", "security_code": code, "text": "触及预警线"}


async def expected_per_number(db: Database) -> dict[str, int]:
    """SMS the stand-in must have taken per number: one per accepted message, none otherwise."""
    out: dict[str, int] = {}
    for m in await messages(db, channel="sms"):
        if m.state in ("delivered", "undelivered", "accepted", "expired"):
            out[m.address] = out.get(m.address, 0) + 1
    return out


async def test_transient_failures_and_timeouts_still_deliver_each_message_exactly_once(
    db: Database, notifier: Notifier, clock: FakeClock, gateway: Gateway
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    for i in range(1, 41):
        await add_customer(db, f"C{i:04d}", name=f"客户{i}")
        # Personal (name) -> sent alone; the risk notice has equal parameters -> batched.
        await request(
            db, handlers, f"C{i:04d}", "TIER_UP", "service", {"tier": "金卡", "benefits": "专线"}
        )
        await request(db, handlers, f"C{i:04d}", "RISK_NOTICE", "service", risk())
    await gateway.control(fail_rate=0.3, timeout_rate=0.15, timeout_sleep_ms=1500, seed=11)
    notifier.settings.sms_timeout_s = 0.3
    notifier.sms = type(notifier.sms)(notifier.settings)

    await drive(notifier, clock, pause_s=0.02)

    stats = await gateway.stats(per_number=True)
    assert stats["transient_failures"] > 0
    assert stats["timeouts"] > 0
    assert stats["duplicates"] == 0
    all_messages = await messages(db)
    assert len(all_messages) == 80
    assert {m.state for m in all_messages} <= {"delivered", "failed"}
    assert sum(m.state == "delivered" for m in all_messages) >= 78
    assert stats["sms_per_number"] == await expected_per_number(db)
    assert any(m.attempts > 1 for m in all_messages)


async def test_a_repeated_trigger_sends_nothing_new(
    db: Database, notifier: Notifier, clock: FakeClock, gateway: Gateway
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001")
    change = ev.TierChanged(
        customer_id="C0001",
        old_tier="silver",
        new_tier="gold",
        reason="assets",
        effective_on=datetime(2026, 11, 20).date(),
    )
    first = new_envelope(change, source="tiering-svc")
    # The same event redelivered, and the same change re-published under a new event id.
    for env in (first, first, new_envelope(change, source="tiering-svc")):
        async with db.sessionmaker() as session:
            await handlers.handle(session, env)
            await session.commit()
    await drive(notifier, clock)
    for _ in range(3):
        await request(db, handlers, "C0001", "RISK_NOTICE", "service", risk(), event_id="E-1")
    await drive(notifier, clock)

    sent = await messages(db)
    assert sorted(m.template_code for m in sent) == ["RISK_NOTICE", "TIER_UP"]
    stats = await gateway.stats(per_number=True)
    assert stats["sms_per_number"] == {phone_of(1): 2}
    assert stats["duplicates"] == 0


async def test_a_marketing_message_at_23_00_beijing_goes_out_at_08_00(
    db: Database, notifier: Notifier, clock: FakeClock, gateway: Gateway
) -> None:
    clock.set(datetime(2026, 11, 20, 23, 0, tzinfo=BEIJING))
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001")
    await request(
        db, handlers, "C0001", "SEMINAR_INVITE", "marketing", {"date": "周六", "place": "营业部"}
    )
    await request(db, handlers, "C0001", "RISK_NOTICE", "service", risk())  # no window

    assert await notifier.send_due(notifier.sms) == 1  # only the service notice
    (marketing,) = await messages(db, template_code="SEMINAR_INVITE")
    assert marketing.state == "scheduled"
    assert marketing.next_attempt_at == datetime(2026, 11, 21, 8, 0, tzinfo=BEIJING)
    clock.set(datetime(2026, 11, 21, 7, 59, tzinfo=BEIJING))
    assert await notifier.send_due(notifier.sms) == 0
    clock.set(datetime(2026, 11, 21, 8, 0, tzinfo=BEIJING))
    assert await notifier.send_due(notifier.sms) == 1
    (marketing,) = await messages(db, template_code="SEMINAR_INVITE")
    assert marketing.state == "accepted"
    assert marketing.submitted_at == datetime(2026, 11, 21, 8, 0, tzinfo=BEIJING)
    assert marketing.body is not None
    assert marketing.body.endswith("回T退订")
    assert (await gateway.stats())["sms_accepted"] == 2


async def test_an_opted_out_number_gets_no_marketing_but_still_a_risk_notice(
    db: Database, notifier: Notifier, clock: FakeClock, gateway: Gateway
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001")
    await add_customer(db, "C0002", consent=False)
    seminar = {"date": "周六", "place": "营业部"}
    await request(db, handlers, "C0001", "SEMINAR_INVITE", "marketing", seminar, event_id="E-a")
    async with db.sessionmaker() as session:
        await recipients.record_replies(session, replies=[(phone_of(1), "退订")], now=clock())
        await session.commit()
    await request(db, handlers, "C0001", "SEMINAR_INVITE", "marketing", seminar, event_id="E-b")
    await request(db, handlers, "C0002", "SEMINAR_INVITE", "marketing", seminar, event_id="E-c")
    await request(db, handlers, "C0001", "RISK_NOTICE", "service", risk())
    await drive(notifier, clock)

    by_trigger = {m.trigger_ref.split(":")[-1]: m for m in await messages(db)}
    assert by_trigger["E-a"].state == "suppressed"
    assert by_trigger["E-a"].reason == "opted_out"
    assert by_trigger["E-b"].state == "suppressed"
    assert by_trigger["E-b"].reason == "no_marketing_consent"
    assert by_trigger["E-c"].reason == "no_marketing_consent"
    (notice,) = await messages(db, template_code="RISK_NOTICE")
    assert notice.state == "delivered"
    assert (await gateway.stats(per_number=True))["sms_per_number"] == {phone_of(1): 1}


async def test_numbers_with_equal_parameters_share_one_send_of_up_to_the_batch_limit(
    db: Database, notifier: Notifier, clock: FakeClock, gateway: Gateway
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    notifier.sms.max_batch = 4
    for i in range(1, 11):
        await add_customer(db, f"C{i:04d}")
        await request(db, handlers, f"C{i:04d}", "RISK_NOTICE", "service", risk("600000"))
    await request(db, handlers, "C0001", "RISK_NOTICE", "service", risk("600001"))
    await drive(notifier, clock)

    stats = await gateway.stats()
    assert stats["sends_accepted"] == 4  # 4 + 4 + 2 numbers, and the one other text
    assert stats["sms_accepted"] == 11
    out_ids = {m.out_id for m in await messages(db)}
    assert len(out_ids) == 4
    assert {m.state for m in await messages(db)} == {"delivered"}


async def test_a_timeout_goes_to_unknown_and_the_status_query_settles_it_without_a_resend(
    db: Database, notifier: Notifier, clock: FakeClock, gateway: Gateway
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001")
    await add_customer(db, "C0002")
    await request(db, handlers, "C0001", "RISK_NOTICE", "service", risk("600000"))
    await gateway.control(timeout_rate=1.0, timeout_sleep_ms=1000)
    notifier.settings.sms_timeout_s = 0.2
    notifier.sms = type(notifier.sms)(notifier.settings)
    await notifier.send_due(notifier.sms)
    (m,) = await messages(db)
    assert m.state == "unknown"

    await gateway.control(timeout_rate=0.0)
    assert await notifier.reconcile_once() == 0  # asks only after unknown_query_delay_s
    clock.advance(timedelta(seconds=6))
    assert await notifier.reconcile_once() == 1
    (m,) = await messages(db)
    assert m.state == "delivered"
    assert (await gateway.stats())["sms_accepted"] == 1

    # A send the provider never received: the query shows nothing, so it is safe to resend.
    await request(db, handlers, "C0002", "RISK_NOTICE", "service", risk("600001"))
    async with db.sessionmaker() as session:
        await session.execute(
            update(Message)
            .where(Message.customer_id == "C0002")
            .values(state="unknown", out_id=None, attempts=1, next_attempt_at=clock())
        )
        await session.commit()
    await notifier.reconcile_once()
    (m2,) = await messages(db, customer_id="C0002")
    assert m2.state == "reconciled"
    await drive(notifier, clock)
    (m2,) = await messages(db, customer_id="C0002")
    assert m2.state == "delivered"
    assert (await gateway.stats(per_number=True))["sms_per_number"][phone_of(2)] == 1


async def test_a_crash_while_submitting_is_settled_by_query_never_by_a_blind_resend(
    db: Database, notifier: Notifier, clock: FakeClock, gateway: Gateway
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001")
    await request(db, handlers, "C0001", "RISK_NOTICE", "service", risk())
    # The sender committed "submitting", sent, and died before recording the answer.
    from notify_svc.delivery import service as delivery

    async with db.sessionmaker() as session:
        (group,) = await delivery.claim(
            session,
            channel=notifier.sms.channel,
            now=clock(),
            limit=10,
            batch_max=1000,
            stale_after_s=notifier.settings.stale_submitting_s,
        )
        await session.commit()
    await notifier.sms.send(group.outgoing())
    assert await notifier.send_due(notifier.sms) == 0  # submitting is never claimed again
    clock.advance(timedelta(seconds=notifier.settings.stale_submitting_s + 1))
    await drive(notifier, clock)
    (m,) = await messages(db)
    assert m.state == "delivered"
    assert (await gateway.stats())["sms_accepted"] == 1


async def test_a_provider_refusal_in_a_batch_is_narrowed_down_by_sending_alone(
    db: Database, notifier: Notifier, clock: FakeClock, gateway: Gateway
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    for i in range(1, 6):
        await add_customer(db, f"C{i:04d}")
        await request(db, handlers, f"C{i:04d}", "RISK_NOTICE", "service", risk())
    await gateway.control(
        throttle_numbers=[phone_of(2)],
        number_codes={
            phone_of(3): "isv.PHONE_NUMBER_IN_BLACKLIST",
            phone_of(4): "isv.MOBILE_NUMBER_ILLEGAL",
        },
    )
    for _ in range(3):
        await notifier.send_due(notifier.sms)
    states = {m.customer_id: (m.state, m.reason) for m in await messages(db)}
    assert states["C0001"][0] == "accepted"
    assert states["C0005"][0] == "accepted"
    assert states["C0002"] == ("scheduled", "isv.BUSINESS_LIMIT_CONTROL")
    assert states["C0003"] == ("suppressed", "isv.PHONE_NUMBER_IN_BLACKLIST")
    assert states["C0004"] == ("failed", "isv.MOBILE_NUMBER_ILLEGAL")
    (deferred,) = await messages(db, customer_id="C0002")
    assert deferred.attempts == 0  # a provider throttle is not a failed attempt
    await gateway.control(throttle_numbers=[])
    await drive(notifier, clock, step=timedelta(minutes=6))
    assert (await gateway.stats())["duplicates"] == 0


async def test_a_campaign_expands_set_based_and_reports_progress(
    db: Database, notifier: Notifier, clock: FakeClock, gateway: Gateway
) -> None:
    for i in range(1, 13):
        await add_customer(db, f"C{i:04d}", consent=i != 3, branch_id="B001" if i <= 10 else "B002")
    async with db.sessionmaker() as session:
        await recipients.record_replies(session, replies=[(phone_of(4), "T")], now=clock())
        seminar: dict[str, Any] = {"date": "周六", "place": "营业部"}
        segment, _ = await campaigns.create_campaign(
            session,
            template_code="SEMINAR_INVITE",
            name="策略会",
            params=seminar,
            customer_ids=None,
            branch_id="B001",
            restrict_branch="B001",
            send_at=None,
            actor="staff:S1",
            now=clock(),
        )
        listed, _ = await campaigns.create_campaign(
            session,
            template_code="SEMINAR_INVITE",
            name="策略会",
            params=seminar,
            customer_ids=["C0001", "C0003", "C0011", "NOBODY"],
            branch_id=None,
            restrict_branch="B001",
            send_at=None,
            actor="staff:S1",
            now=clock(),
        )
        await session.commit()
    notifier.settings.campaign_chunk = 3
    while await notifier.expand_campaigns_once():
        pass
    await drive(notifier, clock)

    async with db.sessionmaker() as session:
        seg, seg_counts = await campaigns.campaign_progress(session, campaign_id=segment.id)
        lst, lst_counts = await campaigns.campaign_progress(session, campaign_id=listed.id)
    # Branch B001, consenting, not opted out: C0001, C0002, C0005..C0010.
    assert seg.state == "expanded"
    assert seg_counts == {"delivered": 8}
    # Listed: C0001 delivered (a second message, another campaign), C0003 without consent is
    # suppressed, C0011 of another branch and an unknown id are skipped.
    assert lst_counts == {"delivered": 1, "suppressed": 1}
    assert lst.skipped == 2
    stats = await gateway.stats()
    assert stats["sends_accepted"] == 2
    assert stats["sms_accepted"] == 9
