"""profile-svc HTTP routes: parse -> authorize -> service -> commit -> response."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import CurrentPrincipal, Outbox, Principal, today_cst
from brokerage_common import events as ev
from brokerage_common.web import SessionDep

from . import metrics, rules, service
from .config import Settings
from .models import (
    PLATFORM,
    Customer,
    CustomerSegment,
    Interaction,
    RiskAssessment,
    TransferRequest,
)
from .schemas import (
    AllocationRead,
    CustomerCreate,
    CustomerRead,
    CustomerSegmentsRead,
    CustomerUpdate,
    ErrorRead,
    ExperienceRead,
    InteractionCreate,
    InteractionPage,
    InteractionRead,
    PiiAccessRead,
    RiskAssessmentCreate,
    RiskAssessmentRead,
    RiskAssessmentRecord,
    RiskProfileRead,
    ScoreRead,
    SegmentCustomerRead,
    SegmentPage,
    TransferRequestCreate,
    TransferRequestRead,
)

router = APIRouter(prefix="/v1")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_today() -> date:
    """Today in Beijing time; tests replace this dependency to fix the clock."""
    return today_cst()


TodayDep = Annotated[date, Depends(get_today)]


def outbox_for(settings: Settings) -> Outbox:
    return Outbox(PLATFORM, source=settings.service_name)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        401: "missing, expired or invalid bearer token",
        403: "the token does not allow this (another customer, another branch, wrong role)",
        404: "no such customer (or segment)",
        409: "duplicate customer id, phone or ID number",
        422: "invalid input; `detail[].loc` names the field",
    }
    return {code: {"model": ErrorRead, "description": descriptions[code]} for code in codes}


CustomerIdPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
PII_READ_SCOPE = "profile:read"


def _actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.sub}"


async def _authorize(
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
    customer = await service.get_customer(session, customer_id=customer_id)
    if principal.is_staff and principal.branch_id != customer.branch_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff may only access their own branch")
    return customer


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


# ----------------------------------------------------------------------------- customers


@router.post(
    "/customers",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    tags=["customers"],
    summary="Open a customer's file (staff of the customer's branch)",
    responses=_errors(401, 403, 409, 422),
)
async def create_customer(
    body: CustomerCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
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
        actor=_actor(principal),
        today=today,
        hash_key=settings.hash_key,
        outbox=outbox_for(settings),
    )
    await session.commit()
    metrics.CUSTOMERS_REGISTERED.labels(customer.branch_id).inc()
    return _customer_read(customer)


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerRead,
    tags=["customers"],
    summary="Read a customer's file (phone and ID number masked unless revealed)",
    responses=_errors(401, 403, 404, 422),
)
async def read_customer(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    reveal: Annotated[
        bool, Query(description="staff of the customer's branch only; audited")
    ] = False,
    reason: Annotated[
        str | None, Query(min_length=3, max_length=500, description="why; required with reveal")
    ] = None,
    fields: Annotated[
        list[Literal["phone", "id_number"]] | None,
        Query(description="which numbers to reveal (default both)"),
    ] = None,
) -> CustomerRead:
    """The customer themself, staff of the customer's branch, or a service with scope
    `profile:read`. With `reveal=true` and a `reason`, staff of the branch see the numbers
    unmasked; every such read is written to the access audit before it is answered."""
    customer = await _authorize(session, principal, customer_id)
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
        actor=_actor(principal),
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
    responses=_errors(401, 403, 404, 409, 422),
)
async def update_customer(
    customer_id: CustomerIdPath,
    body: CustomerUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    today: TodayDep,
) -> CustomerRead:
    """Family life cycle (家庭生命周期), experience (入市时间, time on stocks, past record),
    contact channels, phone, email, investor category, on-site flag and status. Absent fields
    do not change; changed contact facts and status are published as CustomerProfileUpdated."""
    customer = await _authorize(session, principal, customer_id, roles=("staff",))
    customer = await service.update_customer(
        session, customer=customer, changes=body, today=today, outbox=outbox_for(settings)
    )
    await session.commit()
    return _customer_read(customer)


@router.get(
    "/customers/{customer_id}/pii-access",
    response_model=list[PiiAccessRead],
    tags=["customers"],
    summary="Who revealed this customer's phone or ID number (staff of the branch)",
    responses=_errors(401, 403, 404, 422),
)
async def read_pii_access(
    customer_id: CustomerIdPath, session: SessionDep, principal: CurrentPrincipal
) -> list[PiiAccessRead]:
    """The append-only reveal audit of one customer, newest first."""
    await _authorize(session, principal, customer_id, roles=("staff",))
    return [
        PiiAccessRead.model_validate(e)
        for e in await service.pii_access_log(session, customer_id=customer_id)
    ]


# ----------------------------------------------------------------------------- risk assessment


def _assessment_read(a: RiskAssessment) -> RiskAssessmentRead:
    return RiskAssessmentRead(
        capacity=ScoreRead(score=a.capacity_score, level=a.capacity_level),
        tolerance=ScoreRead(score=a.tolerance_score, level=a.tolerance_level),
        allocation=AllocationRead(
            low=a.allocation_low, mid=a.allocation_mid, high=a.allocation_high
        ),
        risk_level=a.risk_level,
        assessed_on=a.assessed_on,
        valid_until=a.valid_until,
        assessment_id=a.assessment_id,
    )


@router.post(
    "/customers/{customer_id}/risk-assessments",
    response_model=RiskAssessmentRead,
    status_code=status.HTTP_201_CREATED,
    tags=["risk"],
    summary="Submit the risk questionnaire (风险承受能力评估)",
    responses=_errors(401, 403, 404, 422),
)
async def create_risk_assessment(
    customer_id: CustomerIdPath,
    body: RiskAssessmentCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    today: TodayDep,
) -> RiskAssessmentRead:
    """The customer themself or staff of the branch. Options 1-5 per item, `max_loss_pct`
    0-100; the age is taken from the birth date on today's date (Beijing time)."""
    customer = await _authorize(session, principal, customer_id, roles=("customer", "staff"))
    assessment = await service.assess_risk(
        session,
        customer=customer,
        answers=body.answers,
        today=today,
        validity_years=settings.assessment_validity_years,
        actor=_actor(principal),
        outbox=outbox_for(settings),
    )
    await session.commit()
    metrics.RISK_ASSESSMENTS.labels(assessment.risk_level).inc()
    return _assessment_read(assessment)


@router.get(
    "/customers/{customer_id}/risk-assessments",
    response_model=list[RiskAssessmentRecord],
    tags=["risk"],
    summary="Every risk assessment of a customer, newest first",
    responses=_errors(401, 403, 404, 422),
)
async def read_risk_assessments(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[RiskAssessmentRecord]:
    """The customer themself, staff of the branch, or a service with scope `profile:read`."""
    await _authorize(session, principal, customer_id)
    return [
        RiskAssessmentRecord(
            **_assessment_read(a).model_dump(),
            age=a.age,
            answers=a.answers,
            assessed_by=a.assessed_by,
        )
        for a in await service.risk_history(session, customer_id=customer_id)
    ]


@router.get(
    "/customers/{customer_id}/risk-profile",
    response_model=RiskProfileRead,
    tags=["risk"],
    summary="The current risk level and whether it is still valid",
    responses=_errors(401, 403, 404, 422),
)
async def read_risk_profile(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
) -> RiskProfileRead:
    """`valid` through `valid_until` inclusive; `missing` when the customer was never assessed
    (an expired or missing assessment blocks products above R1)."""
    await _authorize(session, principal, customer_id)
    current = await service.current_assessment(session, customer_id=customer_id)
    if current is None:
        return RiskProfileRead(
            customer_id=customer_id,
            status="missing",
            valid=False,
            risk_level=None,
            valid_until=None,
            current=None,
        )
    valid = today <= current.valid_until
    return RiskProfileRead(
        customer_id=customer_id,
        status="valid" if valid else "expired",
        valid=valid,
        risk_level=current.risk_level,
        valid_until=current.valid_until,
        current=_assessment_read(current),
    )


# ----------------------------------------------------------------------------- segments


@router.get(
    "/customers/{customer_id}/segments",
    response_model=CustomerSegmentsRead,
    tags=["segments"],
    summary="A customer's value segment, life stage, family life cycle and experience",
    responses=_errors(401, 403, 404, 422),
)
async def read_customer_segments(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    today: TodayDep,
) -> CustomerSegmentsRead:
    """Value figures come from settlement events (latest assets, trailing average, traded
    amount and commission over the trailing window); null until the first event."""
    customer = await _authorize(session, principal, customer_id)
    seg: CustomerSegment | None = await service.segment_of(session, customer_id=customer_id)
    age = rules.age_on(customer.birth_date, today)
    stage = rules.life_stage(age)
    return CustomerSegmentsRead(
        customer_id=customer_id,
        value_segment=seg.value_segment if seg else None,
        asset_size=seg.asset_size if seg else None,
        turnover_class=seg.turnover_class if seg else None,
        total_assets=seg.total_assets if seg else None,
        assets_as_of=seg.assets_as_of if seg else None,
        average_assets=seg.average_assets if seg else None,
        traded_amount=seg.traded_amount if seg else None,
        turnover=seg.turnover if seg else None,
        contribution=seg.commission if seg else None,
        window_days=settings.segment_window_days,
        figures_as_of=seg.as_of if seg else None,
        age=age,
        life_stage=stage.value,
        life_stage_focus=rules.LIFE_STAGE_FOCUS[stage],
        family_life_cycle=customer.family_life_cycle,
        experience=ExperienceRead(
            market_entry_year=customer.market_entry_year,
            years_in_market=rules.experience_years(customer.market_entry_year, today),
            time_on_stocks=customer.time_on_stocks,
            past_success=customer.past_success,
        ),
    )


SegmentPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]


@router.get(
    "/segments/{segment}/customers",
    response_model=SegmentPage,
    tags=["segments"],
    summary="Staff: own-branch customers of a segment, by assets or contribution",
    responses=_errors(401, 403, 404, 422),
)
async def list_segment_customers(
    segment: SegmentPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
    sort: Annotated[Literal["assets", "contribution"], Query()] = "assets",
    order: Annotated[Literal["desc", "asc"], Query()] = "desc",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100000)] = 0,
) -> SegmentPage:
    """`segment` is a value segment (e.g. `short_term_large`, 短线大型), a life stage (e.g.
    `youth`) or a family life cycle stage (e.g. `full_nest_1`). Contribution is the commission
    of the trailing window. Only the caller's branch is listed."""
    if not principal.is_staff or principal.branch_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff only")
    kind, total, members = await service.list_segment(
        session,
        segment=segment,
        branch_id=principal.branch_id,
        today=today,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    return SegmentPage(
        segment=segment,
        kind=kind,
        branch_id=principal.branch_id,
        total=total,
        limit=limit,
        offset=offset,
        items=[
            SegmentCustomerRead(
                customer_id=m.customer_id,
                name=m.name,
                status=m.status,
                life_stage=rules.life_stage(rules.age_on(m.birth_date, today)).value,
                value_segment=m.value_segment,
                total_assets=m.total_assets,
                contribution=m.contribution,
                turnover=m.turnover,
            )
            for m in members
        ],
    )


# ----------------------------------------------------------------------------- CRM interactions


@router.post(
    "/customers/{customer_id}/interactions",
    response_model=InteractionRead,
    status_code=status.HTTP_201_CREATED,
    tags=["crm"],
    summary="Log a service contact (CRM 记录), staff of the branch",
    responses=_errors(401, 403, 404, 422),
)
async def create_interaction(
    customer_id: CustomerIdPath,
    body: InteractionCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
) -> Interaction:
    """Who (the caller), when (`occurred_at`, not in the future), channel, topic, outcome and
    the next step. Published as InteractionLogged."""
    customer = await _authorize(session, principal, customer_id, roles=("staff",))
    interaction = await service.log_interaction(
        session,
        customer=customer,
        staff_id=principal.sub,
        data=body,
        now=datetime.now(UTC),
        outbox=outbox_for(settings),
    )
    await session.commit()
    metrics.INTERACTIONS_LOGGED.labels(interaction.channel).inc()
    return interaction


@router.get(
    "/customers/{customer_id}/interactions",
    response_model=InteractionPage,
    tags=["crm"],
    summary="A customer's contact timeline, most recent first (staff of the branch)",
    responses=_errors(401, 403, 404, 422),
)
async def read_interactions(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100000)] = 0,
) -> InteractionPage:
    """Staff notes are internal: customers do not read them."""
    await _authorize(session, principal, customer_id, roles=("staff",))
    items = await service.interaction_timeline(
        session, customer_id=customer_id, limit=limit, offset=offset
    )
    return InteractionPage(
        customer_id=customer_id,
        limit=limit,
        offset=offset,
        items=[InteractionRead.model_validate(i) for i in items],
    )


# ----------------------------------------------------------------------------- transfer-away


@router.post(
    "/customers/{customer_id}/transfer-requests",
    response_model=TransferRequestRead,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["transfer-away"],
    summary="Record a transfer-away request from the mobile app (the customer themself)",
    responses={
        **_errors(401, 403, 422),
        409: {"model": ErrorRead, "description": "request id used by another customer"},
    },
)
async def create_transfer_request(
    customer_id: CustomerIdPath,
    body: TransferRequestCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
) -> TransferRequest:
    """Custody transfer (转托管) or designation cancel (撤销指定). Only recorded and announced:
    never refused or held for retention. Repeating a `request_id` returns the first record."""
    if not principal.is_customer or principal.sub != customer_id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only the customer themself may file this request"
        )
    now = datetime.now(UTC)
    request = ev.CustomerTransferRequested(
        customer_id=customer_id,
        request_id=body.request_id or service.new_request_id(now),
        kind=body.kind,
        market=body.market,
        reason=body.reason,
        requested_at=body.requested_at or now,
    )
    row, created = await service.record_transfer_request(
        session, request=request, channel="mobile-app", received_at=now, outbox=outbox_for(settings)
    )
    await session.commit()
    if created:
        metrics.TRANSFER_REQUESTS.labels("mobile-app").inc()
    return row


@router.get(
    "/customers/{customer_id}/transfer-requests",
    response_model=list[TransferRequestRead],
    tags=["transfer-away"],
    summary="A customer's transfer-away requests, newest first",
    responses=_errors(401, 403, 404, 422),
)
async def read_transfer_requests(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[TransferRequest]:
    """The customer themself or staff of the branch."""
    await _authorize(session, principal, customer_id, roles=("customer", "staff"))
    return await service.transfer_requests(session, customer_id=customer_id)
