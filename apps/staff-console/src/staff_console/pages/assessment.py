"""考核排名: the month's group ranking, one group's scorecard and its customers (api.md)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from brokerage_common import today_cst

from .. import charts
from ..rules import Page, previous_month
from ..session import StaffUser, page_user
from .common import clients, items_of, render, section

router = APIRouter()
User = Annotated[StaffUser, page_user(Page.RANKING)]
Month = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
GroupId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def growth_chart(groups: list[dict[str, Any]]) -> Any:
    """Asset growth per group split into added capital (净流入) and investment gain (投资收益)."""
    rows = [g for g in groups if "added_capital" in g or "investment_gain" in g]
    if not rows:
        return None
    return charts.stacked_bars(
        "资产增长：新增资金与投资收益",
        [str(g.get("name") or g.get("group_id")) for g in rows],
        [
            ("新增资金", [_dec(g.get("added_capital")) for g in rows]),
            ("投资收益", [_dec(g.get("investment_gain")) for g in rows]),
        ],
    )


@router.get("/ranking", response_class=HTMLResponse, include_in_schema=False)
async def ranking(
    request: Request,
    user: User,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> HTMLResponse:
    month = month or previous_month(today_cst())
    result = await section(clients(request).ops.ranking(month, token=user.token))
    groups = items_of(result.data, "groups", "ranking")
    return render(
        request,
        "ranking.html",
        user=user,
        month=month,
        result=result,
        groups=groups,
        chart=growth_chart(groups),
    )


@router.get(
    "/ranking/{month}/groups/{group_id}", response_class=HTMLResponse, include_in_schema=False
)
async def scorecard(request: Request, user: User, month: Month, group_id: GroupId) -> HTMLResponse:
    result = await section(clients(request).ops.scorecard(month, group_id, token=user.token))
    data = result.data if isinstance(result.data, dict) else {}
    figures = {k: v for k, v in data.items() if not isinstance(v, list | dict)}
    return render(
        request,
        "scorecard.html",
        user=user,
        month=month,
        group_id=group_id,
        result=result,
        figures=figures,
        customers=items_of(data, "customers"),
        chart=growth_chart([data]) if data else None,
    )
