"""服务小组: the manager's groups and members (2–3 staff, one from back office) and weights.

Members are picked from ops-assessment-svc's roster (``GET /v1/staff``), so a member's role
is the roster's, not typed in; the rule is checked as the form is filled in, again here, and
by the service, whose refusal (say, a member already in another group) is shown.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..clients import ServiceRefused, ServiceUnavailable
from ..rules import (
    DEFAULT_WEIGHTS,
    METRIC_NAMES,
    PHASE_NAMES,
    ROLE_NAMES,
    Page,
    group_problems,
    weights_in_effect,
    weights_problems,
)
from ..session import StaffUser, page_user
from .common import clients, items_of, render, section

router = APIRouter()
User = Annotated[StaffUser, page_user(Page.MANAGER)]
Phase = Annotated[str, Path(pattern=r"^(early|steady|kj)$")]
GroupId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
StaffIds = Annotated[list[str], Form(max_length=3)]


async def _manager(
    request: Request, user: StaffUser, *, errors: list[str] | None = None, status_code: int = 200
) -> HTMLResponse:
    ops = clients(request).ops
    groups, staff, weights = await asyncio.gather(
        section(ops.groups(token=user.token)),
        section(ops.staff(token=user.token)),
        section(ops.weights(token=user.token)),
    )
    set_phases = {
        str(p.get("phase")) for p in items_of(weights.data, "phases") if not p.get("is_default")
    }
    roster = items_of(staff.data)
    return render(
        request,
        "manager.html",
        user=user,
        groups=groups,
        group_rows=items_of(groups.data),
        staff=staff,
        roster=roster,
        staff_names={str(s.get("staff_id")): str(s.get("name")) for s in roster},
        role_names=ROLE_NAMES,
        metrics=METRIC_NAMES,
        phases=PHASE_NAMES,
        weights=weights,
        in_effect=weights_in_effect(weights.data) if weights.ok else DEFAULT_WEIGHTS,
        set_phases=set_phases,
        kj_mode=bool(weights.data.get("kj_mode")) if isinstance(weights.data, dict) else False,
        errors=errors or [],
        status_code=status_code,
    )


@router.get("/manager", response_class=HTMLResponse, include_in_schema=False)
async def manager(request: Request, user: User) -> HTMLResponse:
    return await _manager(request, user)


async def _roster_problems(request: Request, user: StaffUser, members: list[str]) -> list[str]:
    """The 2–3 / back-office rule over the roster's roles (an unknown id: the service says)."""
    if len(members) > 3 or not members:
        return group_problems(dict.fromkeys(members, ""))
    try:
        roster = items_of(await clients(request).ops.staff(token=user.token))
    except (ServiceRefused, ServiceUnavailable):
        return []  # the service checks again and its answer is shown
    roles = {str(s.get("staff_id")): str(s.get("role")) for s in roster}
    twice = ["同一员工不能选两次"] if len(set(members)) != len(members) else []
    return twice + group_problems({m: roles.get(m, "") for m in members})


async def _send(request: Request, user: StaffUser, call: Any) -> Response:
    try:
        await call
    except ServiceRefused as exc:
        return await _manager(request, user, errors=[exc.message], status_code=exc.status_code)
    except ServiceUnavailable as exc:
        return await _manager(
            request, user, errors=[f"未保存：{exc.service} {exc.reason}"], status_code=503
        )
    return RedirectResponse("/manager", status_code=status.HTTP_303_SEE_OTHER)


def _members(ids: list[str]) -> list[str]:
    return [s.strip() for s in ids if s.strip()]


@router.post("/manager/groups", include_in_schema=False)
async def form_group(
    request: Request,
    user: User,
    name: Annotated[str, Form(min_length=1, max_length=64)],
    member_ids: StaffIds,
) -> Response:
    members = _members(member_ids)
    problems = await _roster_problems(request, user, members)
    if problems:
        return await _manager(request, user, errors=problems, status_code=422)
    body = {"name": name.strip(), "members": members}
    return await _send(request, user, clients(request).ops.form_group(token=user.token, body=body))


@router.post("/manager/groups/{group_id}/members", include_in_schema=False)
async def change_members(
    request: Request,
    user: User,
    group_id: GroupId,
    member_ids: StaffIds,
    reason: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    members = _members(member_ids)
    problems = await _roster_problems(request, user, members)
    if problems:
        return await _manager(request, user, errors=problems, status_code=422)
    body = {"members": members, "reason": reason.strip()}
    return await _send(
        request, user, clients(request).ops.change_members(group_id, token=user.token, body=body)
    )


@router.post("/manager/weights/{phase}", include_in_schema=False)
async def save_weights(request: Request, user: User, phase: Phase) -> Response:
    form = await request.form()
    try:
        weights = {m: int(str(form.get(m) or 0)) for m in METRIC_NAMES}
    except ValueError:
        return await _manager(request, user, errors=["权重须为整数"], status_code=422)
    weights = {m: w for m, w in weights.items() if w}
    problems = weights_problems(weights)
    if problems:
        return await _manager(request, user, errors=problems, status_code=422)
    return await _send(
        request,
        user,
        clients(request).ops.save_weights(phase, token=user.token, body={"weights": weights}),
    )
