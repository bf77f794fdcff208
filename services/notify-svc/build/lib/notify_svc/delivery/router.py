"""Delivery reports (回执) from the SMS provider."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import ERROR_RESPONSES, Outbox
from brokerage_common.web import OutboxDep, SessionDep

from ..deps import ClockDep, ProviderDep, SettingsDep
from .aliyun import address_allowed, token_matches
from .reports import apply_reports, store_reports
from .schemas import AliyunAck, DeliveryReportIn, ProviderAck

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
    await _take_reports(session, outbox=outbox, reports=reports, now=clock())
    return ProviderAck()


async def _take_reports(
    session: AsyncSession, *, outbox: Outbox, reports: list[DeliveryReportIn], now: datetime
) -> None:
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


def aliyun_caller(
    request: Request,
    settings: SettingsDep,
    token: Annotated[str, Path(max_length=256)],
) -> None:
    """Aliyun's report push carries no signature and cannot send our JWT: the token in the
    URL it was configured with (constant-time compare) and the caller's network stand in.
    A wrong token is 401, a caller outside ALIYUN_REPORT_ALLOWED_IPS 403; nothing is stored."""
    if settings.sms_provider != "aliyun":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the SMS provider is not aliyun")
    if not token_matches(token, settings.aliyun_report_token):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown report token")
    host = request.client.host if request.client else None
    if not address_allowed(host, settings.aliyun_report_allowed_ips):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "caller not in ALIYUN_REPORT_ALLOWED_IPS")


@router.post(
    "/sms/aliyun/delivery-reports/{token}",
    response_model=AliyunAck,
    tags=["provider"],
    dependencies=[Depends(aliyun_caller)],
)
async def receive_aliyun_reports(
    reports: list[DeliveryReportIn],
    session: SessionDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> AliyunAck:
    """Aliyun's SmsReport HTTP batch push (状态报告, a JSON array of reports): the same fields
    as the generic contract's, answered ``{"code": 0, "msg": "接收成功"}``."""
    await _take_reports(session, outbox=outbox, reports=reports, now=clock())
    return AliyunAck()
