"""What the routes of every domain share: the route dependencies, the scopes, and who may
read a customer's data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Principal, ensure_can_access_customer, require_scope
from brokerage_common.web import get_settings

from .config import Settings
from .models import Recipient

SCOPE_REPORT = "sms:report"
SCOPE_CAMPAIGNS = "notify:campaigns"
SCOPE_TEMPLATES = "notify:templates"
SCOPE_REMINDERS = "notify:reminders"
SCOPE_READ = "notify:read"

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
ProviderDep = Annotated[Principal, Depends(require_scope(SCOPE_REPORT))]


def actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.sub}"[:64]


def staff_or_scope(principal: Principal, scope: str) -> None:
    """Staff, or a service holding ``scope``; customers never."""
    if principal.is_staff:
        return
    if principal.is_service and scope in principal.scopes:
        return
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"staff, or a service token with scope {scope}")


async def customer_branch(session: AsyncSession, customer_id: str) -> str | None:
    recipient = await session.get(Recipient, customer_id)
    return recipient.branch_id if recipient else None


async def authorize_customer(
    session: AsyncSession, principal: Principal, customer_id: str, *, scope: str = SCOPE_READ
) -> None:
    """The customer themself, staff of the customer's branch, or a service with ``scope``."""
    if principal.is_service:
        if scope not in principal.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires scope {scope}")
        return
    branch = None if principal.is_customer else await customer_branch(session, customer_id)
    ensure_can_access_customer(principal, customer_id=customer_id, branch_id=branch)
