"""咨询: write and publish a pick or a note, and each pick's performance vs CSI 300 (api.md)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import charts
from ..clients import ServiceRefused, ServiceUnavailable
from ..rules import BEARISH_BUY_RULE, Page, pick_problems
from ..session import StaffUser, page_user
from .common import clients, items_of, render, section

router = APIRouter()
User = Annotated[StaffUser, page_user(Page.ADVISERS)]
ContentId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
KINDS = ("morning_note", "stock_pick", "market_outlook", "portfolio_strategy", "local_news")


async def _advisers(
    request: Request,
    user: StaffUser,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    content = await section(clients(request).advisory.content(token=user.token))
    return render(
        request,
        "advisers.html",
        user=user,
        content=content,
        rows=items_of(content.data, "content"),
        kinds=KINDS,
        rule=BEARISH_BUY_RULE,
        errors=errors or [],
        form=form or {},
        status_code=status_code,
    )


@router.get("/advisers", response_class=HTMLResponse, include_in_schema=False)
async def advisers(request: Request, user: User) -> HTMLResponse:
    return await _advisers(request, user)


@router.post("/advisers/content", include_in_schema=False)
async def publish(
    request: Request,
    user: User,
    kind: Annotated[str, Form(max_length=32)],
    title: Annotated[str, Form(min_length=2, max_length=200)],
    body: Annotated[str, Form(min_length=2, max_length=20000)],
    stock_code: Annotated[str, Form(max_length=16)] = "",
    recommendation: Annotated[str, Form(max_length=16)] = "",
    fundamental_view: Annotated[str, Form(max_length=16)] = "",
    technical_view: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    form = {
        "kind": kind,
        "title": title,
        "body": body,
        "stock_code": stock_code,
        "recommendation": recommendation,
        "fundamental_view": fundamental_view,
        "technical_view": technical_view,
    }
    problems = pick_problems(recommendation=recommendation, technical_view=technical_view)
    if problems:
        return await _advisers(request, user, errors=problems, form=form, status_code=422)
    payload: dict[str, Any] = {k: v for k, v in form.items() if v}
    try:
        await clients(request).advisory.publish_content(token=user.token, body=payload)
    except ServiceRefused as exc:
        return await _advisers(
            request, user, errors=[exc.message], form=form, status_code=exc.status_code
        )
    except ServiceUnavailable as exc:
        return await _advisers(
            request,
            user,
            errors=[f"未发布：{exc.service} {exc.reason}"],
            form=form,
            status_code=503,
        )
    return RedirectResponse("/advisers", status_code=status.HTTP_303_SEE_OTHER)


def performance_chart(data: Any) -> Any:
    """The pick's return vs CSI 300 (沪深300) at each tracked horizon."""
    points = items_of(data, "points", "horizons")
    if not points:
        return None

    def pct(v: Any) -> Decimal:
        try:
            return Decimal(str(v)) if v is not None else Decimal(0)
        except InvalidOperation:
            return Decimal(0)

    labels = [
        str(p.get("horizon") or p.get("days") or p.get("on") or i) for i, p in enumerate(points)
    ]
    return charts.lines(
        "推荐表现与沪深300",
        labels,
        [
            ("推荐收益", [pct(p.get("return") or p.get("pick_return")) for p in points]),
            ("沪深300", [pct(p.get("index_return") or p.get("benchmark_return")) for p in points]),
        ],
    )


@router.get("/advisers/content/{content_id}", response_class=HTMLResponse, include_in_schema=False)
async def performance(request: Request, user: User, content_id: ContentId) -> HTMLResponse:
    result = await section(clients(request).advisory.performance(content_id, token=user.token))
    return render(
        request,
        "performance.html",
        user=user,
        content_id=content_id,
        result=result,
        chart=performance_chart(result.data) if result.ok else None,
    )
