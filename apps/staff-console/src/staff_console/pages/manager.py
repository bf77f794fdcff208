"""服务小组: the manager's groups and members (2–3 staff, one from back office) and weights."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..clients import ServiceRefused, ServiceUnavailable
from ..rules import Page, group_problems, weights_problems
from ..session import StaffUser, page_user
from .common import clients, items_of, render, section

router = APIRouter()
User = Annotated[StaffUser, page_user(Page.MANAGER)]
Phase = Annotated[str, Path(pattern=r"^(early|steady)$")]
FIGURES = (
    "targets_reached",
    "crm_completeness",
    "new_customers",
    "incremental_commission",
    "asset_growth_ratio",
    "commission_turnover",
)
FIGURE_NAMES = {
    "targets_reached": "目标完成",
    "crm_completeness": "CRM 完整度",
    "new_customers": "新客户",
    "incremental_commission": "增量佣金",
    "asset_growth_ratio": "资产增长率",
    "commission_turnover": "佣金周转率",
}


async def _manager(
    request: Request, user: StaffUser, *, errors: list[str] | None = None, status_code: int = 200
) -> HTMLResponse:
    ops = clients(request).ops
    groups, weights = await asyncio.gather(
        section(ops.groups(token=user.token)), section(ops.weights(token=user.token))
    )
    return render(
        request,
        "manager.html",
        user=user,
        groups=groups,
        group_rows=items_of(groups.data, "groups"),
        weights=weights,
        weight_rows=items_of(weights.data, "phases"),
        figures=FIGURES,
        figure_names=FIGURE_NAMES,
        errors=errors or [],
        status_code=status_code,
    )


@router.get("/manager", response_class=HTMLResponse, include_in_schema=False)
async def manager(request: Request, user: User) -> HTMLResponse:
    return await _manager(request, user)


@router.post("/manager/groups", include_in_schema=False)
async def create_group(
    request: Request,
    user: User,
    name: Annotated[str, Form(min_length=1, max_length=64)],
    member_ids: Annotated[list[str], Form()],
    member_roles: Annotated[list[str], Form()],
) -> Response:
    members = {
        sid.strip(): role
        for sid, role in zip(member_ids, member_roles, strict=False)
        if sid.strip()
    }
    problems = group_problems(members)
    if problems:
        return await _manager(request, user, errors=problems, status_code=422)
    body = {
        "name": name,
        "members": [{"staff_id": sid, "role": role} for sid, role in members.items()],
    }
    try:
        await clients(request).ops.create_group(token=user.token, body=body)
    except ServiceRefused as exc:
        return await _manager(request, user, errors=[exc.message], status_code=exc.status_code)
    except ServiceUnavailable as exc:
        return await _manager(
            request, user, errors=[f"未保存：{exc.service} {exc.reason}"], status_code=503
        )
    return RedirectResponse("/manager", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/manager/weights/{phase}", include_in_schema=False)
async def save_weights(request: Request, user: User, phase: Phase) -> Response:
    form = await request.form()
    try:
        weights = {f: int(str(form.get(f) or 0)) for f in FIGURES}
    except ValueError:
        return await _manager(request, user, errors=["权重须为整数"], status_code=422)
    weights = {f: w for f, w in weights.items() if w}
    problems = weights_problems(weights)
    if problems:
        return await _manager(request, user, errors=problems, status_code=422)
    try:
        await clients(request).ops.save_weights(phase, token=user.token, body={"weights": weights})
    except ServiceRefused as exc:
        return await _manager(request, user, errors=[exc.message], status_code=exc.status_code)
    except ServiceUnavailable as exc:
        return await _manager(
            request, user, errors=[f"未保存：{exc.service} {exc.reason}"], status_code=503
        )
    return RedirectResponse("/manager", status_code=status.HTTP_303_SEE_OTHER)
