"""客户: the branch's customers by segment, paged on the server, and one customer's 360° page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..clients import ServiceRefused
from ..labels import LIFE_STAGES, VALUE_SEGMENTS, value_segment_name
from ..rules import ROLE_NAMES, Page, Paging, parse_customer_search
from ..session import StaffUser, page_user
from .common import BEIJING, clients, render, section

router = APIRouter()
User = Annotated[StaffUser, page_user(Page.CUSTOMERS)]
CustomerId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
SEGMENTS = (*VALUE_SEGMENTS, *LIFE_STAGES)


@router.get("/customers", response_class=HTMLResponse, include_in_schema=False)
async def customer_list(
    request: Request,
    user: User,
    segment: Annotated[str, Query(pattern=r"^[a-z0-9_]+$", max_length=32)] = "short_term_large",
    sort: Annotated[Literal["assets", "contribution"], Query()] = "contribution",
    offset: Annotated[int, Query(ge=0, le=100000)] = 0,
) -> HTMLResponse:
    limit = request.app.state.settings.page_size
    page = await section(
        clients(request).profile.segment_customers(
            segment, token=user.token, sort=sort, limit=limit, offset=offset
        )
    )
    paging = Paging(offset=offset, limit=limit, total=int(page.data["total"])) if page.ok else None
    return render(
        request,
        "customers.html",
        user=user,
        page=page,
        paging=paging,
        segment=segment,
        sort=sort,
        value_segments=[(s, value_segment_name(s)) for s in VALUE_SEGMENTS],
        life_stages=LIFE_STAGES,
        segment_name=value_segment_name(segment),
    )


@router.get("/customers/open", include_in_schema=False)
async def open_customer(
    _user: User, customer_id: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
) -> Response:
    return RedirectResponse(f"/customers/{customer_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/customers/search", response_class=HTMLResponse, include_in_schema=False)
async def customer_search(
    request: Request,
    user: User,
    q: Annotated[str, Query(max_length=64)] = "",
    after: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$")] = None,
) -> HTMLResponse:
    """Search the branch by name or masked phone; profile-svc searches and pages (keyset).

    What was typed is never logged, and a phone-like entry is passed on as its visible parts
    only (the first 3 and last 4 digits).
    """
    terms = parse_customer_search(q) if q.strip() else None
    page = None
    if terms is not None:
        page = await section(
            clients(request).profile.search_customers(
                token=user.token,
                terms=terms.params(),
                limit=request.app.state.settings.page_size,
                after=after,
            )
        )
    invalid = bool(q.strip()) and terms is None
    return render(
        request,
        "customer_search.html",
        user=user,
        status_code=422 if invalid else 200,
        q=q.strip(),
        page=page,
        after=after,
        invalid=invalid,
    )


async def _customer_page(
    request: Request,
    user: StaffUser,
    customer_id: str,
    *,
    reveal_reason: str | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    c = clients(request)
    token = user.token
    # The file itself decides access (403 another branch, 404 unknown): it is read first,
    # so no other service is asked about a customer the user may not see.
    customer = await c.profile.customer(customer_id, token=token, reveal_reason=reveal_reason)
    (
        risk,
        segments,
        crm,
        tier,
        ledger,
        messages,
        offers,
        subscriptions,
        group,
    ) = await asyncio.gather(
        section(c.profile.risk_profile(customer_id, token=token)),
        section(c.profile.segments(customer_id, token=token)),
        section(c.profile.interactions(customer_id, token=token)),
        section(c.tiering.tier(customer_id, token=token)),
        section(c.tiering.ledger(customer_id, token=token)),
        section(c.notify.messages(customer_id, token=token)),
        section(c.advisory.offers(customer_id, token=token)),
        section(c.advisory.subscriptions(customer_id, token=token)),
        section(c.ops.customer_group(customer_id, token=token)),
    )
    return render(
        request,
        "customer.html",
        user=user,
        status_code=status_code,
        customer=customer,
        risk=risk,
        segments=segments,
        crm=crm,
        tier=tier,
        ledger=ledger,
        messages=messages,
        offers=offers,
        subscriptions=subscriptions,
        group=group,
        role_names=ROLE_NAMES,
        form_error=form_error,
        now_local=datetime.now(BEIJING).strftime("%Y-%m-%dT%H:%M"),
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse, include_in_schema=False)
async def customer_360(request: Request, user: User, customer_id: CustomerId) -> HTMLResponse:
    return await _customer_page(request, user, customer_id)


@router.post(
    "/customers/{customer_id}/reveal", response_class=HTMLResponse, include_in_schema=False
)
async def reveal(
    request: Request,
    user: User,
    customer_id: CustomerId,
    reason: Annotated[str, Form(min_length=3, max_length=500)],
) -> HTMLResponse:
    """Show the numbers unmasked once; profile-svc writes the reason to its access audit."""
    return await _customer_page(request, user, customer_id, reveal_reason=reason.strip())


@router.post("/customers/{customer_id}/interactions", include_in_schema=False)
async def log_contact(
    request: Request,
    user: User,
    customer_id: CustomerId,
    channel: Annotated[str, Form(max_length=16)],
    topic: Annotated[str, Form(max_length=200)],
    outcome: Annotated[str, Form(max_length=1000)],
    occurred_at: Annotated[str, Form(max_length=32)],
    next_step: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        # The form's datetime-local field is Beijing wall time.
        when = datetime.fromisoformat(occurred_at).replace(tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        return await _customer_page(
            request, user, customer_id, form_error="联系时间格式不对", status_code=422
        )
    body = {
        "channel": channel,
        "topic": topic,
        "outcome": outcome,
        "next_step": next_step or None,
        "occurred_at": when.isoformat(),
    }
    try:
        await clients(request).profile.log_interaction(customer_id, token=user.token, body=body)
    except ServiceRefused as exc:
        if exc.status_code in (403, 404):
            raise
        return await _customer_page(
            request, user, customer_id, form_error=exc.message, status_code=exc.status_code
        )
    return RedirectResponse(f"/customers/{customer_id}#crm", status_code=status.HTTP_303_SEE_OTHER)
