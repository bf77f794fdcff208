"""Risk-questionnaire routes: submit, the history, the current level and its validity."""

from __future__ import annotations

from fastapi import APIRouter, status

from brokerage_common import CurrentPrincipal, OutboxDep
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
from . import service
from .models import RiskAssessment
from .schemas import (
    AllocationRead,
    RiskAssessmentCreate,
    RiskAssessmentRead,
    RiskAssessmentRecord,
    RiskProfileRead,
    ScoreRead,
)

router = APIRouter(prefix=API_PREFIX)


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
    responses=error_responses(401, 403, 404, 422),
)
async def create_risk_assessment(
    customer_id: CustomerIdPath,
    body: RiskAssessmentCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    outbox: OutboxDep,
    today: TodayDep,
) -> RiskAssessmentRead:
    """The customer themself or staff of the branch. Options 1-5 per item, `max_loss_pct`
    0-100; the age is taken from the birth date on today's date (Beijing time)."""
    customer = await authorize(session, principal, customer_id, roles=("customer", "staff"))
    assessment = await service.assess_risk(
        session,
        customer=customer,
        answers=body.answers,
        today=today,
        validity_years=settings.assessment_validity_years,
        actor=actor(principal),
        outbox=outbox,
    )
    await session.commit()
    metrics.RISK_ASSESSMENTS.labels(assessment.risk_level).inc()
    return _assessment_read(assessment)


@router.get(
    "/customers/{customer_id}/risk-assessments",
    response_model=list[RiskAssessmentRecord],
    tags=["risk"],
    summary="Every risk assessment of a customer, newest first",
    responses=error_responses(401, 403, 404, 422),
)
async def read_risk_assessments(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[RiskAssessmentRecord]:
    """The customer themself, staff of the branch, or a service with scope `profile:read`."""
    await authorize(session, principal, customer_id)
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
    responses=error_responses(401, 403, 404, 422),
)
async def read_risk_profile(
    customer_id: CustomerIdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    today: TodayDep,
) -> RiskProfileRead:
    """`valid` through `valid_until` inclusive; `missing` when the customer was never assessed
    (an expired or missing assessment blocks products above R1)."""
    await authorize(session, principal, customer_id)
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
