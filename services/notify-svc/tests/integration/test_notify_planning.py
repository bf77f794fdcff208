"""Planning rules on a real database: greetings, caps, advisory agreements, trading-day
reminders, waiting for the recipient, consent order, expiry, and the outcome events."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta

import pytest
from notify_testkit import FakeClock, add_customer, messages, sign_agreement
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.campaigns import rules as campaign_rules
from notify_svc.handlers import Handlers
from notify_svc.models import PLATFORM, Message, Recipient
from notify_svc.planning import rules as planning_rules
from notify_svc.recipients import service as recipients
from notify_svc.reminders import calendar
from notify_svc.reminders import service as reminders
from notify_svc.rules import BEIJING
from notify_svc.templates import rules as template_rules
from notify_svc.worker import Notifier


async def ask(
    db: Database,
    handlers: Handlers,
    customer_id: str,
    template_code: str,
    category: str,
    params: dict[str, str] | None = None,
) -> None:
    env = new_envelope(
        ev.NotificationRequested(
            customer_id=customer_id,
            template_code=template_code,
            category=category,  # type: ignore[arg-type]
            params=params or {},
        ),
        source="test",
    )
    async with db.sessionmaker() as session:
        await handlers.handle(session, env)
        await session.commit()


async def outbox_events(db: Database) -> list[dict[str, object]]:
    async with db.sessionmaker() as session:
        rows = (await session.execute(select(PLATFORM.outbox.c.payload))).scalars()
        return [json.loads(r) for r in rows]


SEMINAR = {"date": "周六", "place": "营业部"}
RISK = {"security_name": "浦发银行", "security_code": "600000", "text": "触及预警线"}


async def test_birthday_and_holiday_greetings_are_planned_once_for_the_morning(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 10, 1, 0, 5, tzinfo=BEIJING))  # National Day, before dawn
    await add_customer(db, "C0001", birth_month_day="10-01")
    await add_customer(db, "C0002", birth_month_day="10-01", consent=False)
    await add_customer(db, "C0003", birth_month_day="05-05")
    assert sorted(await notifier.daily_once()) == ["birthday-2026-10-01", "holiday-2026-10-01"]
    assert await notifier.daily_once() == []  # the hourly job runs again: nothing new
    while await notifier.expand_campaigns_once():
        pass

    planned = await messages(db)
    birthday = [m for m in planned if m.template_code == "BIRTHDAY"]
    holiday = [m for m in planned if m.template_code == "HOLIDAY"]
    assert [m.customer_id for m in birthday] == ["C0001"]
    assert sorted(m.customer_id for m in holiday) == ["C0001", "C0003"]
    assert json.loads(holiday[0].params) == {"holiday": "国庆节"}
    morning = datetime(2026, 10, 1, 8, 0, tzinfo=BEIJING)
    assert {(m.state, m.next_attempt_at) for m in planned} == {("scheduled", morning)}
    # The dedupe key computed in SQL is the one rules.dedupe_key gives.
    assert birthday[0].dedupe_key == planning_rules.ordered_dedupe_key(
        trigger_event_id="campaign:birthday-2026-10-01", template_code="BIRTHDAY", recipient="C0001"
    )


async def test_a_29_february_birthday_is_greeted_on_28_february_in_other_years() -> None:
    assert campaign_rules.birthday_month_days(date(2027, 2, 28)) == ["02-28", "02-29"]
    assert campaign_rules.birthday_month_days(date(2028, 2, 28)) == ["02-28"]


async def test_the_daily_job_warns_while_the_trading_calendar_runs_out(
    notifier: Notifier, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    ends = calendar.trading_calendar_ends(notifier.settings.xshg_announced_closures)
    days_left = notifier.settings.calendar_warn_days  # the last day it still warns
    clock.set(datetime.combine(ends - timedelta(days_left), time(8), tzinfo=BEIJING))
    with caplog.at_level(logging.WARNING, logger="notify_svc.worker"):
        await notifier.daily_once()
    assert (
        REGISTRY.get_sample_value("notify_trading_calendar_remaining_seconds") == days_left * 86400
    )
    assert "trading calendar ends soon" in caplog.text
    caplog.clear()
    clock.set(datetime.combine(ends - timedelta(days_left + 1), time(8), tzinfo=BEIJING))
    with caplog.at_level(logging.WARNING, logger="notify_svc.worker"):
        await notifier.daily_once()
    assert REGISTRY.get_sample_value("notify_trading_calendar_remaining_seconds") == (
        (days_left + 1) * 86400
    )
    assert "trading calendar" not in caplog.text


async def test_marketing_and_advisory_count_against_the_daily_cap_service_does_not(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    notifier.settings.daily_cap = 2
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001")
    for _ in range(3):
        await ask(db, handlers, "C0001", "SEMINAR_INVITE", "marketing", SEMINAR)
        await ask(
            db,
            handlers,
            "C0001",
            "RISK_NOTICE",
            "service",
            {"security_name": "x", "security_code": "1", "text": "t"},
        )
    states = [(m.template_code, m.state, m.reason) for m in await messages(db)]
    assert states.count(("SEMINAR_INVITE", "scheduled", None)) == 2
    assert states.count(("SEMINAR_INVITE", "suppressed", "daily_cap_reached")) == 1
    assert states.count(("RISK_NOTICE", "scheduled", None)) == 3
    # The requester hears of the suppressed one.
    failed = [e for e in await outbox_events(db) if e["type"] == "NotificationFailed"]
    assert len(failed) == 1
    assert failed[0]["data"]["reason"] == "suppressed: daily_cap_reached"


async def test_advisory_content_needs_a_valid_agreement_and_carries_the_risk_disclosure(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001", consent=False)  # advisory needs no marketing consent
    await ask(db, handlers, "C0001", "ADVISORY_DIGEST", "advisory", {"summary": "关注银行板块"})
    await sign_agreement(
        db,
        "C0001",
        agreement_id="AG-0001",
        signed_on=date(2026, 1, 5),
        advice_from=date(2026, 1, 13),
        valid_until=date(2027, 1, 4),
        at=clock(),
    )
    await ask(db, handlers, "C0001", "ADVISORY_DIGEST", "advisory", {"summary": "关注银行板块"})
    planned = await messages(db)
    assert {(m.state, m.reason) for m in planned} == {
        ("suppressed", "no_advisory_agreement"),
        ("scheduled", None),
    }
    (sent,) = [m for m in planned if m.state == "scheduled"]
    assert sent.body is not None
    assert sent.body.endswith(template_rules.RISK_DISCLOSURE)


async def test_a_declared_category_that_differs_from_the_template_fails_visibly(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001", consent=False)
    await ask(db, handlers, "C0001", "SEMINAR_INVITE", "service", SEMINAR)  # marketing as service
    await ask(db, handlers, "C0001", "NO_SUCH_TEMPLATE", "service")
    await ask(db, handlers, "C0001", "RISK_NOTICE", "service", {"text": "x"})
    reasons = {m.reason for m in await messages(db)}
    assert reasons == {
        "category_mismatch",
        "unknown_template",
        "template_missing_parameters:security_code,security_name",
    }


async def test_reminders_are_counted_in_trading_days(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    await add_customer(db, "C0001")
    async with db.sessionmaker() as session:
        ipo = await reminders.schedule_reminders(
            session,
            kind="ipo",
            customer_ids=["C0001"],
            security_code="732999",
            security_name="某某股份",
            subscription_on=date(2026, 11, 20),  # Friday: T+2 is Tuesday
            listing_on=date(2026, 12, 1),
            last_exercise_on=None,
            days_before=0,
            settings=notifier.settings,
            outbox=notifier.outbox,
            now=clock(),
        )
        warrant = await reminders.schedule_reminders(
            session,
            kind="warrant_exercise",
            customer_ids=["C0001"],
            security_code="580999",
            security_name="某某认购权证",
            subscription_on=None,
            listing_on=None,
            last_exercise_on=date(2026, 12, 10),
            days_before=3,
            settings=notifier.settings,
            outbox=notifier.outbox,
            now=clock(),
        )
        await session.commit()
    assert [(s.stage, s.on) for s in ipo] == [
        ("subscription", date(2026, 11, 20)),
        ("allotment", date(2026, 11, 24)),
        ("listing", date(2026, 12, 1)),
    ]
    assert [(s.stage, s.on) for s in warrant] == [
        ("ahead", date(2026, 12, 7)),
        ("last_day", date(2026, 12, 10)),
    ]
    due = {
        m.template_code + "@" + m.next_attempt_at.astimezone(BEIJING).isoformat()
        for m in await messages(db)
    }  # type: ignore[union-attr]
    assert due == {
        "IPO_SUBSCRIPTION@2026-11-20T10:00:00+08:00",  # today, 09:00 has passed: now
        "IPO_ALLOTMENT@2026-11-24T09:00:00+08:00",
        "IPO_LISTING@2026-12-01T09:00:00+08:00",
        "WARRANT_EXERCISE@2026-12-07T09:00:00+08:00",
        "WARRANT_EXERCISE@2026-12-10T09:00:00+08:00",
    }


async def test_a_message_waits_for_its_recipient_then_gives_up(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await ask(db, handlers, "C0001", "TIER_UP", "service", {"tier": "金卡", "benefits": "专线"})
    await ask(db, handlers, "C0002", "TIER_UP", "service", {"tier": "金卡", "benefits": "专线"})
    assert {m.state for m in await messages(db)} == {"pending"}
    await add_customer(db, "C0001")
    assert await notifier.plan_pending_once() == 1
    clock.advance(timedelta(hours=25))
    assert await notifier.plan_pending_once() == 1
    states = {m.customer_id: (m.state, m.reason) for m in await messages(db)}
    assert states == {"C0001": ("scheduled", None), "C0002": ("failed", "unknown_recipient")}
    (failed,) = [e for e in await outbox_events(db) if e["type"] == "NotificationFailed"]
    assert failed["data"]["customer_id"] == "C0002"


async def test_an_older_consent_event_does_not_undo_a_newer_opt_out(
    db: Database, clock: FakeClock
) -> None:
    await add_customer(db, "C0001", consent=False)
    replied_at = clock()
    async with db.sessionmaker() as session:
        await recipients.record_replies(session, replies=[("13900000001", "T")], now=replied_at)
        older = ev.CustomerProfileUpdated(customer_id="C0001", marketing_consent=True)
        await recipients.update_customer(
            session, change=older, at=replied_at - timedelta(minutes=1), now=clock()
        )
        await session.commit()
        recipient = await session.get(Recipient, "C0001")
        assert recipient is not None
        assert recipient.marketing_consent is False
        # Consent given again at the counter after the opt-out: it counts, the opt-out is lifted.
        await recipients.update_customer(
            session, change=older, at=replied_at + timedelta(days=1), now=clock()
        )
        await session.commit()
        await session.refresh(recipient)
        assert recipient.marketing_consent is True
        assert not await recipients.is_opted_out(session, phone="13900000001")


async def test_an_accepted_send_without_a_report_expires_after_72_hours(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001")
    await ask(db, handlers, "C0001", "TIER_UP", "service", {"tier": "金卡", "benefits": "专线"})
    async with db.sessionmaker() as session:
        await session.execute(
            update(Message).values(
                state="accepted", out_id="x", accepted_at=clock(), next_attempt_at=None
            )
        )
        await session.commit()
    clock.advance(timedelta(hours=71, minutes=59))
    assert await notifier.expire_once() == 0
    clock.advance(timedelta(minutes=1))
    assert await notifier.expire_once() == 1
    (m,) = await messages(db)
    assert (m.state, m.reason) == ("expired", "no_report")
    (failed,) = [e for e in await outbox_events(db) if e["type"] == "NotificationFailed"]
    assert failed["data"]["reason"] == "expired: no_report"
