"""Complaint and suggestion routes: staff, the app (own complaints only), the call center."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, status

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, OutboxDep, Principal, SessionDep
from brokerage_common.params import ID_PATTERN, BranchIdQuery, IdPath

from ..access import branch_scope, ensure_manager_of, ensure_staff_sees
from ..assignment.models import CustomerFile
from ..deps import NowDep
from ..exceptions import Forbidden, RuleBroken
from . import rules, service
from .models import Complaint, Suggestion
from .schemas import (
    AnalysisRow,
    ComplaintCreate,
    ComplaintRead,
    ComplaintUpdate,
    SuggestionCreate,
    SuggestionRead,
)

router = APIRouter(prefix="/v1", tags=["complaints"], responses=ERROR_RESPONSES)
CALL_CENTER_SCOPE = "complaints:write"


def _read(c: Complaint, today: date) -> ComplaintRead:
    overdue = rules.is_overdue(
        rules.State(c.state),
        contact_due_on=c.contact_due_on,
        answer_due_on=c.answer_due_on,
        today=today,
    )
    return ComplaintRead.model_validate({**c.model_dump(), "overdue": overdue})


async def _intake(
    principal: Principal, session: SessionDep, customer_id: str | None, branch_id: str | None
) -> tuple[str, str, str]:
    """(intake, customer id, branch id) for the caller, or 403/422."""
    if principal.is_customer:
        if customer_id not in (None, principal.sub):
            raise Forbidden("customers may only file their own complaints")
        file = await session.get(CustomerFile, principal.sub)
        if file is None or file.branch_id is None:
            raise RuleBroken(["the customer is not known to the branch yet"])
        return rules.Intake.APP.value, principal.sub, file.branch_id
    if principal.is_service:
        if CALL_CENTER_SCOPE not in principal.scopes:
            raise Forbidden(f"requires a service token with scope {CALL_CENTER_SCOPE}")
        if customer_id is None or branch_id is None:
            raise RuleBroken(["the call center names the customer and the branch"])
        return rules.Intake.CALL_CENTER.value, customer_id, branch_id
    if customer_id is None:
        raise RuleBroken(["staff name the customer"])
    branch = branch_scope(principal, branch_id)
    return rules.Intake.STAFF.value, customer_id, branch


@router.post("/complaints", response_model=ComplaintRead, status_code=status.HTTP_201_CREATED)
async def file_complaint(
    body: ComplaintCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    now: NowDep,
) -> ComplaintRead:
    """Take a complaint; its deadlines are 1 and 15 working days; a data leak alerts
    compliance at once."""
    intake, customer_id, branch_id = await _intake(
        principal, session, body.customer_id, body.branch_id
    )
    received_on = now.date()
    if body.received_on is not None:
        if intake != rules.Intake.STAFF or body.received_on > now.date():
            raise RuleBroken(["only staff back-date a complaint, and never into the future"])
        received_on = body.received_on
    complaint = await service.file_complaint(
        session,
        customer_id=customer_id,
        branch_id=branch_id,
        category=body.category,
        intake=intake,
        description=body.description,
        owner_id=body.owner_id or (principal.sub if principal.is_staff else f"branch:{branch_id}"),
        received_on=received_on,
        now=now,
        outbox=outbox,
    )
    read = _read(complaint, now.date())
    await session.commit()
    return read


@router.get("/complaints", response_model=list[ComplaintRead])
async def list_complaints(
    principal: CurrentPrincipal,
    session: SessionDep,
    now: NowDep,
    overdue: bool = False,
    branch_id: BranchIdQuery = None,
    owner_id: str | None = Query(
        default=None,
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="only those this owner handles",
    ),
) -> list[ComplaintRead]:
    """The branch's complaints (a customer: their own); ``overdue=true`` lists the late ones,
    ``owner_id`` one staff member's."""
    if principal.is_customer:
        branch, customer = None, principal.sub
    else:
        branch, customer = branch_scope(principal, branch_id), None
    rows = await service.list_complaints(
        session,
        branch_id=branch,
        customer_id=customer,
        overdue_on=now.date() if overdue else None,
        owner_id=owner_id,
    )
    return [_read(c, now.date()) for c in rows]


@router.get("/complaints/analysis", response_model=list[AnalysisRow])
async def analysis(
    principal: CurrentPrincipal,
    session: SessionDep,
    branch_id: BranchIdQuery = None,
) -> list[AnalysisRow]:
    """Complaints by month, branch and category (HQ: every branch unless one is named)."""
    if not principal.is_staff:
        raise Forbidden("only staff may read the complaint analysis")
    branch = branch_id if principal.branch_id == "HQ" else branch_scope(principal, branch_id)
    return [AnalysisRow(**r) for r in await service.analysis(session, branch_id=branch)]


@router.patch("/complaints/{complaint_id}", response_model=ComplaintRead)
async def move_complaint(
    complaint_id: IdPath,
    body: ComplaintUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    now: NowDep,
) -> ComplaintRead:
    """Move a complaint on (its stage, answer or resolution), for staff of its branch."""
    found = await session.get(Complaint, complaint_id)
    branch = found.branch_id if found else None
    missing = f"no complaint {complaint_id}"
    ensure_staff_sees(principal, branch, found=found is not None, missing=missing)
    complaint = await service.get_complaint(session, complaint_id)
    complaint = await service.move_complaint(
        session,
        complaint=complaint,
        state=body.state,
        on=now.date(),
        now=now,
        outbox=outbox,
        evaluation=body.evaluation,
        upheld=body.upheld,
    )
    read = _read(complaint, now.date())
    await session.commit()
    return read


@router.post("/suggestions", response_model=SuggestionRead, status_code=status.HTTP_201_CREATED)
async def take_suggestion(
    body: SuggestionCreate, principal: CurrentPrincipal, session: SessionDep, now: NowDep
) -> SuggestionRead:
    """A customer's suggestion (合理化建议), from the app or taken by staff."""
    _, customer_id, branch_id = await _intake(principal, session, body.customer_id, None)
    suggestion = await service.take_suggestion(
        session, customer_id=customer_id, branch_id=branch_id, text=body.text, now=now
    )
    read = SuggestionRead.model_validate(suggestion, from_attributes=True)
    await session.commit()
    return read


@router.post("/suggestions/{suggestion_id}/adopt", response_model=SuggestionRead)
async def adopt_suggestion(
    suggestion_id: IdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    now: NowDep,
) -> SuggestionRead:
    """Adopt a suggestion (manager): tiering-svc credits the author's bonus."""
    found = await session.get(Suggestion, suggestion_id)
    branch = found.branch_id if found else None
    missing = f"no suggestion {suggestion_id}"
    ensure_staff_sees(principal, branch, found=found is not None, missing=missing)
    ensure_manager_of(principal, branch)
    suggestion = await service.adopt_suggestion(
        session, suggestion_id=suggestion_id, on=now.date(), outbox=outbox
    )
    read = SuggestionRead.model_validate(suggestion, from_attributes=True)
    await session.commit()
    return read
