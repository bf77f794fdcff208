"""notify-svc HTTP routes: parse -> service -> commit -> response."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import (
    ERROR_RESPONSES,
    CurrentPrincipal,
    Outbox,
    Principal,
    ensure_can_access_customer,
    require_scope,
)
from brokerage_common.web import ErrorBody, SessionDep

from . import delivery, metrics, rules, service
from .config import Settings
from .models import PLATFORM, Campaign, Message, Recipient
from .rules import Category, Channel
from .schemas import (
    AgreementCreate,
    AgreementRead,
    CampaignCreate,
    CampaignRead,
    DeliveryReportIn,
    MessageRead,
    ProviderAck,
    ReminderCreate,
    ReminderRead,
    ReminderStageRead,
    ReplyIn,
    TemplateCreate,
    TemplateRead,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)

SCOPE_REPORT = "sms:report"
SCOPE_CAMPAIGNS = "notify:campaigns"
SCOPE_TEMPLATES = "notify:templates"
SCOPE_REMINDERS = "notify:reminders"
SCOPE_READ = "notify:read"


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_clock(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock  # type: ignore[no-any-return]


ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
ProviderDep = Annotated[Principal, Depends(require_scope(SCOPE_REPORT))]


def outbox_for(settings: Settings) -> Outbox:
    return Outbox(PLATFORM, source=settings.service_name)


def _actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.sub}"[:64]


def _staff_or_scope(principal: Principal, scope: str) -> None:
    """Staff, or a service holding ``scope``; customers never."""
    if principal.is_staff:
        return
    if principal.is_service and scope in principal.scopes:
        return
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"staff, or a service token with scope {scope}")


async def _customer_branch(session: AsyncSession, customer_id: str) -> str | None:
    recipient = await session.get(Recipient, customer_id)
    return recipient.branch_id if recipient else None


async def _authorize_customer(
    session: AsyncSession, principal: Principal, customer_id: str, *, scope: str = SCOPE_READ
) -> None:
    """The customer themself, staff of the customer's branch, or a service with ``scope``."""
    if principal.is_service:
        if scope not in principal.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires scope {scope}")
        return
    branch = None if principal.is_customer else await _customer_branch(session, customer_id)
    ensure_can_access_customer(principal, customer_id=customer_id, branch_id=branch)


# --------------------------------------------------------------------------- provider callbacks


@router.post("/sms/delivery-reports", response_model=ProviderAck, tags=["provider"])
async def receive_delivery_reports(
    reports: list[DeliveryReportIn],
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    _provider: ProviderDep,
) -> ProviderAck:
    """Delivery reports (回执) from the SMS provider: stored raw and answered at once, then
    applied set-based; a report that cannot be applied yet is kept and applied later."""
    now = clock()
    ids = await delivery.store_reports(
        session, reports=[r.model_dump() for r in reports], source="callback", now=now
    )
    await session.commit()
    try:
        await delivery.apply_reports(session, now=now, outbox=outbox_for(settings), ids=ids)
        await session.commit()
    except Exception:  # stored already: the worker applies them
        await session.rollback()
        log.warning("delivery reports stored; applying them is left to the worker", exc_info=True)
    return ProviderAck()


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


# --------------------------------------------------------------------------- templates


@router.get("/templates", response_model=list[TemplateRead], tags=["templates"])
async def read_templates(
    session: SessionDep,
    principal: CurrentPrincipal,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> list[TemplateRead]:
    """Every version of every template (or of one code), oldest first."""
    _staff_or_scope(principal, SCOPE_READ)
    return [
        TemplateRead.model_validate(t) for t in await service.list_templates(session, code=code)
    ]


@router.post(
    "/templates",
    response_model=TemplateRead,
    status_code=status.HTTP_201_CREATED,
    tags=["templates"],
)
async def create_template(
    body: TemplateCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> TemplateRead:
    """A new version of a template (staff holding scope notify:templates)."""
    if not principal.is_staff or SCOPE_TEMPLATES not in principal.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"staff with scope {SCOPE_TEMPLATES}")
    template = await service.create_template_version(
        session,
        code=body.code,
        channel=Channel(body.channel),
        category=Category(body.category),
        text=body.text,
        subject=body.subject,
        provider_template_code=body.provider_template_code,
        activate=body.activate,
        actor=_actor(principal),
        now=clock(),
    )
    await session.commit()
    return TemplateRead.model_validate(template)


# --------------------------------------------------------------------------- agreements


@router.post(
    "/customers/{customer_id}/advisory-agreements",
    response_model=AgreementRead,
    status_code=status.HTTP_201_CREATED,
    tags=["agreements"],
)
async def create_agreement(
    customer_id: str,
    body: AgreementCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> AgreementRead:
    """Record a signed advisory agreement (staff of the customer's branch)."""
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")
    branch = await _customer_branch(session, customer_id)
    if branch is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown customer")
    ensure_can_access_customer(principal, customer_id=customer_id, branch_id=branch)
    agreement = await service.record_agreement(
        session,
        customer_id=customer_id,
        agreement_id=body.agreement_id,
        signed_on=body.signed_on,
        valid_until=body.valid_until,
        actor=_actor(principal),
        now=clock(),
    )
    await session.commit()
    return AgreementRead.model_validate(agreement)


@router.get(
    "/customers/{customer_id}/advisory-agreements",
    response_model=list[AgreementRead],
    tags=["agreements"],
)
async def read_agreements(
    customer_id: str, session: SessionDep, principal: CurrentPrincipal
) -> list[AgreementRead]:
    await _authorize_customer(session, principal, customer_id)
    return [
        AgreementRead.model_validate(a)
        for a in await service.list_agreements(session, customer_id=customer_id)
    ]


# --------------------------------------------------------------------------- campaigns


def _campaign_read(campaign: Campaign, counts: dict[str, int]) -> CampaignRead:
    return CampaignRead(
        id=campaign.id,
        name=campaign.name,
        template_code=campaign.template_code,
        category=campaign.category,
        kind=campaign.kind,
        branch_id=campaign.branch_id,
        state=campaign.state,  # type: ignore[arg-type]
        planned=campaign.planned,
        skipped=campaign.skipped,
        counts=counts,
        created_at=campaign.created_at,
        expanded_at=campaign.expanded_at,
    )


@router.post(
    "/campaigns",
    response_model=CampaignRead,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["campaigns"],
)
async def create_campaign(
    body: CampaignCreate, session: SessionDep, principal: CurrentPrincipal, clock: ClockDep
) -> CampaignRead:
    """A group message to listed customers or to a branch's (consenting) customers; the worker
    turns it into messages in chunks. Staff reach their own branch only."""
    _staff_or_scope(principal, SCOPE_CAMPAIGNS)
    restrict = principal.branch_id if principal.is_staff else None
    if body.segment is not None and restrict is not None and body.segment.branch_id != restrict:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff may only reach their own branch")
    campaign, _ = await service.create_campaign(
        session,
        template_code=body.template_code,
        name=body.name,
        params=dict(body.params),
        customer_ids=body.customer_ids,
        branch_id=body.segment.branch_id if body.segment else None,
        restrict_branch=restrict,
        send_at=body.send_at,
        actor=_actor(principal),
        now=clock(),
    )
    await session.commit()
    return _campaign_read(campaign, {})


@router.get("/campaigns/{campaign_id}", response_model=CampaignRead, tags=["campaigns"])
async def read_campaign(
    campaign_id: str, session: SessionDep, principal: CurrentPrincipal
) -> CampaignRead:
    """A campaign's progress: messages by state."""
    _staff_or_scope(principal, SCOPE_CAMPAIGNS)
    campaign, counts = await service.campaign_progress(session, campaign_id=campaign_id)
    if principal.is_staff and campaign.branch_id != principal.branch_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "another branch's campaign")
    return _campaign_read(campaign, counts)


# --------------------------------------------------------------------------- reminders


@router.post(
    "/reminders",
    response_model=ReminderRead,
    status_code=status.HTTP_201_CREATED,
    tags=["reminders"],
    responses={
        503: {
            "model": ErrorBody,
            "description": "a reminder day lies past the trading calendar's known closures "
            "(next year's not announced or not loaded yet); nothing was planned",
        }
    },
)
async def create_reminders(
    body: ReminderCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    clock: ClockDep,
) -> ReminderRead:
    """Schedule trading-day reminders for customers (service notices, at 09:00 Beijing)."""
    _staff_or_scope(principal, SCOPE_REMINDERS)
    if principal.is_staff:
        branches = dict(
            (
                await session.execute(
                    select(Recipient.customer_id, Recipient.branch_id).where(
                        Recipient.customer_id.in_(body.customer_ids)  # type: ignore[attr-defined]
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
        outbox=outbox_for(settings),
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


# --------------------------------------------------------------------------- messages


def _message_read(m: Message) -> MessageRead:
    return MessageRead(
        id=m.id,
        customer_id=m.customer_id,
        campaign_id=m.campaign_id,
        channel=m.channel,
        category=m.category,
        template_code=m.template_code,
        template_version=m.template_version,
        address=rules.mask_address(m.address),
        state=m.state,  # type: ignore[arg-type]
        reason=m.reason,
        attempts=m.attempts,
        created_at=m.created_at,
        next_attempt_at=m.next_attempt_at,
        submitted_at=m.submitted_at,
        accepted_at=m.accepted_at,
        finished_at=m.finished_at,
    )


@router.get("/messages/{message_id}", response_model=MessageRead, tags=["messages"])
async def read_message(
    message_id: str, session: SessionDep, principal: CurrentPrincipal
) -> MessageRead:
    """One message and where it is in its life (address masked)."""
    message = await service.get_message(session, message_id=message_id)
    if message.customer_id is None:
        _staff_or_scope(principal, SCOPE_READ)
    else:
        await _authorize_customer(session, principal, message.customer_id)
    return _message_read(message)


@router.get(
    "/customers/{customer_id}/messages", response_model=list[MessageRead], tags=["messages"]
)
async def read_customer_messages(
    customer_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[MessageRead]:
    """A customer's messages, newest first."""
    await _authorize_customer(session, principal, customer_id)
    return [
        _message_read(m)
        for m in await service.customer_messages(session, customer_id=customer_id, limit=limit)
    ]
