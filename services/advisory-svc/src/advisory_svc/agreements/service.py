"""Advisory agreement use cases: sign, rescind, and the checks advice depends on."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import Outbox
from brokerage_common import events as ev

from ..base import Base
from ..calendars import CalendarNotCovered
from ..errors import CalendarUnavailable, Invalid, NotAllowed, NotFound
from ..offers.service import mark_changed
from . import rules
from .models import AdvisoryAgreement

_A = Base.metadata.tables["advisory_agreement"]


def signed_condition(customer_id: object, today: date) -> ColumnElement[bool]:
    """A signed agreement not rescinded and not expired (advice may start after cooling-off)."""
    return and_(
        _A.c.customer_id == customer_id,
        _A.c.rescinded_on.is_(None),
        or_(_A.c.valid_until.is_(None), _A.c.valid_until >= today),
    )


def active_condition(customer_id: object, today: date) -> ColumnElement[bool]:
    """Advice flows today: signed, cooling-off over, not rescinded, not expired."""
    return and_(signed_condition(customer_id, today), _A.c.advice_from <= today)


async def has_signed_agreement(session: AsyncSession, *, customer_id: str, today: date) -> bool:
    return bool(
        (
            await session.execute(select(exists().where(signed_condition(customer_id, today))))
        ).scalar()
    )


async def sign(
    session: AsyncSession,
    *,
    customer_id: str,
    branch_id: str,
    risk_disclosure_version: str,
    fee_paid: Decimal,
    valid_until: date | None,
    signed_by: str,
    today: date,
    outbox: Outbox,
) -> AdvisoryAgreement:
    """Record a signed agreement with its number, cooling-off and the day advice may start."""
    if await has_signed_agreement(session, customer_id=customer_id, today=today):
        raise NotAllowed("the customer already has an agreement in force", ["agreement_exists"])
    if valid_until is not None and valid_until <= today:
        raise Invalid("valid_until must be after the signing day")
    try:
        dates = rules.agreement_dates(today)
    except CalendarNotCovered as exc:
        raise CalendarUnavailable(str(exc)) from exc
    year_start = today.replace(month=1, day=1)
    serial = (
        await session.execute(
            select(func.count()).where(_A.c.branch_id == branch_id, _A.c.signed_on >= year_start)
        )
    ).scalar_one() + 1
    agreement = AdvisoryAgreement(
        agreement_id=uuid.uuid4().hex,
        agreement_no=rules.agreement_number(branch_id, today, serial),
        customer_id=customer_id,
        branch_id=branch_id,
        risk_disclosure_version=risk_disclosure_version,
        fee_paid=fee_paid,
        signed_on=today,
        cooling_off_ends_on=dates.cooling_off_ends_on,
        advice_from=dates.advice_from,
        valid_until=valid_until,
        signed_by=signed_by,
        created_at=datetime.now(UTC),
    )
    session.add(agreement)
    await mark_changed(session, customer_ids=[customer_id])
    try:
        await session.flush()
    except IntegrityError as exc:  # two signings raced for the same number
        raise NotAllowed(
            "another agreement was numbered at the same time: retry", ["retry"]
        ) from exc
    await outbox.add(
        session,
        ev.AdvisoryAgreementSigned(
            customer_id=customer_id,
            agreement_id=agreement.agreement_id,
            agreement_no=agreement.agreement_no,
            branch_id=branch_id,
            risk_disclosure_version=risk_disclosure_version,
            signed_on=today,
            cooling_off_ends_on=agreement.cooling_off_ends_on,
            advice_from=agreement.advice_from,
            valid_until=valid_until,
        ),
    )
    return agreement


async def list_agreements(session: AsyncSession, *, customer_id: str) -> list[AdvisoryAgreement]:
    rows = await session.execute(
        select(AdvisoryAgreement)
        .where(col(AdvisoryAgreement.customer_id) == customer_id)
        .order_by(col(AdvisoryAgreement.signed_on))
    )
    return list(rows.scalars())


async def rescind(
    session: AsyncSession, *, customer_id: str, agreement_id: str, today: date, outbox: Outbox
) -> AdvisoryAgreement:
    """Rescind: within the cooling-off everything paid is refunded; advice stops at once."""
    agreement = await session.get(AdvisoryAgreement, agreement_id)
    if agreement is None or agreement.customer_id != customer_id:
        raise NotFound("no such agreement for this customer")
    if agreement.rescinded_on is not None:
        raise NotAllowed("this agreement is already rescinded", ["rescinded"])
    refund = rules.refund_on_rescission(
        fee_paid=agreement.fee_paid, cooling_off_ends_on=agreement.cooling_off_ends_on, today=today
    )
    agreement.rescinded_on, agreement.refund = today, refund
    await mark_changed(session, customer_ids=[customer_id])
    await outbox.add(
        session,
        ev.AdvisoryAgreementRescinded(
            customer_id=customer_id,
            agreement_id=agreement_id,
            rescinded_on=today,
            in_cooling_off=rules.in_cooling_off(agreement.cooling_off_ends_on, today),
            refund=refund,
        ),
    )
    return agreement
