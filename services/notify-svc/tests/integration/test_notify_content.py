"""advisory-svc's content delivered through the campaign path (ADR 0010, 0015): one message
per entitled customer per piece, decided by the suppression rules, whatever order the piece
and its chunks arrive in, and the agreement asked again when the message goes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from notify_testkit import FakeClock, add_customer, messages, phone_of, sign_agreement
from sqlalchemy import select

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.handlers import Handlers
from notify_svc.models import Campaign, ContentChunk
from notify_svc.rules import BEIJING
from notify_svc.templates.rules import OPT_OUT_TEXT, RISK_DISCLOSURE
from notify_svc.templates.service import active_template
from notify_svc.worker import Notifier

CONTENT_ID = "0f3c9a" + "0" * 26
TITLE, BODY = "晨会纪要", "今日关注银行板块，均衡配置。"


def published(*, advice: bool = True, chunk_count: int = 2, content_id: str = CONTENT_ID) -> Any:
    return ev.ContentPublished(
        content_id=content_id,
        kind="morning_note",
        title=TITLE,
        body=BODY,
        risk_level="R2",
        author_id="S100",
        branch_id="B001",
        advice=advice,
        published_at=datetime(2026, 11, 20, 9, 0, tzinfo=BEIJING),
        audience_size=5,
        chunk_count=chunk_count,
    )


def chunk(no: int, ids: list[str], *, of: int = 2, content_id: str = CONTENT_ID) -> Any:
    return ev.ContentAudienceResolved(
        content_id=content_id, chunk_no=no, chunk_count=of, customer_ids=ids
    )


async def apply(db: Database, handlers: Handlers, event: Any) -> None:
    """Each call is a new envelope (a new event id): a redelivery the consumer's event-id check
    would not catch, so only the business keys keep it from planning twice."""
    async with db.sessionmaker() as session:
        await handlers.handle(session, new_envelope(event, source="advisory-svc"))
        await session.commit()


async def test_advice_goes_once_to_each_customer_with_an_agreement_valid_that_day(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    for cid in ("C0001", "C0002", "C0003", "C0006"):
        await add_customer(db, cid, consent=False, at=clock())  # advice needs no consent
    await add_customer(db, "C0004", channels=["email"], email="c4@example.com", at=clock())
    active = {"signed_on": date(2026, 1, 5), "advice_from": date(2026, 1, 13)}
    for cid in ("C0001", "C0004", "C0006"):
        await sign_agreement(db, cid, agreement_id=f"AG-{cid}", **active, at=clock())
    # Signed two days ago: cooling-off until 2026-11-25, advice not yet.
    await sign_agreement(
        db,
        "C0003",
        agreement_id="AG-C0003",
        signed_on=date(2026, 11, 18),
        advice_from=date(2026, 11, 25),
        at=clock(),
    )

    # The second chunk overtakes the piece: kept, nothing planned without the text.
    await apply(db, handlers, chunk(2, ["C0006", "C0004", "C9999"]))
    assert await messages(db) == []
    await apply(db, handlers, published())
    assert {m.customer_id for m in await messages(db)} == {"C0004", "C0006"}
    # C0006 is named in both chunks; C9999 is unknown to notify.
    await apply(db, handlers, chunk(1, ["C0001", "C0002", "C0003", "C0006"]))
    await apply(db, handlers, chunk(1, ["C0001", "C0002", "C0003", "C0006"]))  # redelivered
    await apply(db, handlers, published())  # redelivered too

    planned = await messages(db)
    by_customer = {m.customer_id: m for m in planned}
    assert len(planned) == len(by_customer) == 5  # one per customer per piece
    assert {cid: (m.state, m.reason) for cid, m in by_customer.items()} == {
        "C0001": ("scheduled", None),
        "C0002": ("suppressed", "no_advisory_agreement"),
        "C0003": ("suppressed", "no_advisory_agreement"),
        "C0004": ("scheduled", None),
        "C0006": ("scheduled", None),
    }
    assert {m.category for m in planned} == {"advisory"}
    assert by_customer["C0001"].address == phone_of(1)
    assert by_customer["C0001"].template_code == "ADVISORY_CONTENT"
    email = by_customer["C0004"]
    assert (email.channel, email.subject) == ("email", TITLE)
    assert email.body is not None
    assert BODY in email.body
    async with db.sessionmaker() as session:
        sms_template = await active_template(session, code="ADVISORY_CONTENT", channel="sms")
    assert sms_template is not None  # the provider's copy of the SMS text carries it too
    assert sms_template.text.endswith(RISK_DISCLOSURE)
    assert email.body.endswith(RISK_DISCLOSURE)
    async with db.sessionmaker() as session:
        campaign = await session.get(Campaign, f"content-{CONTENT_ID}")
        assert campaign is not None
        assert (campaign.state, campaign.planned) == ("expanded", 5)
        chunks = (await session.execute(select(ContentChunk))).scalars().all()
        assert sorted((c.chunk_no, c.planned) for c in chunks) == [(1, 3), (2, 2)]

    # Once C0003's cooling-off is over (advice from 2026-11-25), the next piece reaches them.
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=BEIJING))
    later = "1a" + "0" * 30
    await apply(db, handlers, published(chunk_count=1, content_id=later))
    await apply(db, handlers, chunk(1, ["C0003"], of=1, content_id=later))
    (next_piece,) = await messages(db, trigger_ref=f"campaign:content-{later}")
    assert (next_piece.customer_id, next_piece.state) == ("C0003", "scheduled")


async def test_a_rescission_between_planning_and_sending_withholds_the_advice(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    for cid in ("C0001", "C0002"):
        await add_customer(db, cid, consent=False, at=clock())
        await sign_agreement(
            db,
            cid,
            agreement_id=f"AG-{cid}",
            signed_on=date(2026, 1, 5),
            advice_from=date(2026, 1, 13),
            at=clock(),
        )
    await apply(db, handlers, published(chunk_count=1))
    await apply(db, handlers, chunk(1, ["C0001", "C0002"], of=1))
    assert {m.state for m in await messages(db)} == {"scheduled"}
    # C0002 rescinds today, after the piece was planned and before it goes.
    await sign_agreement(
        db,
        "C0002",
        agreement_id="AG-C0002",
        signed_on=date(2026, 1, 5),
        advice_from=date(2026, 1, 13),
        rescinded_on=date(2026, 11, 20),
        at=clock(),
    )
    (sms,) = [s for s in notifier.senders if s.channel.value == "sms"]
    assert await notifier.send_due(sms) == 1
    by_customer = {m.customer_id: m for m in await messages(db)}
    assert (by_customer["C0002"].state, by_customer["C0002"].reason) == (
        "suppressed",
        "no_advisory_agreement",
    )
    assert by_customer["C0001"].state not in ("scheduled", "suppressed")  # it went


async def test_content_that_is_not_advice_is_a_mass_message_consent_and_quiet_hours(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    clock.set(datetime(2026, 11, 20, 23, 30, tzinfo=BEIJING))
    await add_customer(db, "C0001", consent=True, at=clock())
    await add_customer(db, "C0002", consent=False, at=clock())
    await apply(db, handlers, published(advice=False, chunk_count=1))
    await apply(db, handlers, chunk(1, ["C0001", "C0002"], of=1))
    by_customer = {m.customer_id: m for m in await messages(db)}
    assert {cid: (m.category, m.state, m.reason) for cid, m in by_customer.items()} == {
        "C0001": ("marketing", "scheduled", None),
        "C0002": ("marketing", "suppressed", "no_marketing_consent"),
    }
    # Planned at 23:30: goes at 08:00 Beijing the next morning.
    morning = datetime(2026, 11, 21, 8, 0, tzinfo=BEIJING)
    assert by_customer["C0001"].next_attempt_at == morning
    assert by_customer["C0001"].template_code == "CONTENT_NOTICE"
    async with db.sessionmaker() as session:
        template = await active_template(session, code="CONTENT_NOTICE", channel="sms")
    assert template is not None
    assert template.text.endswith(OPT_OUT_TEXT)


async def test_a_customer_notify_has_not_met_yet_gets_the_piece_once_they_appear(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    """Topics are not ordered with each other: advisory may name a customer whose
    CustomerRegistered notify has not applied yet. The chunk keeps them for
    pending_timeout_h (24 h); after that they are skipped."""
    handlers = Handlers(notifier.settings, clock=clock)
    await add_customer(db, "C0001", consent=True, at=clock())
    await apply(db, handlers, published(advice=False, chunk_count=1))
    await apply(db, handlers, chunk(1, ["C0001", "C0002", "C0003"], of=1))
    assert [m.customer_id for m in await messages(db)] == ["C0001"]

    await add_customer(db, "C0002", consent=True, at=clock())
    assert await notifier.plan_pending_once() == 1
    assert await notifier.plan_pending_once() == 0  # planned once
    assert sorted(m.customer_id or "" for m in await messages(db)) == ["C0001", "C0002"]
    assert len({m.id for m in await messages(db)}) == 2

    clock.advance(timedelta(hours=25))
    await add_customer(db, "C0003", consent=True, at=clock())  # too late: given up
    assert await notifier.plan_pending_once() == 0
    assert sorted(m.customer_id or "" for m in await messages(db)) == ["C0001", "C0002"]
    async with db.sessionmaker() as session:
        campaign = await session.get(Campaign, f"content-{CONTENT_ID}")
        assert campaign is not None
        assert (campaign.planned, campaign.skipped) == (2, 1)
        (stored,) = (await session.execute(select(ContentChunk))).scalars().all()
        assert (stored.planned, stored.waiting) == (2, None)
