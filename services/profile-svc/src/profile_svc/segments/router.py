"""Segmentation routes: one customer's segments, a branch's customers of a segment."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status

from brokerage_common import CurrentPrincipal
from brokerage_common.web import SessionDep

from ..customers.rules import age_on, experience_years
from ..dependencies import (
    API_PREFIX,
    CustomerIdPath,
    SettingsDep,
    TodayDep,
    authorize,
    error_responses,
)
from . import rules, service
from .models import CustomerSegment
from .schemas import CustomerSegmentsRead, ExperienceRead, SegmentCustomerRead, SegmentPage

router = APIRouter(prefix=API_PREFIX)


@router.get(
    "/customers/{customer_id}/segments",
    response_model=CustomerSegmentsRead,
    tags=["segments"],
    summary="A customer's value segment, life stage, family life cycle and experience",
    responses=error_responses(401, 403, 404, 422),
)
async def read_customer_segments(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    today: TodayDep,
) -> CustomerSegmentsRead:
    """Value figures come from settlement events (latest assets, trailing average, traded
    amount and commission over the trailing window); null until the first event."""
    customer = await authorize(session, principal, customer_id)
    seg: CustomerSegment | None = await service.segment_of(session, customer_id=customer_id)
    age = age_on(customer.birth_date, today)
    stage = rules.life_stage(age)
    return CustomerSegmentsRead(
        customer_id=customer_id,
        value_segment=seg.value_segment if seg else None,
        asset_size=seg.asset_size if seg else None,
        turnover_class=seg.turnover_class if seg else None,
        total_assets=seg.total_assets if seg else None,
        assets_as_of=seg.assets_as_of if seg else None,
        average_assets=seg.average_assets if seg else None,
        traded_amount=seg.traded_amount if seg else None,
        turnover=seg.turnover if seg else None,
        contribution=seg.commission if seg else None,
        window_days=settings.segment_window_days,
        figures_as_of=seg.as_of if seg else None,
        age=age,
        life_stage=stage.value,
        life_stage_focus=rules.LIFE_STAGE_FOCUS[stage],
        family_life_cycle=customer.family_life_cycle,
        experience=ExperienceRead(
            market_entry_year=customer.market_entry_year,
            years_in_market=experience_years(customer.market_entry_year, today),
            time_on_stocks=customer.time_on_stocks,
            past_success=customer.past_success,
        ),
    )


SegmentPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]


@router.get(
    "/segments/{segment}/customers",
    response_model=SegmentPage,
    tags=["segments"],
    summary="Staff: own-branch customers of a segment, by assets or contribution",
    responses=error_responses(401, 403, 404, 422),
)
async def list_segment_customers(
    segment: SegmentPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
    sort: Annotated[Literal["assets", "contribution"], Query()] = "assets",
    order: Annotated[Literal["desc", "asc"], Query()] = "desc",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100000)] = 0,
) -> SegmentPage:
    """`segment` is a value segment (e.g. `short_term_large`, 短线大型), a life stage (e.g.
    `youth`) or a family life cycle stage (e.g. `full_nest_1`). Contribution is the commission
    of the trailing window. Only the caller's branch is listed."""
    if not principal.is_staff or principal.branch_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")
    kind, total, members = await service.list_segment(
        session,
        segment=segment,
        branch_id=principal.branch_id,
        today=today,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    return SegmentPage(
        segment=segment,
        kind=kind,
        branch_id=principal.branch_id,
        total=total,
        limit=limit,
        offset=offset,
        items=[
            SegmentCustomerRead(
                customer_id=m.customer_id,
                name=m.name,
                status=m.status,
                life_stage=rules.life_stage(age_on(m.birth_date, today)).value,
                value_segment=m.value_segment,
                total_assets=m.total_assets,
                contribution=m.contribution,
                turnover=m.turnover,
            )
            for m in members
        ],
    )
