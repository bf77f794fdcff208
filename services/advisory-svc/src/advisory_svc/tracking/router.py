"""Pick tracking: a pick's performance vs CSI 300, an adviser's hit rate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal
from brokerage_common.params import IdPath
from brokerage_common.web import SessionDep

from ..content.service import get_content
from ..deps import ensure_staff, visible_branches
from ..errors import NotFound
from . import rules, service
from .schemas import HitRateRead, HorizonRead, PerformanceRead

router = APIRouter(prefix="/v1", tags=["tracking"], responses=ERROR_RESPONSES)


@router.get("/content/{content_id}/performance", response_model=PerformanceRead)
async def get_performance(
    content_id: IdPath, principal: CurrentPrincipal, session: SessionDep
) -> PerformanceRead:
    """Return since publication beside CSI 300 (000300) at 1, 5, 20 and 60 trading days."""
    ensure_staff(principal)
    content = await get_content(session, content_id=content_id)
    branches = visible_branches(principal)
    if branches is not None and content.branch_id not in branches:
        raise NotFound("no such content")
    perf = await service.performance(session, content=content)
    return PerformanceRead(
        content_id=content.content_id,
        security_code=content.security_code or "",
        recommendation=content.recommendation,
        index_code=rules.INDEX_CODE,
        base_on=perf.base_on,
        base_close=perf.base_close,
        index_base_close=perf.index_base_close,
        horizons=[
            HorizonRead(
                trading_days=h.days,
                on=h.on,
                pick_return=h.pick_return,
                index_return=h.index_return,
                excess_return=h.excess,
            )
            for h in perf.horizons
        ],
    )


@router.get("/advisers/{author_id}/hit-rate", response_model=HitRateRead)
async def get_hit_rate(
    author_id: IdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    horizon: Annotated[int, Query(ge=1, le=60, description="trading days: 1, 5, 20 or 60")] = 20,
) -> HitRateRead:
    """Share of the adviser's buy and sell picks that beat (sells: lagged) the index."""
    ensure_staff(principal)
    r = await service.hit_rate(session, author_id=author_id, horizon=horizon)
    return HitRateRead(
        author_id=r.author_id,
        trading_days=r.horizon,
        picks=r.picks,
        scored=r.scored,
        hits=r.hits,
        hit_rate=r.rate,
    )
