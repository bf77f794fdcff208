"""咨询: write and publish a pick or a note, and each pick's performance vs CSI 300 (api.md)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import charts
from ..clients import ServiceRefused, ServiceUnavailable
from ..rules import BEARISH_BUY_RULE, Page, pick_problems
from ..session import StaffUser, page_user
from .common import clients, items_of, render, section

router = APIRouter()
User = Annotated[StaffUser, page_user(Page.ADVISERS)]
ContentId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# advisory-svc's content kinds (seed 000), the ones an adviser writes most first.
KINDS = (
    "stock_pick",
    "morning_note",
    "market_outlook",
    "portfolio_strategy",
    "local_company",
    "important_news",
    "holdings_diagnosis",
    "third_party_research",
    "seminar",
    "private_placement",
    "ipo_strategy",
    "bond_market",
    "staff_training",
)
RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")
MARKETS = ("SH", "SZ", "BJ")
VIEWS = ("bullish", "neutral", "bearish")


async def _advisers(
    request: Request,
    user: StaffUser,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
    published: str | None = None,
) -> HTMLResponse:
    content = await section(clients(request).advisory.content(token=user.token))
    return render(
        request,
        "advisers.html",
        user=user,
        content=content,
        rows=items_of(content.data),
        kinds=KINDS,
        risk_levels=RISK_LEVELS,
        markets=MARKETS,
        views=VIEWS,
        rule=BEARISH_BUY_RULE,
        errors=errors or [],
        form=form or {},
        published=published,
        status_code=status_code,
    )


@router.get("/advisers", response_class=HTMLResponse, include_in_schema=False)
async def advisers(
    request: Request,
    user: User,
    published: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
) -> HTMLResponse:
    return await _advisers(request, user, published=published)


@router.post("/advisers/content", include_in_schema=False)
async def publish(
    request: Request,
    user: User,
    kind: Annotated[str, Form(max_length=32)],
    title: Annotated[str, Form(min_length=2, max_length=200)],
    body: Annotated[str, Form(min_length=2, max_length=20000)],
    risk_level: Annotated[str, Form(max_length=2)] = "R1",
    security_code: Annotated[str, Form(max_length=16)] = "",
    market: Annotated[str, Form(max_length=2)] = "",
    recommendation: Annotated[str, Form(max_length=16)] = "",
    fundamental_view: Annotated[str, Form(max_length=16)] = "",
    fundamental_text: Annotated[str, Form(max_length=2000)] = "",
    technical_view: Annotated[str, Form(max_length=16)] = "",
    technical_text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = {
        "kind": kind,
        "title": title,
        "body": body,
        "risk_level": risk_level,
        "security_code": security_code.strip(),
        "market": market,
        "recommendation": recommendation,
        "fundamental_view": fundamental_view,
        "fundamental_text": fundamental_text.strip(),
        "technical_view": technical_view,
        "technical_text": technical_text.strip(),
    }
    problems = pick_problems(recommendation=recommendation, technical_view=technical_view)
    if problems:
        return await _advisers(request, user, errors=problems, form=form, status_code=422)
    payload: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "body": body,
        "risk_level": risk_level,
        "security_code": form["security_code"] or None,
        "market": market or None,
    }
    if recommendation:
        # A pick carries both views (seed 000); what is missing is advisory-svc's 422 to show.
        payload["pick"] = {
            "recommendation": recommendation,
            "fundamental": {"view": fundamental_view, "text": form["fundamental_text"]},
            "technical": {"view": technical_view, "text": form["technical_text"]},
        }
    try:
        published = await clients(request).advisory.publish_content(token=user.token, body=payload)
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
    content_id = published.get("content_id") if isinstance(published, dict) else None
    target = f"/advisers?published={content_id}" if content_id else "/advisers"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def _percent(value: Any) -> Decimal | None:
    """A return as a fraction (0.0123) shown in percent (1.23)."""
    try:
        return (Decimal(str(value)) * 100).quantize(Decimal("0.01")) if value is not None else None
    except InvalidOperation:
        return None


def performance_rows(data: Any) -> list[dict[str, Any]]:
    """Each horizon (T+1, 5, 20, 60 trading days) with its returns in percent."""
    return [
        {
            "horizon": f"T+{h.get('trading_days')}",
            "on": h.get("on"),
            "pick": _percent(h.get("pick_return")),
            "index": _percent(h.get("index_return")),
            "excess": _percent(h.get("excess_return")),
        }
        for h in items_of(data, "horizons")
    ]


def performance_chart(rows: list[dict[str, Any]]) -> Any:
    """The pick's return vs CSI 300 (沪深300) at each horizon that has closed, in percent."""
    closed = [r for r in rows if r["pick"] is not None and r["index"] is not None]
    if not closed:
        return None
    return charts.lines(
        "推荐收益与沪深300（%）",
        [r["horizon"] for r in closed],
        [("推荐收益", [r["pick"] for r in closed]), ("沪深300", [r["index"] for r in closed])],
    )


@router.get("/advisers/content/{content_id}", response_class=HTMLResponse, include_in_schema=False)
async def performance(request: Request, user: User, content_id: ContentId) -> HTMLResponse:
    result = await section(clients(request).advisory.performance(content_id, token=user.token))
    rows = performance_rows(result.data) if result.ok else []
    return render(
        request,
        "performance.html",
        user=user,
        content_id=content_id,
        result=result,
        pick=result.data if result.ok and isinstance(result.data, dict) else {},
        rows=rows,
        chart=performance_chart(rows),
    )
