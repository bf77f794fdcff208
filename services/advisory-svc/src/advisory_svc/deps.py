"""Route dependencies shared by the subpackages' routers: settings, the clock, access checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, status

from brokerage_common import Principal, ensure_can_access_customer, now_cst, today_cst
from brokerage_common.web import get_settings

from .config import Settings

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_today() -> date:
    """Beijing's date (overridden in tests)."""
    return today_cst()


def get_now() -> datetime:
    return now_cst()


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


def ensure_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "requires role staff")
