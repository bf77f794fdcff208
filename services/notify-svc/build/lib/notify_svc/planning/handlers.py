"""Planning handlers: each trigger plans its message(s) under a dedupe key built from a
business identity where the event has one (a transfer request id, a tier change), else from
the event id, so a redelivered or re-published trigger never creates a second message.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope
from brokerage_common import events as ev

from ..context import HandlerContext
from ..groups.service import owner_of
from ..models import Recipient
from ..rules import BEIJING, Category, Channel
from ..templates import catalog
from . import service
from .rules import business_trigger
from .service import Request


async def _plan(ctx: HandlerContext, session: AsyncSession, request: Request) -> service.Planned:
    return await service.plan_message(
        session, request=request, settings=ctx.settings, outbox=ctx.outbox, now=ctx.clock()
    )


async def on_tier_changed(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    """Congratulate an upgrade; tell of a downgrade (a downgrade event means it happened).

    The heads-up *before* a downgrade needs the customer's assets and commission, which
    tiering-svc holds: it asks for it with NotificationRequested(TIER_REVIEW_NOTICE).
    """
    change: ev.TierChanged = envelope.data
    old, new = catalog.TIER_RANK[change.old_tier], catalog.TIER_RANK[change.new_tier]
    if old == new:
        return
    template = "TIER_UP" if new > old else "TIER_DOWN"
    await _plan(
        ctx,
        session,
        Request(
            trigger_ref=f"TierChanged:{change.customer_id}:{change.old_tier}>{change.new_tier}"
            f":{change.effective_on.isoformat()}",
            template_code=template,
            customer_id=change.customer_id,
            category=Category.SERVICE,
            params={
                "tier": catalog.TIER_NAMES[change.new_tier],
                "benefits": catalog.TIER_BENEFITS[change.new_tier],
            },
        ),
    )


async def _transfer_alert(
    ctx: HandlerContext,
    session: AsyncSession,
    *,
    customer_id: str,
    request_id: str,
    kind: str,
    market: str,
    reason: str,
    requested_at: Any,
    branch_id: str | None,
) -> None:
    # Both the external request and profile-svc's record of it arrive: one alert, by request id.
    params = {
        "kind": catalog.TRANSFER_KINDS.get(kind, kind),
        "market": market,
        "reason": reason or "未说明",
        "requested_at": requested_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"),
    }
    recipient = await session.get(Recipient, customer_id)
    route = None
    if recipient is None:
        # Unknown to us yet, but the event names the branch or ops assigned the customer:
        # alert the owner at once, without a name (planning names the owner of a known one).
        owner = await owner_of(session, customer_id=customer_id, branch_id=branch_id)
        if owner is not None:
            route = owner.route
            params.update(
                customer_id=customer_id, branch_id=owner.branch_id, name="客户", owner=owner.text
            )
    await _plan(
        ctx,
        session,
        Request(
            trigger_ref=f"transfer:{request_id}",
            template_code="TRANSFER_ALERT",
            customer_id=customer_id,
            category=Category.STAFF_ALERT,
            params=params,
            route=route,
        ),
    )


async def on_customer_transfer_requested(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    e: ev.CustomerTransferRequested = envelope.data
    await _transfer_alert(
        ctx,
        session,
        customer_id=e.customer_id,
        request_id=e.request_id,
        kind=e.kind,
        market=e.market,
        reason=e.reason,
        requested_at=e.requested_at,
        branch_id=None,
    )


async def on_transfer_away_recorded(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    e: ev.TransferAwayRecorded = envelope.data
    await _transfer_alert(
        ctx,
        session,
        customer_id=e.customer_id,
        request_id=e.request_id,
        kind=e.kind,
        market=e.market,
        reason=e.reason,
        requested_at=e.requested_at,
        branch_id=e.branch_id,
    )


async def on_notification_requested(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    cmd: ev.NotificationRequested = envelope.data
    route = cmd.params.get("route") if Category(cmd.category) == Category.STAFF_ALERT else None
    if route is not None:
        # A staff alert to a named route (ops' data-leak alert to "compliance"): the
        # customer id only says what it is about. The message has no customer, so it is
        # addressed to the route alone, never listed among the customer's messages nor
        # reported as theirs; its business key (the complaint) keeps a re-sent command
        # from alerting twice.
        await _plan(
            ctx,
            session,
            Request(
                trigger_ref=business_trigger(cmd.template_code, cmd.params)
                or f"NotificationRequested:{envelope.id}",
                template_code=cmd.template_code,
                category=Category(cmd.category),
                params=dict(cmd.params),
                channel=Channel.IM,
                route=route,
            ),
        )
        return
    await _plan(
        ctx,
        session,
        Request(
            trigger_ref=f"NotificationRequested:{envelope.id}",
            template_code=cmd.template_code,
            customer_id=cmd.customer_id,
            category=Category(cmd.category),
            params=dict(cmd.params),
            channel=Channel(cmd.channel) if cmd.channel else None,
        ),
    )
