"""Risk-questionnaire use cases: score and keep an assessment, read the history.

Every function takes the session first and keyword-only arguments, writes its
rows and outbox events into that session, and never commits.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from brokerage_common import Outbox
from brokerage_common import events as ev

from ..customers.models import Customer
from ..customers.rules import age_on
from . import rules
from .models import RiskAssessment
from .schemas import RiskAnswers


async def assess_risk(
    session: AsyncSession,
    *,
    customer: Customer,
    answers: RiskAnswers,
    today: date,
    validity_years: int,
    actor: str,
    outbox: Outbox,
) -> RiskAssessment:
    """Score the questionnaire with today's age, keep it and publish RiskProfileAssessed."""
    result = rules.assess_risk(
        rules.Answers(**answers.model_dump()),
        birth_date=customer.birth_date,
        assessed_on=today,
        validity_years=validity_years,
    )
    assessment = RiskAssessment(
        assessment_id=str(uuid.uuid4()),
        customer_id=customer.customer_id,
        answers=answers.model_dump(),
        age=age_on(customer.birth_date, today),
        capacity_score=result.capacity_score,
        capacity_level=result.capacity_level.value,
        tolerance_score=result.tolerance_score,
        tolerance_level=result.tolerance_level.value,
        allocation_low=result.allocation.low,
        allocation_mid=result.allocation.mid,
        allocation_high=result.allocation.high,
        risk_level=result.risk_level.value,
        assessed_on=result.assessed_on,
        valid_until=result.valid_until,
        assessed_by=actor,
        created_at=datetime.now(UTC),
    )
    session.add(assessment)
    await session.flush()
    await outbox.add(
        session,
        ev.RiskProfileAssessed(
            customer_id=customer.customer_id,
            assessment_id=assessment.assessment_id,
            capacity_score=result.capacity_score,
            capacity_level=result.capacity_level.value,
            tolerance_score=result.tolerance_score,
            tolerance_level=result.tolerance_level.value,
            risk_level=result.risk_level.value,
            assessed_on=result.assessed_on,
            valid_until=result.valid_until,
        ),
    )
    return assessment


async def risk_history(
    session: AsyncSession, *, customer_id: str, limit: int = 100
) -> list[RiskAssessment]:
    """Every assessment of a customer, newest first."""
    stmt = (
        select(RiskAssessment)
        .where(col(RiskAssessment.customer_id) == customer_id)
        .order_by(col(RiskAssessment.id).desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def current_assessment(session: AsyncSession, *, customer_id: str) -> RiskAssessment | None:
    history = await risk_history(session, customer_id=customer_id, limit=1)
    return history[0] if history else None
