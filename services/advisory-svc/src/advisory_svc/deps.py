"""Route dependencies shared by the subpackages' routers: settings, the clock, access checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Principal, ensure_can_access_customer, now_cst, today_cst
from brokerage_common.web import get_settings

from .config import Settings
from .errors import NotFound
from .offers.memory import OffersModel
from .offers.rules import CustomerFacts
from .readmodels.service import customer_facts

SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_today() -> date:
    """Beijing's date (overridden in tests)."""
    return today_cst()


async def get_now() -> datetime:
    return now_cst()


async def get_offers_model(request: Request) -> OffersModel:
    """The process's offers read model: a write route refreshes it after its commit, so the
    caller's next offers read in this process sees the change (ADR 0010, "Offers")."""
    model: OffersModel = request.app.state.offers
    return model


OffersModelDep = Annotated[OffersModel, Depends(get_offers_model)]
TodayDep = Annotated[date, Depends(get_today)]
NowDep = Annotated[datetime, Depends(get_now)]


def ensure_customer_access(
    principal: Principal, *, customer_id: str, branch_id: str | None
) -> None:
    """The customer themself, staff of their branch, or headquarters staff."""
    if principal.is_headquarters:
        return
    if principal.is_service:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "customer data is for customers and staff")
    ensure_can_access_customer(principal, customer_id=customer_id, branch_id=branch_id)


def unknown_customer(principal: Principal, customer_id: str) -> NotFound:
    """The answer for a customer advisory does not know, once the caller may learn it: staff
    of a branch (and services) get the 403 another branch's customer gets, so they cannot
    tell which ids exist elsewhere (ADR 0012, addendum); the customer themself and
    headquarters learn that the id is unknown."""
    ensure_customer_access(principal, customer_id=customer_id, branch_id=None)
    return NotFound("unknown customer (not registered with advisory-svc yet)")


async def accessible_facts(
    session: AsyncSession, principal: Principal, customer_id: str
) -> CustomerFacts:
    """The customer's facts, once the caller may see them: a customer asking about someone
    else gets 403 before learning whether that customer exists; unknown customers 404."""
    if principal.is_customer and principal.sub != customer_id:
        ensure_customer_access(principal, customer_id=customer_id, branch_id=None)
    facts = await customer_facts(session, customer_id=customer_id)
    if facts is None:
        raise unknown_customer(principal, customer_id)
    ensure_customer_access(principal, customer_id=customer_id, branch_id=facts.branch_id)
    return facts


HQ = "HQ"


def visible_branches(principal: Principal) -> list[str] | None:
    """Content staff may read: their branch's and headquarters'; headquarters read all (None)."""
    if principal.is_headquarters:
        return None
    return [principal.branch_id or "", HQ]


def ensure_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "requires role staff")
