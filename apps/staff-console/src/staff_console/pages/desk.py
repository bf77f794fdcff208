"""挽留 and 投诉: the retention queue and complaints, from ops-assessment-svc (api.md).

The retention page offers actions and outcomes only: nothing here can hold, delay or refuse
the transfer itself (domain.md §6).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import charts
from ..clients import ServiceRefused, ServiceUnavailable
from ..labels import VALUE_NAMES
from ..rules import FIRST_CALL_MINUTES, Page, Window, first_call_minutes_left
from ..session import StaffUser, page_user
from .common import Section, clients, items_of, render, section

router = APIRouter()
RetentionUser = Annotated[StaffUser, page_user(Page.RETENTION)]
ComplaintsUser = Annotated[StaffUser, page_user(Page.COMPLAINTS)]
CaseId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

OFFERS = ("analyst_hotline", "rate_review", "keep_account_open_second", "service_team", "none")
OUTCOMES = ("retained", "partially_retained", "left")
# What the customer gives as the reason on the first call (domain.md §6).
REASONS = ("crowd", "distance", "others_influence", "friend_broker", "commission", "other")
COMPLAINT_CATEGORIES = (
    "system_failure",
    "business_error",
    "data_leak",
    "cancellation_late",
    "staff_attitude",
    "other",
)
CLOSED_STATES = ("closed", "escalated")
ACTION_NAMES = {"call": "致电", "offer": "方案", "outcome": "结果"}


def queue_rows(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The open cases with their clock: minutes left to the first call, overdue in red."""
    rows = []
    for case in cases:
        left = first_call_minutes_left(
            trading_minutes_open=case.get("trading_minutes_open"),
            called=case.get("first_call_at") is not None,
        )
        overdue = bool(case.get("first_call_overdue")) or (left is not None and left <= 0)
        rows.append({**case, "minutes_left": left, "overdue": overdue})
    return rows


async def _retention(
    request: Request,
    user: StaffUser,
    *,
    offset: int = 0,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """One page of the queue, overdue cases first; one case more is asked for than a page
    shows, to know whether a next page follows."""
    limit = request.app.state.settings.page_size
    cases = await section(
        clients(request).ops.retention_cases(
            token=user.token, limit=limit + 1, offset=offset, overdue_first=True
        )
    )
    found = items_of(cases.data)
    return render(
        request,
        "retention.html",
        user=user,
        cases=cases,
        rows=queue_rows(found[:limit]),
        window=Window(offset=offset, limit=limit, has_next=len(found) > limit),
        reasons=REASONS,
        offers=OFFERS,
        outcomes=OUTCOMES,
        action_names=ACTION_NAMES,
        first_call_minutes=FIRST_CALL_MINUTES,
        error=error,
        status_code=status_code,
    )


@router.get("/retention", response_class=HTMLResponse, include_in_schema=False)
async def retention(
    request: Request, user: RetentionUser, offset: Annotated[int, Query(ge=0, le=100000)] = 0
) -> HTMLResponse:
    return await _retention(request, user, offset=offset)


@router.post("/retention/{case_id}/actions", include_in_schema=False)
async def act_on_case(
    request: Request,
    user: RetentionUser,
    case_id: CaseId,
    kind: Annotated[Literal["call", "offer", "outcome"], Form()],
    reason: Annotated[str, Form(max_length=32)] = "",
    offer: Annotated[str, Form(max_length=32)] = "",
    outcome: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """A call (with the customer's reason), an offer or the outcome, posted to the case.

    Each action sends only its own field, so an offer chosen in the call's row is not sent
    with the call."""
    body: dict[str, Any] = {"kind": kind, "note": note.strip()}
    if kind == "call" and reason:
        body["reason"] = reason
    elif kind == "offer":
        body["offer"] = offer or None
    elif kind == "outcome":
        body["outcome"] = outcome or None
    try:
        await clients(request).ops.act_on_case(case_id, token=user.token, body=body)
    except ServiceRefused as exc:
        return await _retention(request, user, error=exc.message, status_code=exc.status_code)
    except ServiceUnavailable as exc:
        return await _retention(
            request, user, error=f"{exc.service}：{exc.reason}", status_code=503
        )
    return RedirectResponse("/retention", status_code=status.HTTP_303_SEE_OTHER)


def analysis_chart(rows: list[dict[str, Any]]) -> Any:
    """Complaints by month, stacked by category (rows of month, category, count)."""
    months = sorted({str(r.get("month")) for r in rows if r.get("month")})
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        if r.get("month") and r.get("category"):
            cat, month = str(r["category"]), str(r["month"])
            # One row per month, branch and category: HQ's rows add up over branches.
            counts[cat][month] = counts[cat].get(month, 0) + int(r.get("complaints") or 0)
    if not months:
        return None
    series = [
        (VALUE_NAMES.get(cat, cat), [counts[cat].get(m, 0) for m in months])
        for cat in COMPLAINT_CATEGORIES
        if cat in counts
    ]
    return charts.stacked_bars("投诉分析：按类别和月份", months, series)


async def _complaints(
    request: Request, user: StaffUser, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    ops = clients(request).ops
    mine, overdue, analysis = await asyncio.gather(
        # Only the user's own are asked for: the branch's whole list grows with the branch.
        section(ops.complaints(token=user.token, owner_id=user.staff_id)),
        section(ops.complaints(token=user.token, overdue=True)),
        section(ops.complaint_analysis(token=user.token)),
    )
    chart = analysis_chart(items_of(analysis.data)) if analysis.ok else None
    return render(
        request,
        "complaints.html",
        user=user,
        mine=mine,
        mine_rows=[
            r
            for r in items_of(mine.data)
            if r.get("owner_id") == user.staff_id and r.get("state") not in CLOSED_STATES
        ],
        overdue=overdue,
        overdue_rows=items_of(overdue.data),
        analysis=analysis if chart is not None or not analysis.ok else Section(data=[]),
        chart=chart,
        categories=COMPLAINT_CATEGORIES,
        error=error,
        status_code=status_code,
    )


@router.get("/complaints", response_class=HTMLResponse, include_in_schema=False)
async def complaints(request: Request, user: ComplaintsUser) -> HTMLResponse:
    return await _complaints(request, user)


@router.post("/complaints", include_in_schema=False)
async def file_complaint(
    request: Request,
    user: ComplaintsUser,
    customer_id: Annotated[str, Form(pattern=r"^[A-Za-z0-9_-]{1,32}$")],
    category: Annotated[str, Form(max_length=32)],
    description: Annotated[str, Form(min_length=2, max_length=2000)],
) -> Response:
    if category not in COMPLAINT_CATEGORIES:
        return await _complaints(request, user, error="投诉类别不对", status_code=422)
    body = {"customer_id": customer_id, "category": category, "description": description}
    try:
        await clients(request).ops.file_complaint(token=user.token, body=body)
    except ServiceRefused as exc:
        return await _complaints(request, user, error=exc.message, status_code=exc.status_code)
    except ServiceUnavailable as exc:
        return await _complaints(
            request, user, error=f"未受理：{exc.service} {exc.reason}", status_code=503
        )
    return RedirectResponse("/complaints", status_code=status.HTTP_303_SEE_OTHER)
