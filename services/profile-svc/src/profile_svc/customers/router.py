"""Customer-file routes: open, read (masked, or revealed with an audit), update, the audit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from brokerage_common import CurrentPrincipal, OutboxDep, Principal
from brokerage_common.events import NoNulText
from brokerage_common.web import SessionDep

from .. import metrics
from ..dependencies import (
    API_PREFIX,
    CustomerIdPath,
    SettingsDep,
    TodayDep,
    actor,
    authorize,
    error_responses,
)
from ..schemas import Identifier, StatusName
from ..segments.rules import VALUE_SEGMENTS
from . import rules, service
from .models import Customer
from .schemas import (
    CustomerCreate,
    CustomerListItem,
    CustomerPage,
    CustomerRead,
    CustomerUpdate,
    PiiAccessRead,
)

router = APIRouter(prefix=API_PREFIX)


def _customer_read(customer: Customer, *, reveal: frozenset[str] = frozenset()) -> CustomerRead:
    return CustomerRead(
        customer_id=customer.customer_id,
        name=customer.name,
        phone=customer.phone if "phone" in reveal else rules.mask_phone(customer.phone),
        id_number=customer.id_number
        if "id_number" in reveal
        else rules.mask_id_number(customer.id_number),
        masked=not reveal,
        birth_date=customer.birth_date,
        gender=customer.gender,
        branch_id=customer.branch_id,
        opened_on=customer.opened_on,
        onsite=customer.onsite,
        referrer_id=customer.referrer_id,
        preferred_channels=customer.preferred_channels,
        email=customer.email,
        status=customer.status,
        investor_category=customer.investor_category,
        family_life_cycle=customer.family_life_cycle,
        market_entry_year=customer.market_entry_year,
        time_on_stocks=customer.time_on_stocks,
        past_success=customer.past_success,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )


@router.post(
    "/customers",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    tags=["customers"],
    summary="Open a customer's file (staff of the customer's branch)",
    responses=error_responses(401, 403, 409, 422),
)
async def create_customer(
    body: CustomerCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    outbox: OutboxDep,
    today: TodayDep,
) -> CustomerRead:
    """Phone, ID number (GB 11643 check digit), birth date and gender are checked against each
    other; a referrer must be a customer. 409 when the id, phone or ID number is already on file.
    Phone and ID number come back masked."""
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only staff open customer files")
    if principal.branch_id != body.branch_id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "staff may only open files in their own branch"
        )
    customer = await service.register_customer(
        session,
        data=body,
        actor=actor(principal),
        today=today,
        hash_key=settings.hash_key,
        outbox=outbox,
    )
    await session.commit()
    metrics.CUSTOMERS_REGISTERED.labels(customer.branch_id).inc()
    return _customer_read(customer)


HQ_BRANCH = "HQ"  # api.md: headquarters staff carry branch_id HQ and see every branch


def _branch_of_list(principal: Principal, branch_id: str | None) -> str:
    """The branch whose list staff may read: their own, or any one named by HQ staff."""
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only staff list customers")
    if principal.branch_id == HQ_BRANCH:
        if branch_id is None:
            raise HTTPException(
                422,
                [
                    {
                        "loc": ["query", "branch_id"],
                        "msg": "headquarters staff name the branch to list",
                        "type": "missing",
                    }
                ],
            )
        return branch_id
    if principal.branch_id is None or branch_id not in (None, principal.branch_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff may only list their own branch")
    return principal.branch_id


@router.get(
    "/customers",
    response_model=CustomerPage,
    tags=["customers"],
    summary="Staff: a branch's customers, searched by name or masked phone, keyset-paged",
    responses=error_responses(401, 403, 422),
)
async def list_customers(
    session: SessionDep,
    principal: CurrentPrincipal,
    branch_id: Annotated[
        Identifier | None,
        Query(description="HQ staff: the branch to list (required); others: their own only"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            # No digits (names hold none: no phone number ever rides in here), no control
            # characters, no surrounding blanks.
            pattern=r"^[^\d\s\x00-\x1f\x7f](?:[^\d\x00-\x1f\x7f]*[^\d\s\x00-\x1f\x7f])?$",
            description="name prefix (张 finds 张伟 and 张三); names hold no digits",
        ),
    ] = None,
    phone_prefix3: Annotated[
        str | None,
        Query(pattern=r"^1[0-9]{2}$", description="the first 3 digits of a masked phone (138)"),
    ] = None,
    phone_last4: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{4}$", description="the last 4 digits of a masked phone (1234)"),
    ] = None,
    segment: Annotated[
        str | None,
        Query(
            max_length=32,
            description="value segment, e.g. short_term_large",
            json_schema_extra={"enum": list(VALUE_SEGMENTS)},
        ),
    ] = None,
    customer_status: Annotated[StatusName | None, Query(alias="status")] = None,
    after: Annotated[Identifier | None, Query(description="the previous page's next_after")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CustomerPage:
    """Staff of a branch list its customers in customer-id order, filtered by any of name
    prefix, the visible digits of a masked phone (`138****1234`: `phone_prefix3=138`,
    `phone_last4=1234`), value segment and status. Phone and ID number come back masked.
    The search terms are never logged."""
    if segment is not None and segment not in VALUE_SEGMENTS:
        raise HTTPException(
            422,
            [{"loc": ["query", "segment"], "msg": "not a value segment", "type": "enum"}],
        )
    branch = _branch_of_list(principal, branch_id)
    page, next_after = await service.search_customers(
        session,
        branch_id=branch,
        limit=limit,
        after=after,
        name_prefix=q,
        phone_prefix3=phone_prefix3,
        phone_last4=phone_last4,
        value_segment=segment,
        status=customer_status,
    )
    return CustomerPage(
        items=[
            CustomerListItem(
                customer_id=c.customer_id,
                name=c.name,
                phone=rules.mask_phone(c.phone),
                id_number=rules.mask_id_number(c.id_number),
                branch_id=c.branch_id,
                status=c.status,
                opened_on=c.opened_on,
                value_segment=value_segment,
            )
            for c, value_segment in page
        ],
        next_after=next_after,
    )


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerRead,
    tags=["customers"],
    summary="Read a customer's file (phone and ID number masked unless revealed)",
    responses=error_responses(401, 403, 404, 422),
)
async def read_customer(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    reveal: Annotated[
        bool, Query(description="staff of the customer's branch only; audited")
    ] = False,
    reason: Annotated[
        NoNulText | None,
        Query(min_length=3, max_length=500, description="why; required with reveal"),
    ] = None,
    fields: Annotated[
        list[Literal["phone", "id_number"]] | None,
        Query(description="which numbers to reveal (default both)"),
    ] = None,
) -> CustomerRead:
    """The customer themself, staff of the customer's branch, or a service with scope
    `profile:read`. With `reveal=true` and a `reason`, staff of the branch see the numbers
    unmasked; every such read is written to the access audit before it is answered."""
    customer = await authorize(session, principal, customer_id)
    if not reveal:
        return _customer_read(customer)
    if not principal.is_staff:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only staff of the customer's branch may reveal"
        )
    if reason is None or not reason.strip():
        raise HTTPException(
            422,
            [
                {
                    "loc": ["query", "reason"],
                    "msg": "a reason is required with reveal=true",
                    "type": "missing",
                }
            ],
        )
    revealed = frozenset(fields or service.PII_FIELDS)
    assert principal.branch_id is not None
    await service.record_pii_access(
        session,
        customer=customer,
        actor=actor(principal),
        actor_branch_id=principal.branch_id,
        fields=sorted(revealed),
        reason=reason.strip(),
        at=datetime.now(UTC),
    )
    await session.commit()
    for field in revealed:
        metrics.PII_REVEALS.labels(field).inc()
    return _customer_read(customer, reveal=revealed)


@router.patch(
    "/customers/{customer_id}",
    response_model=CustomerRead,
    tags=["customers"],
    summary="Update contact facts, segmentation fields or status (staff of the branch)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def update_customer(
    customer_id: CustomerIdPath,
    body: CustomerUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    outbox: OutboxDep,
    today: TodayDep,
) -> CustomerRead:
    """Family life cycle (家庭生命周期), experience (入市时间, time on stocks, past record),
    contact channels, phone, email, investor category, on-site flag and status. Absent fields
    do not change; changed contact facts and status are published as CustomerProfileUpdated."""
    customer = await authorize(session, principal, customer_id, roles=("staff",))
    customer = await service.update_customer(
        session, customer=customer, changes=body, today=today, outbox=outbox
    )
    await session.commit()
    return _customer_read(customer)


@router.get(
    "/customers/{customer_id}/pii-access",
    response_model=list[PiiAccessRead],
    tags=["customers"],
    summary="Who revealed this customer's phone or ID number (staff of the branch)",
    responses=error_responses(401, 403, 404, 422),
)
async def read_pii_access(
    customer_id: CustomerIdPath, session: SessionDep, principal: CurrentPrincipal
) -> list[PiiAccessRead]:
    """The append-only reveal audit of one customer, newest first."""
    await authorize(session, principal, customer_id, roles=("staff",))
    return [
        PiiAccessRead.model_validate(e)
        for e in await service.pii_access_log(session, customer_id=customer_id)
    ]
