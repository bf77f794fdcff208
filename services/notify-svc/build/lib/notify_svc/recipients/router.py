"""Customer replies to our SMS: the opt-out (T / TD / 退订)."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from brokerage_common import ERROR_RESPONSES
from brokerage_common.web import SessionDep

from .. import metrics
from ..delivery.schemas import ProviderAck
from ..deps import ClockDep, ProviderDep
from . import service
from .schemas import ReplyIn

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


@router.post("/sms/replies", response_model=ProviderAck, tags=["provider"])
async def receive_replies(
    replies: list[ReplyIn], session: SessionDep, clock: ClockDep, _provider: ProviderDep
) -> ProviderAck:
    """Customer replies: T, TD or 退订 withdraws marketing consent for that number."""
    n = await service.record_replies(
        session, replies=[(r.phone_number, r.content) for r in replies], now=clock()
    )
    await session.commit()
    if n:
        metrics.OPT_OUTS.inc(n)
        log.info("opt-out replies recorded", extra={"count": n})
    return ProviderAck()
