"""Advisory agreements (投资顾问协议): recorded by branch staff, checked before advisory content.

Session first, keyword-only, never commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Exists, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..clock import new_id
from ..exceptions import Conflict, Invalid
from ..models import AdvisoryAgreement, table


async def record_agreement(
    session: AsyncSession,
    *,
    customer_id: str,
    agreement_id: str | None,
    signed_on: date,
    valid_until: date | None,
    actor: str,
    now: datetime,
) -> AdvisoryAgreement:
    if valid_until is not None and valid_until < signed_on:
        raise Invalid("valid_until is before signed_on")
    agreement_id = agreement_id or new_id()
    existing = await session.get(AdvisoryAgreement, agreement_id)
    if existing is not None:
        if existing.customer_id != customer_id:
            raise Conflict("this agreement id belongs to another customer")
        existing.signed_on, existing.valid_until = signed_on, valid_until
        return existing
    agreement = AdvisoryAgreement(
        id=agreement_id,
        customer_id=customer_id,
        signed_on=signed_on,
        valid_until=valid_until,
        recorded_by=actor,
        created_at=now,
    )
    session.add(agreement)
    await session.flush()
    return agreement


async def list_agreements(session: AsyncSession, *, customer_id: str) -> list[AdvisoryAgreement]:
    return list(
        (
            await session.execute(
                select(AdvisoryAgreement)
                .where(col(AdvisoryAgreement.customer_id) == customer_id)
                .order_by(col(AdvisoryAgreement.signed_on))
            )
        ).scalars()
    )


def agreement_valid_on(customer_id: Any, on: date) -> Exists:
    """SQL: the customer has an advisory agreement signed by ``on``, not expired and not
    revoked (the agreement fact of the suppression rules, ``planning.facts``)."""
    a = table(AdvisoryAgreement)
    return exists().where(
        a.c.customer_id == customer_id,
        a.c.signed_on <= on,
        or_(a.c.valid_until.is_(None), a.c.valid_until >= on),
        a.c.revoked_on.is_(None),
    )
