"""考核排名: the month's group ranking, one group's scorecard and its customers (ADR 0011)."""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from brokerage_common import today_cst

from .. import charts
from ..rules import FIGURE_SOURCES, METRIC_NAMES, Page, customers_behind, previous_month
from ..session import StaffUser, page_user
from .common import clients, items_of, render, section

router = APIRouter()
User = Annotated[StaffUser, page_user(Page.RANKING)]
MonthPattern = r"^\d{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str, Path(pattern=MonthPattern)]
GroupId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# The figures a scorecard lists, in §5.1's order; each opens down to its customers.
FIGURES = (
    "asset_growth",
    "net_inflow",
    "investment_gain",
    "asset_growth_ratio",
    "commission",
    "incremental_commission",
    "commission_turnover",
    "asset_turnover",
    "crm_completeness",
    "new_customers",
    "customers",
)
TOP_CUSTOMERS = 12


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _wan(value: Any) -> Decimal:
    """CNY in units of 10,000 (万元), as the branch reads amounts."""
    return (_dec(value) / 10000).quantize(Decimal("0.1"))


def growth_chart(title: str, labels: list[str], rows: list[dict[str, Any]]) -> Any:
    """Asset growth split into added capital (net inflow) and investment gain, in 万元."""
    if not rows:
        return None
    return charts.stacked_bars(
        title,
        labels,
        [
            ("新增资金（万元）", [_wan(r.get("net_inflow")) for r in rows]),
            ("投资收益（万元）", [_wan(r.get("investment_gain")) for r in rows]),
        ],
    )


@router.get("/ranking", response_class=HTMLResponse, include_in_schema=False)
async def ranking(
    request: Request,
    user: User,
    month: Annotated[str | None, Query(pattern=MonthPattern)] = None,
) -> HTMLResponse:
    month = month or previous_month(today_cst())
    ops = clients(request).ops
    result, groups = await asyncio.gather(
        section(ops.ranking(month, token=user.token)), section(ops.groups(token=user.token))
    )
    names = {str(g.get("group_id")): str(g.get("name")) for g in items_of(groups.data)}
    rows = items_of(result.data, "groups")
    # A group member sees the other groups' ranks only (no figures): they have no bar.
    charted = [g for g in rows if isinstance(g.get("figures"), dict)]
    chart = growth_chart(
        "资产增长：新增资金与投资收益",
        [names.get(str(g["group_id"]), str(g["group_id"])) for g in charted],
        [g["figures"] for g in charted],
    )
    return render(
        request,
        "ranking.html",
        user=user,
        month=month,
        result=result,
        groups=rows,
        names=names,
        chart=chart,
    )


@router.get(
    "/ranking/{month}/groups/{group_id}", response_class=HTMLResponse, include_in_schema=False
)
async def scorecard(
    request: Request,
    user: User,
    month: Month,
    group_id: GroupId,
    figure: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    """The group's scores and figures; ``figure`` opens one down to the customers behind it."""
    result = await section(clients(request).ops.scorecard(month, group_id, token=user.token))
    data = result.data if isinstance(result.data, dict) else {}
    found = data.get("scorecard")
    card: dict[str, Any] = found if isinstance(found, dict) else {}
    found = card.get("figures")
    group_figures: dict[str, Any] = found if isinstance(found, dict) else {}
    customers = items_of(data, "customers")
    opened = figure if figure in FIGURE_SOURCES else None
    if opened:
        customers = customers_behind(customers, opened)
    top = customers[:TOP_CUSTOMERS] if opened else []
    return render(
        request,
        "scorecard.html",
        user=user,
        month=month,
        group_id=group_id,
        result=result,
        card=card,
        figures=[(f, group_figures[f]) for f in FIGURES if f in group_figures],
        scores=card.get("scores", {}),
        metric_names=METRIC_NAMES,
        explanation=data.get("explanation"),
        customers=customers,
        opened=opened,
        column=FIGURE_SOURCES.get(opened or ""),
        drillable=FIGURE_SOURCES,
        chart=growth_chart(f"{group_id} 资产增长构成（万元）", [group_id], [group_figures])
        if group_figures
        else None,
        customer_chart=growth_chart(
            "资产增长最多的客户：新增资金与投资收益（万元）",
            [str(c.get("customer_id")) for c in top],
            top,
        )
        if opened in ("asset_growth", "net_inflow", "investment_gain", "asset_growth_ratio")
        else None,
    )
