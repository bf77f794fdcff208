"""Agreement handlers: advisory-svc's agreement events into the read model."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope
from brokerage_common import events as ev

from ..context import HandlerContext
from . import service


async def on_advisory_agreement_signed(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    e: ev.AdvisoryAgreementSigned = envelope.data
    await service.record_signed(
        session,
        agreement_id=e.agreement_id,
        customer_id=e.customer_id,
        agreement_no=e.agreement_no,
        signed_on=e.signed_on,
        advice_from=e.advice_from,
        valid_until=e.valid_until,
        now=ctx.clock(),
    )


async def on_advisory_agreement_rescinded(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    e: ev.AdvisoryAgreementRescinded = envelope.data
    await service.record_rescinded(
        session,
        agreement_id=e.agreement_id,
        customer_id=e.customer_id,
        rescinded_on=e.rescinded_on,
        now=ctx.clock(),
    )
