"""The agreement read model from advisory-svc's events: idempotent by agreement id, a
rescission that overtakes its signing kept, a customer notify has not met yet kept until
they appear (ADR 0010)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from notify_testkit import FakeClock, add_customer, messages, sign_agreement
from sqlalchemy import select

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.handlers import Handlers
from notify_svc.models import Agreement
from notify_svc.worker import Notifier


async def _rows(db: Database) -> list[tuple[object, ...]]:
    async with db.sessionmaker() as session:
        return [
            (a.agreement_id, a.customer_id, a.advice_from, a.rescinded_on)
            for a in (
                await session.execute(select(Agreement).order_by(Agreement.agreement_id))
            ).scalars()
        ]


async def test_a_repeated_signing_or_rescission_changes_nothing_and_order_does_not_matter(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    rescinded = ev.AdvisoryAgreementRescinded(
        customer_id="C0001",
        agreement_id="AG-1",
        rescinded_on=date(2026, 11, 20),
        in_cooling_off=True,
        refund=Decimal("300.00"),
    )
    async with db.sessionmaker() as session:
        # The rescission first (a replay from an earlier offset), then twice more.
        for _ in range(2):
            await handlers.handle(session, new_envelope(rescinded, source="advisory-svc"))
        await session.commit()
    assert await _rows(db) == [("AG-1", "C0001", None, date(2026, 11, 20))]
    for _ in range(2):
        await sign_agreement(
            db,
            "C0001",
            agreement_id="AG-1",
            signed_on=date(2026, 11, 16),
            advice_from=date(2026, 11, 24),
            at=clock(),
        )
    # Signed, and still rescinded: no advice ever flows under it.
    assert await _rows(db) == [("AG-1", "C0001", date(2026, 11, 24), date(2026, 11, 20))]
    async with db.sessionmaker() as session:
        later = rescinded.model_copy(update={"rescinded_on": date(2026, 12, 1)})
        await handlers.handle(session, new_envelope(later, source="advisory-svc"))
        await session.commit()
    assert await _rows(db) == [("AG-1", "C0001", date(2026, 11, 24), date(2026, 11, 20))]


async def test_an_agreement_of_an_unknown_customer_waits_for_the_customer(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    handlers = Handlers(notifier.settings, clock=clock)
    await sign_agreement(
        db,
        "C0007",
        agreement_id="AG-7",
        signed_on=date(2026, 1, 5),
        advice_from=date(2026, 1, 13),
        at=clock(),
    )
    await add_customer(db, "C0007", consent=False, at=clock())
    async with db.sessionmaker() as session:
        await handlers.handle(
            session,
            new_envelope(
                ev.NotificationRequested(
                    customer_id="C0007",
                    template_code="ADVISORY_DIGEST",
                    category="advisory",
                    params={"summary": "均衡配置"},
                ),
                source="test",
            ),
        )
        await session.commit()
    (message,) = await messages(db)
    assert (message.state, message.reason) == ("scheduled", None)
