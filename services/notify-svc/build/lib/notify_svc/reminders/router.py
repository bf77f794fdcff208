"""Reminder routes: schedule trading-day reminders for customers."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select
from sqlmodel import col

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal
from brokerage_common.web import ErrorBody, OutboxDep, SessionDep

from ..deps import SCOPE_REMINDERS, ClockDep, SettingsDep, staff_or_scope
from ..models import Recipient
from . import service
from .schemas import ReminderCreate, ReminderRead, ReminderStageRead

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


@router.post(
    "/reminders",
    response_model=ReminderRead,
    status_code=status.HTTP_201_CREATED,
    tags=["reminders"],
    responses={
        503: {
            "model": ErrorBody,
            "description": "a reminder day lies past the trading calendar's known closures "
            "(next year's not announced or not loaded yet); nothing was planned. A day past "
            "next year is 422: no announcement can cover it yet",
        }
    },
)
async def create_reminders(
    body: ReminderCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    outbox: OutboxDep,
    clock: ClockDep,
) -> ReminderRead:
    """Schedule trading-day reminders for customers (service notices, at 09:00 Beijing)."""
    staff_or_scope(principal, SCOPE_REMINDERS)
    if principal.is_staff:
        branches = dict(
            (
                await session.execute(
                    select(col(Recipient.customer_id), col(Recipient.branch_id)).where(
                        col(Recipient.customer_id).in_(body.customer_ids)
                    )
                )
            ).all()
        )
        if set(body.customer_ids) - set(branches):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown customer in customer_ids")
        if any(b != principal.branch_id for b in branches.values()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "staff may only reach their own branch")
    stages = await service.schedule_reminders(
        session,
        kind=body.kind,
        customer_ids=body.customer_ids,
        security_code=body.security_code,
        security_name=body.security_name,
        subscription_on=body.subscription_on,
        listing_on=body.listing_on,
        last_exercise_on=body.last_exercise_on,
        days_before=body.days_before,
        settings=settings,
        outbox=outbox,
        now=clock(),
    )
    await session.commit()
    return ReminderRead(
        kind=body.kind,
        security_code=body.security_code,
        stages=[
            ReminderStageRead(
                stage=s.stage,
                on=s.on,
                template_code=s.template_code,
                send_at=s.send_at,
                planned=s.planned,
            )
            for s in stages
        ],
    )
