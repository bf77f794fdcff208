"""Advisory content: keep each piece and each audience chunk, and plan a chunk's messages
through the campaign fast path once both are there.

Idempotent: a chunk is stored once per (content id, chunk no) and planned once; a customer
named in two chunks gets one message (the campaign's dedupe key). Session first,
keyword-only, never commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import dialect

from ..campaigns.fastpath import insert_campaign_messages
from ..clock import SYSTEM
from ..config import Settings
from ..models import Campaign, Content, ContentChunk, Recipient, table
from ..rules import Category, Channel, beijing_date, canonical_params, earliest_send_at
from ..sql import among
from ..templates.service import active_template
from .rules import campaign_id_for, first_seq, template_for

log = logging.getLogger(__name__)


async def record_content(
    session: AsyncSession,
    *,
    content_id: str,
    kind: str,
    title: str,
    body: str,
    advice: bool,
    risk_level: str,
    branch_id: str,
    chunk_count: int,
    published_at: datetime,
    settings: Settings,
    now: datetime,
) -> int:
    """``ContentPublished``: keep the piece and its campaign, then plan the chunks that came
    first. Returns the messages planned now."""
    await session.execute(
        dialect.insert_ignoring_duplicates(session, table(Content), keys=["content_id"]).values(
            content_id=content_id,
            kind=kind,
            title=title,
            body=body,
            advice=advice,
            risk_level=risk_level,
            branch_id=branch_id,
            chunk_count=chunk_count,
            published_at=published_at,
            received_at=now,
        )
    )
    code = template_for(advice=advice)
    template = await active_template(session, code=code, channel=Channel.SMS.value)
    campaign_id = campaign_id_for(content_id)
    await session.execute(
        dialect.insert_ignoring_duplicates(session, table(Campaign), keys=["id"]).values(
            id=campaign_id,
            name=title[:200],
            template_code=code,
            category=template.category if template else Category.ADVISORY.value,
            params=canonical_params({"title": title, "body": body}),
            # Not picked up by the expander (planned | expanding): the chunks drive it.
            kind="content",
            state="receiving",
            cursor="",
            seq=0,
            planned=0,
            skipped=0,
            created_by=SYSTEM,
            created_at=now,
        )
    )
    return await plan_waiting_chunks(session, content_id=content_id, settings=settings, now=now)


async def record_chunk(
    session: AsyncSession,
    *,
    content_id: str,
    chunk_no: int,
    customer_ids: Sequence[str],
    settings: Settings,
    now: datetime,
) -> int:
    """``ContentAudienceResolved``: keep the chunk once; plan it if its piece is known.
    Returns the messages planned now (0 for a redelivered chunk)."""
    await session.execute(
        dialect.insert_ignoring_duplicates(
            session, table(ContentChunk), keys=["content_id", "chunk_no"]
        ).values(
            content_id=content_id,
            chunk_no=chunk_no,
            customer_ids=json.dumps(list(dict.fromkeys(customer_ids))),
            received_at=now,
        )
    )
    return await plan_waiting_chunks(session, content_id=content_id, settings=settings, now=now)


async def plan_waiting_chunks(
    session: AsyncSession, *, content_id: str, settings: Settings, now: datetime
) -> int:
    """Plan every stored, not yet planned chunk of a piece we know; nothing before the piece."""
    content = await session.get(Content, content_id)
    campaign = await session.get(Campaign, campaign_id_for(content_id))
    if content is None or campaign is None:
        return 0
    chunks = list(
        (
            await session.execute(
                select(ContentChunk)
                .where(
                    col(ContentChunk.content_id) == content_id,
                    col(ContentChunk.planned_at).is_(None),
                )
                .order_by(col(ContentChunk.chunk_no))
                .with_for_update()
            )
        ).scalars()
    )
    total = 0
    for chunk in chunks:
        ids: list[str] = json.loads(chunk.customer_ids)
        added = await _plan_chunk(
            session, campaign=campaign, chunk=chunk, ids=ids, settings=settings, now=now
        )
        chunk.planned_at = now
        total += added
    campaign.planned += total
    if campaign.state != "expanded":
        planned_chunks = (
            await session.execute(
                select(func.count()).where(
                    col(ContentChunk.content_id) == content_id,
                    col(ContentChunk.planned_at).is_not(None),
                )
            )
        ).scalar_one()
        # Every chunk advisory announced is planned (none at all for an empty audience).
        if planned_chunks >= content.chunk_count:
            campaign.state, campaign.expanded_at = "expanded", now
    await session.flush()
    if chunks:
        log.info(
            "content chunks planned",
            extra={"content_id": content_id, "chunks": len(chunks), "planned": total},
        )
    return total


async def plan_waiting_customers(
    session: AsyncSession, *, settings: Settings, now: datetime, limit: int = 100
) -> int:
    """Plan the customers planned chunks waited for (unknown to notify when their chunk came:
    the customer topic is not ordered with advisory's); after ``pending_timeout_h`` they
    are given up and counted as skipped. Returns the messages planned."""
    chunks = list(
        (
            await session.execute(
                select(ContentChunk)
                .where(col(ContentChunk.waiting).is_not(None))
                .order_by(col(ContentChunk.received_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    give_up_before = now - timedelta(hours=settings.pending_timeout_h)
    total = 0
    for chunk in chunks:
        campaign = await session.get(Campaign, campaign_id_for(chunk.content_id))
        if campaign is None:  # not reachable: a chunk is planned only with its campaign
            continue
        waiting: list[str] = json.loads(chunk.waiting or "[]")
        if chunk.received_at <= give_up_before:
            campaign.skipped += len(waiting)
            chunk.waiting = None
            continue
        added = await _plan_chunk(
            session, campaign=campaign, chunk=chunk, ids=waiting, settings=settings, now=now
        )
        campaign.planned += added
        total += added
    await session.flush()
    return total


async def _plan_chunk(
    session: AsyncSession,
    *,
    campaign: Campaign,
    chunk: ContentChunk,
    ids: list[str],
    settings: Settings,
    now: datetime,
) -> int:
    """Plan the ``ids`` of a chunk notify knows; keep the others on the chunk as waiting."""
    chunk.waiting = None
    if not ids:
        return 0
    r = table(Recipient)
    known = set(
        (await session.execute(select(r.c.customer_id).where(among(session, r.c.customer_id, ids))))
        .scalars()
        .all()
    )
    unknown = [i for i in ids if i not in known]
    chunk.waiting = json.dumps(unknown) if unknown else None
    present = [i for i in ids if i in known]
    if not present:
        return 0
    sms = await active_template(session, code=campaign.template_code, channel=Channel.SMS.value)
    if sms is None:
        log.warning("no active SMS template", extra={"template_code": campaign.template_code})
        return 0
    email = await active_template(session, code=campaign.template_code, channel=Channel.EMAIL.value)
    category = Category(sms.category)
    send_time = earliest_send_at(category, now)
    inserted = await insert_campaign_messages(
        session,
        campaign=campaign,
        audience=[r.c.status != "transferred_out", among(session, r.c.customer_id, present)],
        sms=sms,
        email=email,
        params=json.loads(campaign.params),
        category=category,
        send_time=send_time,
        send_on=beijing_date(send_time),
        daily_cap=settings.daily_cap,
        now=now,
        # After the ids earlier passes over this chunk took: each customer id of the chunk
        # takes at most one, so the chunk never leaves its 5,000-id slice.
        first_seq=first_seq(chunk.chunk_no) + chunk.used,
    )
    chunk.used += len(present)
    chunk.planned += inserted
    # Transferred away, or already planned by an earlier chunk: no row.
    campaign.skipped += len(present) - inserted
    return inserted
