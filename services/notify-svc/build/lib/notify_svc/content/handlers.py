"""Content handlers: advisory-svc's published pieces and their audience chunks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope
from brokerage_common import events as ev

from ..context import HandlerContext
from . import service


async def on_content_published(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    e: ev.ContentPublished = envelope.data
    await service.record_content(
        session,
        content_id=e.content_id,
        kind=e.kind,
        title=e.title,
        body=e.body,
        advice=e.advice,
        risk_level=str(e.risk_level),
        branch_id=e.branch_id,
        chunk_count=e.chunk_count,
        published_at=e.published_at,
        settings=ctx.settings,
        now=ctx.clock(),
    )


async def on_content_audience_resolved(
    ctx: HandlerContext, session: AsyncSession, envelope: Envelope[Any]
) -> None:
    e: ev.ContentAudienceResolved = envelope.data
    await service.record_chunk(
        session,
        content_id=e.content_id,
        chunk_no=e.chunk_no,
        customer_ids=e.customer_ids,
        settings=ctx.settings,
        now=ctx.clock(),
    )
