"""Assessment routes: the month's ranking, a group's scorecard down to its customers,
running a month, and the branch manager's weights, mode and targets."""

from __future__ import annotations

import json
from decimal import Decimal

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import ERROR_RESPONSES, CurrentPrincipal, OutboxDep, Principal, SessionDep
from brokerage_common.auth import HQ_BRANCH
from brokerage_common.params import BranchIdQuery, IdPath

from ..access import branch_scope, ensure_manager_of, ensure_staff_sees, sees_whole_branch
from ..assignment import service as assignment
from ..deps import MonthPath, NowDep, SettingsDep
from ..exceptions import Forbidden, RuleBroken
from ..figures import rules as fr
from ..staff_groups import service as groups
from ..staff_groups.models import ServiceGroup
from . import rules, service
from .models import GroupAssessment
from .schemas import (
    CustomerLine,
    ModePut,
    PhaseWeightsRead,
    RankingRead,
    RankRead,
    ScorecardRead,
    ScoreRead,
    TargetsPut,
    WeightsPut,
    WeightsRead,
)

router = APIRouter(prefix="/v1", tags=["assessment"], responses=ERROR_RESPONSES)


def _score(a: GroupAssessment) -> ScoreRead:
    return ScoreRead(
        group_id=a.group_id,
        branch_id=a.branch_id,
        rank=a.rank,
        company_rank=a.company_rank,
        mark=a.mark,
        phase=a.phase,
        total=a.total,
        penalty=a.penalty,
        scores={k: Decimal(v) for k, v in json.loads(a.scores).items()},
        figures=json.loads(a.figures),
        churning=json.loads(a.churning),
        restatement=a.restatement,
        computed_at=a.computed_at,
    )


def _staff_only(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("only staff see assessments")


@router.get("/assessments/{month}", response_model=RankingRead)
async def ranking(
    month: MonthPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    branch_id: BranchIdQuery = None,
) -> RankingRead:
    """The month's ranking: a manager sees every scorecard of the branch, a group member the
    ranks only (and their own group's scorecard), HQ the company-wide ranking."""
    _staff_only(principal)
    if principal.branch_id == HQ_BRANCH:
        rows = await service.ranking(session, month=month, branch_id=branch_id)
        return RankingRead(
            month=month, scope=branch_id or HQ_BRANCH, groups=[_score(a) for a in rows]
        )
    if branch_id not in (None, principal.branch_id):
        raise Forbidden("staff may only access their own branch")
    branch = str(principal.branch_id)
    rows = await service.ranking(session, month=month, branch_id=branch)
    own = await groups.group_of_staff(session, principal.sub)
    whole = sees_whole_branch(principal)
    return RankingRead(
        month=month,
        scope=branch,
        groups=[
            _score(a)
            if whole or a.group_id == own
            else RankRead(group_id=a.group_id, branch_id=a.branch_id, rank=a.rank, mark=a.mark)
            for a in rows
        ],
    )


@router.post("/assessments/{month}", response_model=RankingRead, status_code=status.HTTP_200_OK)
async def run_assessment(
    month: MonthPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    outbox: OutboxDep,
    settings: SettingsDep,
    now: NowDep,
) -> RankingRead:
    """Assess the month (a manager or HQ); again after late events: restatements shown."""
    ensure_manager_of(principal, principal.branch_id)
    rows = await service.assess_month(
        session,
        month=month,
        current_month=fr.month_of(now.date()),
        churning=settings.churning_turnover,
        now=now,
        outbox=outbox,
    )
    if principal.branch_id != HQ_BRANCH:
        rows = [a for a in rows if a.branch_id == principal.branch_id]
    read = RankingRead(
        month=month, scope=str(principal.branch_id), groups=[_score(a) for a in rows]
    )
    await session.commit()
    return read


@router.get("/assessments/{month}/groups/{group_id}", response_model=ScorecardRead)
async def scorecard(
    month: MonthPath,
    group_id: IdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> ScorecardRead:
    """One group's scorecard down to the customers behind each figure."""
    _staff_only(principal)
    found = await session.get(GroupAssessment, (month, group_id))
    branch = found.branch_id if found else None
    missing = f"no assessment of {group_id} for {month}"
    ensure_staff_sees(principal, branch, found=found is not None, missing=missing)
    a = await service.scorecard(session, month=month, group_id=group_id)
    own = await groups.group_of_staff(session, principal.sub)
    if principal.branch_id != HQ_BRANCH and not sees_whole_branch(principal) and own != group_id:
        raise Forbidden("a group's members see their own group's scorecard only")
    n = Decimal(fr.days_in_month(month))
    lines = []
    for link, _file, fig in await assignment.group_customers(
        session, group_id=group_id, month=month
    ):
        row = fr.CustomerMonth(
            customer_id=link.customer_id,
            start_assets=fig.start_assets if fig else Decimal(0),
            end_assets=fig.end_assets if fig else Decimal(0),
            net_inflow=fig.net_inflow if fig else Decimal(0),
            traded_amount=fig.traded_amount if fig else Decimal(0),
            commission=fig.commission if fig else Decimal(0),
            assets_sum=fig.assets_sum if fig else Decimal(0),
            asset_days=fig.asset_days if fig else 0,
            contacts=fig.contacts if fig else 0,
            referrals=fig.referrals if fig else 0,
            baseline_commission=link.baseline_commission,
        )
        lines.append(
            CustomerLine(
                customer_id=row.customer_id,
                days=link.days,
                share=(Decimal(link.days) / n).quantize(Decimal("0.0001")),
                start_assets=row.start_assets,
                end_assets=row.end_assets,
                asset_growth=row.asset_growth,
                net_inflow=row.net_inflow,
                investment_gain=row.investment_gain,
                traded_amount=row.traded_amount,
                commission=row.commission,
                baseline_commission=row.baseline_commission,
                asset_turnover=row.asset_turnover,
                churning=fr.is_churning(row, limit=settings.churning_turnover),
                contacts=row.contacts,
                referrals=row.referrals,
            )
        )
    card = _score(a)
    explanation = (
        f"{a.phase} phase; each figure scored by its rank among the branch's "
        f"{a.groups_ranked} groups (best 100, worst 0, ties share), scores "
        + ", ".join(f"{k} {v}" for k, v in card.scores.items())
        + f"; weighted by the phase's weights, minus {a.penalty} for upheld complaints = "
        + f"{a.total}; rank {a.rank}"
        + (f", marked for {a.mark}" if a.mark else "")
        + f". Group figures are the sum of the customers below, each × days/{n} in the group"
        + (
            f"; left out of turnover for review: {', '.join(card.churning)}"
            if card.churning
            else ""
        )
        + "."
    )
    return ScorecardRead(month=month, scorecard=card, customers=lines, explanation=explanation)


def _phase_read(w: service.WeightsInEffect) -> PhaseWeightsRead:
    return PhaseWeightsRead(
        phase=w.phase.value,
        weights={m.value: v for m, v in w.weights.by_metric.items()},
        complaint_penalty=w.weights.complaint_penalty,
        is_default=w.is_default,
        updated_by=w.updated_by,
        updated_at=w.updated_at,
    )


async def _weights(
    session: AsyncSession, principal: Principal, branch_id: str | None
) -> WeightsRead:
    branch = branch_scope(principal, branch_id)
    ensure_manager_of(principal, branch)
    phases = await service.weights_in_effect(session, branch_id=branch)
    return WeightsRead(
        branch_id=branch,
        kj_mode=await service.kj_mode(session, branch_id=branch),
        phases=[_phase_read(w) for w in phases],
    )


@router.get("/assessment-weights", response_model=WeightsRead)
async def get_weights(
    principal: CurrentPrincipal,
    session: SessionDep,
    branch_id: BranchIdQuery = None,
) -> WeightsRead:
    """Each phase's weights in effect for the branch (the defaults until the manager sets
    some), for the branch's manager and HQ managers."""
    return await _weights(session, principal, branch_id)


@router.get("/assessment-weights/{phase}", response_model=WeightsRead)
async def get_phase_weights(
    phase: rules.Phase,
    principal: CurrentPrincipal,
    session: SessionDep,
    branch_id: BranchIdQuery = None,
) -> WeightsRead:
    """One phase's weights in effect for the branch."""
    read = await _weights(session, principal, branch_id)
    return read.model_copy(update={"phases": [p for p in read.phases if p.phase == phase]})


@router.put("/assessment-weights/{phase}", status_code=status.HTTP_204_NO_CONTENT)
async def put_weights(
    phase: str, body: WeightsPut, principal: CurrentPrincipal, session: SessionDep, now: NowDep
) -> None:
    """A branch's weights for a phase (early, steady, kj): they must add up to 100."""
    branch_id = body.branch_id or principal.branch_id
    ensure_manager_of(principal, branch_id)
    assert branch_id is not None
    await service.set_weights(
        session,
        branch_id=branch_id,
        phase=phase,
        weights=body.weights,
        complaint_penalty=body.complaint_penalty,
        actor=f"staff:{principal.sub}",
        now=now,
    )
    await session.commit()


@router.put("/assessment-mode", status_code=status.HTTP_204_NO_CONTENT)
async def put_mode(body: ModePut, principal: CurrentPrincipal, session: SessionDep) -> None:
    """KJ mode (seed 000): asset growth ratio 50, commission turnover 50, for every group."""
    branch_id = body.branch_id or principal.branch_id
    ensure_manager_of(principal, branch_id)
    assert branch_id is not None
    await service.set_kj_mode(session, branch_id=branch_id, kj_mode=body.kj_mode)
    await session.commit()


@router.put("/groups/{group_id}/targets/{month}", status_code=status.HTTP_204_NO_CONTENT)
async def put_targets(
    group_id: IdPath,
    month: MonthPath,
    body: TargetsPut,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> None:
    """The month's targets for a group (contacts, new_customers, net_inflow)."""
    group = await session.get(ServiceGroup, group_id)
    branch = group.branch_id if group else None
    ensure_staff_sees(principal, branch, found=group is not None, missing=f"no group {group_id}")
    ensure_manager_of(principal, branch)
    if not body.targets:
        raise RuleBroken(["no targets given"])
    await service.set_targets(session, month=month, group_id=group_id, targets=body.targets)
    await session.commit()
