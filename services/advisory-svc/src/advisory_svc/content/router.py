"""Advisory content: advisers publish, staff read (parse -> service -> commit -> response)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from brokerage_common import (
    ERROR_RESPONSES,
    CurrentPrincipal,
    OutboxDep,
    Principal,
    require_staff_role,
)
from brokerage_common.params import ID_PATTERN, IdPath
from brokerage_common.web import SessionDep

from .. import metrics
from ..deps import NowDep, SettingsDep, ensure_staff, visible_branches
from ..errors import NotFound
from . import rules, service
from .rules import ContentKind
from .schemas import ContentCreate, ContentRead

router = APIRouter(prefix="/v1", tags=["content"], responses=ERROR_RESPONSES)
Adviser = Annotated[Principal, Depends(require_staff_role("adviser"))]


@router.post("/content", response_model=ContentRead, status_code=status.HTTP_201_CREATED)
async def publish_content(
    body: ContentCreate,
    principal: Adviser,
    session: SessionDep,
    settings: SettingsDep,
    outbox: OutboxDep,
    now: NowDep,
) -> ContentRead:
    """Publish a piece (advisers only; an HQ adviser's goes to every branch) and hand its
    audience to notify-svc. A buy with a bearish technical view, or a body with a phone or
    ID number in it, is refused with 422."""
    pick = body.pick
    draft = service.Draft(
        kind=body.kind,
        title=body.title,
        body=body.body,
        risk_level=body.risk_level,
        security_code=body.security_code,
        market=body.market,
        views=rules.PickViews(pick.recommendation, pick.fundamental.view, pick.technical.view)
        if pick
        else None,
        fundamental_text=pick.fundamental.text if pick else None,
        technical_text=pick.technical.text if pick else None,
        segment_tiers=tuple(body.segment_tiers) if body.segment_tiers else None,
        holders_only=body.holders_only,
    )
    content = await service.publish(
        session,
        draft=draft,
        author_id=principal.sub,
        branch_id=principal.branch_id or "",
        now=now,
        chunk_size=settings.audience_chunk_size,
        outbox=outbox,
    )
    await session.commit()
    metrics.CONTENT_PUBLISHED.labels(content.kind).inc()
    metrics.AUDIENCE_HANDED_OFF.inc(content.audience_size)
    return ContentRead.model_validate(content)


@router.get("/content", response_model=list[ContentRead])
async def list_content(
    principal: CurrentPrincipal,
    session: SessionDep,
    kind: ContentKind | None = None,
    author_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ContentRead]:
    """Newest first; staff see their branch's and headquarters' content."""
    ensure_staff(principal)
    items = await service.list_content(
        session, kind=kind, author_id=author_id, branch_ids=visible_branches(principal), limit=limit
    )
    return [ContentRead.model_validate(c) for c in items]


@router.get("/content/{content_id}", response_model=ContentRead)
async def get_content(
    content_id: IdPath, principal: CurrentPrincipal, session: SessionDep
) -> ContentRead:
    """One piece of advisory content, for staff of a branch it reaches."""
    ensure_staff(principal)
    content = await service.get_content(session, content_id=content_id)
    branches = visible_branches(principal)
    if branches is not None and content.branch_id not in branches:
        raise NotFound("no such content")
    return ContentRead.model_validate(content)
