"""What tiering's routes share: the settings alias and object-level access to a customer."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Principal, ensure_can_access_customer, get_settings, require_scope
from brokerage_common.events import EARLIEST_TIME, LATEST_TIME

# A customer id as every service spells it (a NUL or 10 kB in the path was a query, or a
# 500), and the largest BIGINT an id parameter may be: shared with the other services.
from brokerage_common.params import DB_ID_MAX as DB_ID_MAX
from brokerage_common.params import CustomerIdPath as CustomerIdPath

from .config import Settings
from .models import CustomerTier

SettingsDep = Annotated[Settings, Depends(get_settings)]
JobPrincipal = Annotated[Principal, Depends(require_scope("tiering:jobs"))]
JobDay = Annotated[
    date | None,
    Query(
        ge=EARLIEST_TIME.date(),
        le=LATEST_TIME.date() - timedelta(days=1),
        description="the day to run for (default: today, China time); 2000-01-01 to 2099-12-31",
    ),
]
"""A job's day, bounded like every timestamp: month arithmetic on 0001-01-01 or 9999-12-31
overflows (a 500), and no business day lies outside these years."""


async def authorize(
    session: AsyncSession,
    principal: Principal,
    customer_id: str,
    *,
    staff_only: bool = False,
    service_scope: str | None = "tiering:read",
) -> CustomerTier | None:
    """Object-level access: the customer themself, staff of their branch, or a scoped service.
    Returns the customer's tier row, None if tiering does not know them."""
    if principal.is_service:
        if service_scope is None or service_scope not in principal.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires scope {service_scope}")
        return await session.get(CustomerTier, customer_id)
    if staff_only and not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")
    if principal.is_customer:
        ensure_can_access_customer(principal, customer_id=customer_id, branch_id=None)
        return await session.get(CustomerTier, customer_id)
    row = await session.get(CustomerTier, customer_id)
    ensure_can_access_customer(
        principal, customer_id=customer_id, branch_id=row.branch_id if row else None
    )
    return row
