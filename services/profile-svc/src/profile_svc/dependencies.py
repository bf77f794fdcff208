"""What every profile-svc route shares: settings, today's date, error docs and object access."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Principal, get_settings, today_cst
from brokerage_common.params import CustomerIdPath as CustomerIdPath  # shared by every service

from .config import Settings
from .customers.models import Customer
from .customers.service import find_customer
from .exceptions import NotFound
from .schemas import ErrorRead

# Every domain's router carries the prefix itself: a route's own path is the template the
# request metrics are labelled with ("/v1/customers"), and a prefix added only when a router
# is included is not part of it.
API_PREFIX = "/v1"

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_today() -> date:
    """Today in Beijing time; tests replace this dependency to fix the clock."""
    return today_cst()


TodayDep = Annotated[date, Depends(get_today)]

PII_READ_SCOPE = "profile:read"


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented 4xx answers of a route, in the one error shape (``ErrorRead``)."""
    descriptions = {
        401: "missing, expired or invalid bearer token",
        403: "the token does not allow this (another customer, another branch, wrong role)",
        404: "no such customer (or segment)",
        409: "duplicate customer id, phone or ID number",
        422: "invalid input; `detail[].loc` names the field",
    }
    return {code: {"model": ErrorRead, "description": descriptions[code]} for code in codes}


def actor(principal: Principal) -> str:
    """Who did it, as the audit columns record it: ``role:subject``."""
    return f"{principal.role}:{principal.sub}"


async def authorize(
    session: AsyncSession,
    principal: Principal,
    customer_id: str,
    *,
    roles: tuple[str, ...] = ("customer", "staff", "service"),
) -> Customer:
    """Object-level access: the customer themself, staff of their branch, or a scoped service."""
    if principal.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires role {' or '.join(roles)}")
    if principal.is_customer and principal.sub != customer_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "customers may only access their own data")
    if principal.is_service and PII_READ_SCOPE not in principal.scopes:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"requires a service token with scope {PII_READ_SCOPE}"
        )
    customer = await find_customer(session, customer_id=customer_id)
    if principal.is_staff and (customer is None or principal.branch_id != customer.branch_id):
        # The same answer for another branch's customer and for no customer: staff may not
        # learn which ids exist outside their branch (ADR 0012, addendum). 403, as tiering.
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff may only access their own branch")
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer
