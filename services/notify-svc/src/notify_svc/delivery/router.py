"""Delivery reports (回执) from the SMS provider."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from brokerage_common import ERROR_RESPONSES
from brokerage_common.web import OutboxDep, SessionDep

from ..deps import ClockDep, ProviderDep
from .reports import apply_reports, store_reports
from .schemas import DeliveryReportIn, ProviderAck

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


@router.post("/sms/delivery-reports", response_model=ProviderAck, tags=["provider"])
async def receive_delivery_reports(
    reports: list[DeliveryReportIn],
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
    _provider: ProviderDep,
) -> ProviderAck:
    """Delivery reports (回执) from the SMS provider: stored raw and answered at once, then
    applied set-based; a report that cannot be applied yet is kept and applied later."""
    now = clock()
    ids = await store_reports(
        session, reports=[r.model_dump() for r in reports], source="callback", now=now
    )
    await session.commit()
    try:
        await apply_reports(session, now=now, outbox=outbox, ids=ids)
        await session.commit()
    except Exception:  # stored already: the worker applies them
        await session.rollback()
        log.warning("delivery reports stored; applying them is left to the worker", exc_info=True)
    return ProviderAck()
