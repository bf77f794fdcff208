"""Advisory agreements from advisory-svc's events, and the SQL the suppression rule reads.

Idempotent by agreement id: a signing applied twice, or a rescission that overtook its
signing, ends in the same row. Session first, keyword-only, never commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Exists, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import dialect

from ..models import Agreement, table


async def record_signed(
    session: AsyncSession,
    *,
    agreement_id: str,
    customer_id: str,
    agreement_no: str,
    signed_on: date,
    advice_from: date,
    valid_until: date | None,
    now: datetime,
) -> None:
    """``AdvisoryAgreementSigned``: the signed facts, keeping a rescission already recorded."""
    await session.execute(
        dialect.upsert(
            session,
            table(Agreement),
            keys=["agreement_id"],
            update=["agreement_no", "signed_on", "advice_from", "valid_until", "updated_at"],
        ).values(
            agreement_id=agreement_id,
            customer_id=customer_id,
            agreement_no=agreement_no,
            signed_on=signed_on,
            advice_from=advice_from,
            valid_until=valid_until,
            source="advisory",
            updated_at=now,
        )
    )


async def record_rescinded(
    session: AsyncSession,
    *,
    agreement_id: str,
    customer_id: str,
    rescinded_on: date,
    now: datetime,
) -> None:
    """``AdvisoryAgreementRescinded``: the earliest rescission day wins (a repeat changes
    nothing); before its signing is known the row holds the rescission alone."""
    agreement = await session.get(Agreement, agreement_id)
    if agreement is None:
        await session.execute(
            dialect.insert_ignoring_duplicates(
                session, table(Agreement), keys=["agreement_id"]
            ).values(
                agreement_id=agreement_id,
                customer_id=customer_id,
                rescinded_on=rescinded_on,
                source="advisory",
                updated_at=now,
            )
        )
        agreement = await session.get(Agreement, agreement_id)
        if agreement is None or agreement.rescinded_on == rescinded_on:
            return
    if agreement.rescinded_on is None or rescinded_on < agreement.rescinded_on:
        agreement.rescinded_on = rescinded_on
        agreement.updated_at = now
        await session.flush()


async def list_agreements(session: AsyncSession, *, customer_id: str) -> list[Agreement]:
    return list(
        (
            await session.execute(
                select(Agreement)
                .where(col(Agreement.customer_id) == customer_id)
                .order_by(col(Agreement.signed_on), col(Agreement.agreement_id))
            )
        ).scalars()
    )


def agreement_valid_on(customer_id: Any, on: date) -> Exists:
    """SQL twin of ``rules.allows_advice``: the customer has an agreement whose cooling-off is
    over by ``on``, not ended and not rescinded on or before ``on`` (the agreement fact of the
    suppression rules, ``planning.facts``)."""
    a = table(Agreement)
    return exists().where(
        a.c.customer_id == customer_id,
        a.c.advice_from <= on,
        or_(a.c.valid_until.is_(None), a.c.valid_until >= on),
        or_(a.c.rescinded_on.is_(None), a.c.rescinded_on > on),
    )
