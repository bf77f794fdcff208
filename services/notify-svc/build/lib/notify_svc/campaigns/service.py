"""Campaigns (群发): create one, expand it chunk by chunk into messages, read its progress,
and the daily birthday and holiday greetings.

Session first, keyword-only, never commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..clock import SYSTEM, new_id
from ..config import Settings
from ..exceptions import Invalid, NotFound
from ..models import Campaign, Message, Recipient, table
from ..rules import Category, Channel, beijing_date, canonical_params, earliest_send_at
from ..templates.rules import missing_params, template_fields
from ..templates.service import active_template
from .fastpath import insert_campaign_messages
from .rules import (
    CAMPAIGN_KINDS,
    HOLIDAY_CHINESE_NAMES,
    birthday_month_days,
    campaign_ids,
    holiday_greeting_name,
)

log = logging.getLogger(__name__)


async def create_campaign(
    session: AsyncSession,
    *,
    template_code: str,
    name: str | None,
    params: dict[str, str],
    customer_ids: Sequence[str] | None,
    branch_id: str | None,
    restrict_branch: str | None,
    send_at: datetime | None,
    actor: str,
    now: datetime,
    campaign_id: str | None = None,
    kind: str | None = None,
    month_day: str | None = None,
) -> tuple[Campaign, bool]:
    """A group message (群发): same text for everyone, so sends batch up to 1,000 numbers.

    ``restrict_branch`` limits a staff member's campaign to their own branch's customers.
    Returns the campaign and whether it was created (False when ``campaign_id`` existed).
    """
    if campaign_id is not None:
        existing = await session.get(Campaign, campaign_id)
        if existing is not None:
            return existing, False
    template = await active_template(session, code=template_code, channel=Channel.SMS.value)
    if template is None:
        raise NotFound(f"no active SMS template {template_code}")
    fields = template_fields(template.text)
    missing = fields - set(params)
    if missing:
        # Per-customer placeholders would make every number's parameters differ: no batching.
        raise Invalid(
            "a campaign template takes campaign-wide parameters only; missing: "
            + ", ".join(sorted(missing))
        )
    if kind is None:
        kind = "customers" if customer_ids is not None else "branch"
    if kind not in CAMPAIGN_KINDS:
        raise Invalid(f"unknown campaign kind {kind}")
    campaign = Campaign(
        id=campaign_id or new_id(),
        name=name or template_code,
        template_code=template_code,
        category=template.category,
        params=canonical_params({k: params[k] for k in sorted(fields)}),
        kind=kind,
        branch_id=branch_id or restrict_branch,
        month_day=month_day,
        customer_ids=json.dumps(list(dict.fromkeys(customer_ids)))
        if customer_ids is not None
        else None,
        send_at=send_at,
        state="planned",
        created_by=actor,
        created_at=now,
    )
    session.add(campaign)
    await session.flush()
    return campaign, True


async def expand_campaign(
    session: AsyncSession, *, campaign: Campaign, settings: Settings, now: datetime
) -> bool:
    """Turn the next chunk of a campaign's audience into messages, set-based; True when done.

    One INSERT ... SELECT from the recipient table per chunk: the dedupe key is computed in
    SQL as ``ordered_dedupe_key`` does, consent, opt-out, agreement and daily cap decide
    between scheduled and suppressed in the same statement.
    """
    r = table(Recipient)
    category = Category(campaign.category)
    params = json.loads(campaign.params)
    sms = await active_template(session, code=campaign.template_code, channel="sms")
    email = await active_template(session, code=campaign.template_code, channel="email")
    if sms is None:
        campaign.state, campaign.expanded_at = "expanded", now
        return True
    if email is not None and missing_params(email.text + (email.subject or ""), params):
        email = None
    send_time = earliest_send_at(category, max(now, campaign.send_at or now))
    send_on = beijing_date(send_time)

    audience = [r.c.status != "transferred_out"]
    consent_required = category == Category.MARKETING
    if campaign.branch_id:
        audience.append(r.c.branch_id == campaign.branch_id)
    chunk_ids: list[str] = []
    done = False
    if campaign.kind == "customers":
        ids = json.loads(campaign.customer_ids or "[]")
        start = int(campaign.cursor or 0)
        chunk_ids = ids[start : start + settings.campaign_chunk]
        audience.append(r.c.customer_id.in_(chunk_ids))
        campaign.cursor = str(start + len(chunk_ids))
        done = start + len(chunk_ids) >= len(ids)
    else:
        if campaign.kind == "birthday":
            audience.append(
                r.c.birth_month_day.in_(birthday_month_days(beijing_date(send_time)))
                if not campaign.month_day
                else r.c.birth_month_day.in_(campaign.month_day.split(","))
            )
        if consent_required:
            # "all consenting customers": the others are not in the audience at all.
            audience.append(r.c.marketing_consent == true())
        after = [r.c.customer_id > campaign.cursor] if campaign.cursor else []
        upper = (
            await session.execute(
                select(r.c.customer_id)
                .where(*audience, *after)
                .order_by(r.c.customer_id)
                .offset(settings.campaign_chunk - 1)
                .limit(1)
            )
        ).scalar_one_or_none()
        audience += after
        if upper is None:
            done = True
        else:
            audience.append(r.c.customer_id <= upper)
            campaign.cursor = upper

    inserted = await insert_campaign_messages(
        session,
        campaign=campaign,
        audience=audience,
        sms=sms,
        email=email,
        params=params,
        category=category,
        send_time=send_time,
        send_on=send_on,
        daily_cap=settings.daily_cap,
        now=now,
    )
    campaign.planned += inserted
    # Ids of this chunk were seq + 1 .. seq + rows; a chunk never holds more than campaign_chunk.
    campaign.seq += len(chunk_ids) if campaign.kind == "customers" else settings.campaign_chunk
    if campaign.kind == "customers":
        campaign.skipped += len(chunk_ids) - inserted
    campaign.state = "expanded" if done else "expanding"
    if done:
        campaign.expanded_at = now
    return done


async def next_campaign(session: AsyncSession) -> Campaign | None:
    return (
        await session.execute(
            select(Campaign)
            .where(col(Campaign.state).in_(["planned", "expanding"]))
            .order_by(col(Campaign.created_at))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()


async def campaign_progress(
    session: AsyncSession, *, campaign_id: str
) -> tuple[Campaign, dict[str, int]]:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("no such campaign")
    first, end = campaign_ids(campaign_id)
    rows = (
        await session.execute(
            select(col(Message.state), func.count())
            .where(
                col(Message.id) >= first,
                col(Message.id) < end,
                col(Message.campaign_id) == campaign_id,
            )
            .group_by(col(Message.state))
        )
    ).all()
    return campaign, {state: int(n) for state, n in rows}


async def plan_daily_greetings(session: AsyncSession, *, today: date, now: datetime) -> list[str]:
    """Birthday (生日祝福) and public-holiday (节日问候) group messages for ``today``, once each."""
    created: list[str] = []
    birthday_id = f"birthday-{today.isoformat()}"
    _, new = await create_campaign(
        session,
        template_code="BIRTHDAY",
        name=f"生日祝福 {today.isoformat()}",
        params={},
        customer_ids=None,
        branch_id=None,
        restrict_branch=None,
        send_at=None,
        actor=SYSTEM,
        now=now,
        campaign_id=birthday_id,
        kind="birthday",
        month_day=",".join(birthday_month_days(today)),
    )
    if new:
        created.append(birthday_id)
    try:
        holiday = holiday_greeting_name(today)
    except NotImplementedError:
        log.warning("holiday calendar does not cover this year; upgrade chinesecalendar")
        holiday = None
    if holiday is not None:
        holiday_id = f"holiday-{today.isoformat()}"
        _, new = await create_campaign(
            session,
            template_code="HOLIDAY",
            name=f"节日问候 {today.isoformat()}",
            params={"holiday": HOLIDAY_CHINESE_NAMES.get(holiday, holiday)},
            customer_ids=None,
            branch_id=None,
            restrict_branch=None,
            send_at=None,
            actor=SYSTEM,
            now=now,
            campaign_id=holiday_id,
            kind="all",
        )
        if new:
            created.append(holiday_id)
    return created
