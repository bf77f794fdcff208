"""Template routes: read every version, publish a new one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal
from brokerage_common.web import SessionDep

from ..deps import SCOPE_READ, SCOPE_TEMPLATES, ClockDep, actor, staff_or_scope
from ..rules import Category, Channel
from . import service
from .schemas import TemplateCreate, TemplateRead

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


@router.get("/templates", response_model=list[TemplateRead], tags=["templates"])
async def read_templates(
    session: SessionDep,
    principal: CurrentPrincipal,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> list[TemplateRead]:
    """Every version of every template (or of one code), oldest first."""
    staff_or_scope(principal, SCOPE_READ)
    return [
        TemplateRead.model_validate(t) for t in await service.list_templates(session, code=code)
    ]


@router.post(
    "/templates",
    response_model=TemplateRead,
    status_code=status.HTTP_201_CREATED,
    tags=["templates"],
)
async def create_template(
    body: TemplateCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> TemplateRead:
    """A new version of a template (staff holding scope notify:templates)."""
    if not principal.is_staff or SCOPE_TEMPLATES not in principal.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"staff with scope {SCOPE_TEMPLATES}")
    template = await service.create_template_version(
        session,
        code=body.code,
        channel=Channel(body.channel),
        category=Category(body.category),
        text=body.text,
        subject=body.subject,
        provider_template_code=body.provider_template_code,
        activate=body.activate,
        actor=actor(principal),
        now=clock(),
    )
    await session.commit()
    return TemplateRead.model_validate(template)
