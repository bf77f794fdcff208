"""One matrix of recipients through both planning paths: the same decisions.

A campaign's messages are decided in SQL (``campaigns.fastpath``, one INSERT ... SELECT per
chunk); a single message in Python (``planning.service``). Both read the suppression rules of
``planning.rules.SUPPRESS_RULES`` (their SQL twins in ``planning.facts``), the stored channel
choice and the same dedupe key. This runs the same recipients, for the same campaign trigger,
through each path on the same database (emptied of messages in between) and requires equal
decisions, each also equal to what the rules of domain §4 say it must be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from notify_testkit import FakeClock, add_customer, phone_of, sign_agreement
from sqlalchemy import delete, select

from brokerage_common import Database, Outbox
from notify_svc.campaigns import service as campaigns
from notify_svc.config import Settings
from notify_svc.models import PLATFORM, Campaign, Message, SmsOptOut
from notify_svc.planning import service as planning
from notify_svc.planning.rules import SuppressReason, ordered_dedupe_key
from notify_svc.rules import BEIJING, Category, Channel
from notify_svc.templates import service as templates

MARKETING_TEMPLATE = "SEMINAR_INVITE"  # marketing, SMS in the catalog; e-mail added below
ADVISORY_TEMPLATE = "ADVISORY_DIGEST"  # advisory
PARAMS = {
    MARKETING_TEMPLATE: {"date": "周六", "place": "营业部"},
    ADVISORY_TEMPLATE: {"summary": "均衡配置"},
}
CONSENT, NO_CONSENT = True, False
SMS, EMAIL = Channel.SMS.value, Channel.EMAIL.value
NO_CONSENT_R = SuppressReason.NO_MARKETING_CONSENT.value
NO_AGREEMENT_R = SuppressReason.NO_ADVISORY_AGREEMENT.value
CAPPED_R = SuppressReason.DAILY_CAP_REACHED.value


@dataclass(frozen=True)
class Row:
    """One recipient and what each category's message to them must become: (reason, channel),
    reason None meaning scheduled."""

    customer_id: str
    consent: bool
    channels: list[str]
    email: str | None = None
    opted_out: bool = False
    # As advisory-svc's events left it on the matrix's days (2026-11-20/21): "valid",
    # "expired", "cooling_off" (signed, advice from 2026-11-25), "rescinded" (on 2026-11-10),
    # "rescinded_later" (rescission dated 2026-12-01: advice still goes until then).
    agreement: str | None = None
    over_cap: bool = False
    marketing: tuple[str | None, str] = (None, SMS)
    advisory: tuple[str | None, str] = (None, SMS)


MATRIX = [
    Row("C0001", CONSENT, ["sms"], marketing=(None, SMS), advisory=(NO_AGREEMENT_R, SMS)),
    Row("C0002", NO_CONSENT, ["sms"], agreement="valid", marketing=(NO_CONSENT_R, SMS)),
    # The number replied T: no marketing to it, whatever the consent says; advisory is not
    # marketing and still goes to a customer with an agreement.
    Row(
        "C0003", CONSENT, ["sms"], opted_out=True, agreement="valid", marketing=(NO_CONSENT_R, SMS)
    ),
    Row(
        "C0004",
        CONSENT,
        ["email", "sms"],
        email="c4@example.com",
        agreement="valid",
        marketing=(None, EMAIL),
        advisory=(None, EMAIL),
    ),
    # Prefers e-mail but has no address: SMS.
    Row("C0005", CONSENT, ["email"], advisory=(NO_AGREEMENT_R, SMS)),
    # IM reaches staff, not customers: the next preference, e-mail.
    Row(
        "C0006",
        CONSENT,
        ["im", "email"],
        email="c6@example.com",
        agreement="expired",
        marketing=(None, EMAIL),
        advisory=(NO_AGREEMENT_R, EMAIL),
    ),
    Row("C0007", CONSENT, ["phone"], agreement="valid"),
    Row(
        "C0008",
        CONSENT,
        ["sms"],
        agreement="valid",
        over_cap=True,
        marketing=(CAPPED_R, SMS),
        advisory=(CAPPED_R, SMS),
    ),
    Row(
        "C0009",
        NO_CONSENT,
        ["email"],
        email="c9@example.com",
        agreement="valid",
        marketing=(NO_CONSENT_R, EMAIL),
        advisory=(None, EMAIL),
    ),
    Row("C0010", CONSENT, ["sms"], agreement="cooling_off", advisory=(NO_AGREEMENT_R, SMS)),
    Row("C0011", CONSENT, ["sms"], agreement="rescinded", advisory=(NO_AGREEMENT_R, SMS)),
    Row("C0012", NO_CONSENT, ["sms"], agreement="rescinded_later", marketing=(NO_CONSENT_R, SMS)),
]
LISTED = [r.customer_id for r in MATRIX] + ["C0001", "C0004"]  # two listed twice


D = date
AGREEMENTS: dict[str, tuple[date, date, date | None, date | None]] = {
    # (signed_on, advice_from, valid_until, rescinded_on)
    "valid": (D(2026, 1, 1), D(2026, 1, 9), None, None),
    "expired": (D(2025, 6, 2), D(2025, 6, 10), D(2026, 6, 30), None),
    "cooling_off": (D(2026, 11, 18), D(2026, 11, 25), None, None),
    "rescinded": (D(2026, 1, 1), D(2026, 1, 9), None, D(2026, 11, 10)),
    "rescinded_later": (D(2026, 1, 1), D(2026, 1, 9), None, D(2026, 12, 1)),
}


async def _set_up(db: Database, now: datetime) -> None:
    for row in MATRIX:
        await add_customer(
            db, row.customer_id, consent=row.consent, channels=row.channels, email=row.email, at=now
        )
    async with db.sessionmaker() as session:
        for code, category, text in (
            (
                MARKETING_TEMPLATE,
                Category.MARKETING,
                "诚邀您参加{date}的投资策略会，地点：{place}。",
            ),
            (ADVISORY_TEMPLATE, Category.ADVISORY, "今日策略：{summary}"),
        ):
            await templates.create_template_version(
                session,
                code=code,
                channel=Channel.EMAIL,
                category=category,
                text=text,
                subject="通知",
                provider_template_code=None,
                activate=True,
                actor="test",
                now=now,
            )
        for row in MATRIX:
            if row.opted_out:
                # Consent still recorded as given: the opt-out alone must suppress.
                session.add(SmsOptOut(phone=phone_of(int(row.customer_id[-4:])), opted_out_at=now))
        await session.commit()
    for row in MATRIX:
        if row.agreement is not None:
            signed_on, advice_from, valid_until, rescinded_on = AGREEMENTS[row.agreement]
            await sign_agreement(
                db,
                row.customer_id,
                agreement_id=f"AG-{row.customer_id}",
                signed_on=signed_on,
                advice_from=advice_from,
                valid_until=valid_until,
                rescinded_on=rescinded_on,
                at=now,
            )


async def _fill_the_cap(db: Database, settings: Settings, template: str, now: datetime) -> None:
    """One message of the same category already planned for the day: the cap of 1 is full."""
    async with db.sessionmaker() as session:
        for row in MATRIX:
            if row.over_cap:
                planned = await planning.plan_message(
                    session,
                    request=planning.Request(
                        trigger_ref="earlier-today",
                        template_code=template,
                        customer_id=row.customer_id,
                        params=PARAMS[template],
                    ),
                    settings=settings,
                    outbox=Outbox(PLATFORM, source="test"),
                    now=now,
                )
                assert planned.state == "scheduled"
        await session.commit()


Decision = tuple[Any, ...]


async def _decisions(db: Database, trigger: str) -> dict[str, Decision]:
    async with db.sessionmaker() as session:
        rows = (
            await session.execute(select(Message).where(Message.trigger_ref == trigger))
        ).scalars()
        return {
            m.customer_id or "": (
                m.state,
                m.reason,
                m.channel,
                m.address,
                m.next_attempt_at,
                m.send_on,
                m.dedupe_key,
            )
            for m in rows
        }


async def _per_message(
    db: Database, settings: Settings, template: str, trigger: str, now: datetime
) -> list[bool]:
    created = []
    async with db.sessionmaker() as session:
        for customer_id in LISTED:
            planned = await planning.plan_message(
                session,
                request=planning.Request(
                    trigger_ref=trigger,
                    template_code=template,
                    customer_id=customer_id,
                    params=PARAMS[template],
                ),
                settings=settings,
                outbox=Outbox(PLATFORM, source="test"),
                now=now,
            )
            created.append(planned.created)
        await session.commit()
    return created


async def _campaign(
    db: Database, settings: Settings, template: str, campaign_id: str, now: datetime
) -> None:
    async with db.sessionmaker() as session:
        await campaigns.create_campaign(
            session,
            template_code=template,
            name="parity",
            params=PARAMS[template],
            customer_ids=LISTED,
            branch_id=None,
            restrict_branch=None,
            send_at=None,
            actor="test",
            now=now,
            campaign_id=campaign_id,
        )
        await session.commit()
    done = False
    while not done:
        async with db.sessionmaker() as session:
            campaign = await session.get(Campaign, campaign_id)
            assert campaign is not None
            done = await campaigns.expand_campaign(
                session, campaign=campaign, settings=settings, now=now
            )
            await session.commit()


@pytest.mark.parametrize("template", [MARKETING_TEMPLATE, ADVISORY_TEMPLATE])
@pytest.mark.parametrize(
    ("hour", "minute", "send_at"),
    [
        (10, 0, datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)),  # inside the window
        (23, 30, datetime(2026, 11, 21, 8, 0, tzinfo=BEIJING)),  # quiet hours: next 08:00
    ],
)
async def test_the_campaign_and_the_single_message_decide_alike(
    db: Database,
    settings: Settings,
    clock: FakeClock,
    template: str,
    hour: int,
    minute: int,
    send_at: datetime,
) -> None:
    clock.set(datetime(2026, 11, 20, hour, minute, tzinfo=BEIJING))
    now = clock()
    settings = settings.model_copy(update={"daily_cap": 1, "campaign_chunk": 4})
    await _set_up(db, now)
    campaign_id = f"parity-{template}"
    trigger = f"campaign:{campaign_id}"

    await _fill_the_cap(db, settings, template, now)
    created = await _per_message(db, settings, template, trigger, now)
    one_by_one = await _decisions(db, trigger)
    assert created == [True] * len(MATRIX) + [False, False]  # a listed twice plans once

    async with db.sessionmaker() as session:
        await session.execute(delete(Message))
        await session.commit()
    await _fill_the_cap(db, settings, template, now)
    await _campaign(db, settings, template, campaign_id, now)
    set_based = await _decisions(db, trigger)

    assert set_based == one_by_one
    expected_on = send_at.date()
    for row in MATRIX:
        reason, channel = row.marketing if template == MARKETING_TEMPLATE else row.advisory
        state, got_reason, got_channel, address, next_attempt_at, send_on, key = set_based[
            row.customer_id
        ]
        assert (state, got_reason, got_channel) == (
            "scheduled" if reason is None else "suppressed",
            reason,
            channel,
        ), row.customer_id
        assert address == (row.email if channel == EMAIL else phone_of(int(row.customer_id[-4:])))
        assert (next_attempt_at, send_on) == (send_at, expected_on)
        assert key == ordered_dedupe_key(
            trigger_event_id=trigger, template_code=template, recipient=row.customer_id
        )

    # The dedupe key is one: the single-message path finds every campaign message already there.
    assert await _per_message(db, settings, template, trigger, now) == [False] * len(LISTED)
