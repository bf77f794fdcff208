"""The monthly assessment: one GROUP BY over the kept figures, then the rules, then publish.

Re-running a month gives the same result and publishes nothing new; when late events
changed a published month, the changed groups are published again as a restatement
(``restatement`` counts them), never silently.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import and_, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import Outbox
from brokerage_common import events as ev
from brokerage_common.dialect import upsert

from .. import metrics
from ..assignment.models import CustomerGroupMonth
from ..complaints import service as complaints
from ..exceptions import NotFound, RuleBroken
from ..figures import rules as fr
from ..figures.models import CustomerMonthFigure
from ..staff_groups.models import ServiceGroup
from . import rules
from .models import AssessmentConfig, BranchMode, GroupAssessment, GroupTarget

TARGET_KINDS = tuple(rules.TARGET_MAXIMA)


def _churns(churning: Decimal) -> Any:
    """Anti-churning: turnover = traded / average assets > limit (no division per row)."""
    f: Any = CustomerMonthFigure
    return and_(f.average_assets > 0, f.traded_amount > churning * f.average_assets)


def _sums_statement(month: str, churning: Decimal, *, branch_id: str | None = None) -> Any:
    """Per group and number of days in it, its customers' figures summed: one pass over the
    month, one GROUP BY (every assigned customer has a row) that PostgreSQL runs in
    parallel. Grouping by the days too leaves the pro-rata weighting to the few result rows
    instead of a multiplication per customer and figure."""
    m: Any = CustomerGroupMonth
    f: Any = CustomerMonthFigure
    keeps = not_(_churns(churning))
    stmt = (
        select(
            m.group_id,
            m.days,
            func.sum(f.start_assets).label("start_assets"),
            func.sum(f.end_assets).label("end_assets"),
            func.sum(f.net_inflow).label("net_inflow"),
            func.sum(f.commission).label("commission"),
            func.sum(m.baseline_commission).label("baseline_commission"),
            func.sum(f.traded_amount).filter(keeps).label("turnover_amount"),
            func.sum(f.commission).filter(keeps).label("turnover_commission"),
            func.sum(f.average_assets).filter(keeps).label("turnover_assets"),
            func.count().label("customers"),
            func.count().filter(f.contacts > 0).label("contacted"),
            func.sum(f.contacts).label("contacts"),
            func.sum(f.referrals).label("referrals"),
        )
        .select_from(m)
        .join(f, and_(f.customer_id == m.customer_id, f.month == m.month))
        .where(m.month == month)
        .group_by(m.group_id, m.days)
    )
    if branch_id is not None:
        stmt = stmt.where(m.branch_id == branch_id)
    return stmt


def _churners_statement(month: str, churning: Decimal) -> Any:
    """The few customers left out of turnover, with their groups (listed for review).

    Apart from the sums: a list aggregate would keep PostgreSQL 15 from running those in
    parallel; this one filters the month's figures first and looks the groups up by index.
    """
    m: Any = CustomerGroupMonth
    f: Any = CustomerMonthFigure
    return (
        select(m.group_id, m.customer_id)
        .select_from(f)
        .join(m, and_(m.customer_id == f.customer_id, m.month == f.month))
        .where(f.month == month, _churns(churning))
        .order_by(m.group_id, m.customer_id)
    )


_WEIGHTED = (
    "start_assets",
    "end_assets",
    "net_inflow",
    "commission",
    "baseline_commission",
    "turnover_amount",
    "turnover_commission",
    "turnover_assets",
    "customers",
    "contacted",
)


class Sums(NamedTuple):
    sums: fr.GroupSums
    contacts: int


async def group_sums(
    session: AsyncSession, *, month: str, churning: Decimal, branch_id: str | None = None
) -> dict[str, Sums]:
    """group id → its sums, each customer weighted by days in the group / days in the month,
    its contacts made, and (``sums.churning``) the customers listed for review."""
    n = Decimal(fr.days_in_month(month))
    stmt = _sums_statement(month, churning, branch_id=branch_id)
    sums: dict[str, fr.GroupSums] = defaultdict(fr.GroupSums)
    contacts: dict[str, int] = defaultdict(int)
    for r in await session.execute(stmt):
        s = sums[r.group_id]
        share = Decimal(r.days) / n
        for name in _WEIGHTED:
            value = getattr(r, name)
            setattr(s, name, getattr(s, name) + Decimal(str(value or 0)) * share)
        s.referrals += int(r.referrals or 0)
        contacts[r.group_id] += int(r.contacts or 0)
    for group_id, customer_id in await session.execute(_churners_statement(month, churning)):
        if group_id in sums:
            sums[group_id].churning.append(customer_id)
    return {g: Sums(s, contacts[g]) for g, s in sums.items()}


async def all_weights(session: AsyncSession) -> dict[tuple[str, str], rules.Weights]:
    """(branch id, phase) → the weights a branch manager set (absent: the defaults)."""
    return {
        (row.branch_id, row.phase): rules.Weights(
            {rules.Metric(k): int(v) for k, v in json.loads(row.weights).items()},
            complaint_penalty=row.complaint_penalty,
        )
        for row in (await session.execute(select(AssessmentConfig))).scalars()
    }


class WeightsInEffect(NamedTuple):
    phase: rules.Phase
    weights: rules.Weights
    is_default: bool
    updated_by: str | None
    updated_at: datetime | None


async def weights_in_effect(session: AsyncSession, *, branch_id: str) -> list[WeightsInEffect]:
    """Each phase's weights the branch's next assessment uses: the manager's, else the
    defaults of domain.md §5.1 (the same choice ``assess_month`` makes)."""
    rows = {
        row.phase: row
        for row in (
            await session.execute(
                select(AssessmentConfig).where(col(AssessmentConfig.branch_id) == branch_id)
            )
        ).scalars()
    }
    found = []
    for phase in rules.Phase:
        row = rows.get(phase.value)
        if row is None:
            found.append(WeightsInEffect(phase, rules.DEFAULT_WEIGHTS[phase], True, None, None))
            continue
        weights = rules.Weights(
            {rules.Metric(k): int(v) for k, v in json.loads(row.weights).items()},
            complaint_penalty=row.complaint_penalty,
        )
        found.append(WeightsInEffect(phase, weights, False, row.updated_by, row.updated_at))
    return found


async def kj_mode(session: AsyncSession, *, branch_id: str) -> bool:
    mode = await session.get(BranchMode, branch_id)
    return mode is not None and mode.kj_mode


async def set_weights(
    session: AsyncSession,
    *,
    branch_id: str,
    phase: str,
    weights: dict[str, int],
    complaint_penalty: int,
    actor: str,
    now: datetime,
) -> AssessmentConfig:
    problems = rules.weights_problems(weights, complaint_penalty)
    if phase not in set(rules.Phase):
        problems.append(f"unknown phase {phase}")
    if problems:
        raise RuleBroken(problems)
    await session.execute(
        upsert(
            session,
            AssessmentConfig,
            keys=["branch_id", "phase"],
            update=["weights", "complaint_penalty", "updated_by", "updated_at"],
        ).values(
            branch_id=branch_id,
            phase=phase,
            weights=json.dumps(weights, sort_keys=True),
            complaint_penalty=complaint_penalty,
            updated_by=actor,
            updated_at=now,
        )
    )
    row = await session.get(AssessmentConfig, (branch_id, phase), populate_existing=True)
    assert row is not None
    return row


async def set_kj_mode(session: AsyncSession, *, branch_id: str, kj_mode: bool) -> None:
    await session.execute(
        upsert(session, BranchMode, keys=["branch_id"], update=["kj_mode"]).values(
            branch_id=branch_id, kj_mode=kj_mode
        )
    )


async def set_targets(
    session: AsyncSession, *, month: str, group_id: str, targets: dict[str, Decimal]
) -> None:
    problems = rules.targets_problems(targets)
    if problems:
        raise RuleBroken(problems)
    for kind, value in targets.items():
        await session.execute(
            upsert(
                session, GroupTarget, keys=["month", "group_id", "kind"], update=["target"]
            ).values(month=month, group_id=group_id, kind=kind, target=value)
        )


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


async def assess_month(
    session: AsyncSession,
    *,
    month: str,
    current_month: str,
    churning: Decimal,
    now: datetime,
    outbox: Outbox,
) -> list[GroupAssessment]:
    """Assess every branch's groups for ``month`` and publish what is new or changed."""
    if rules.is_future(month, current_month):
        raise RuleBroken([f"{month} has not begun: it cannot be assessed yet"])
    sums = await group_sums(session, month=month, churning=churning)
    first, last = fr.month_bounds(month)
    groups = {
        g.group_id: g
        for g in (await session.execute(select(ServiceGroup))).scalars()
        if g.formed_on <= last and (g.dissolved_on is None or g.dissolved_on >= first)
    }
    upheld = await complaints.upheld_by_group(session, first=first, last=last)
    targets: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for t in (
        await session.execute(select(GroupTarget).where(col(GroupTarget.month) == month))
    ).scalars():
        targets[t.group_id].append((t.kind, t.target))
    configured = await all_weights(session)
    modes = {b.branch_id: b.kj_mode for b in (await session.execute(select(BranchMode))).scalars()}
    by_branch: dict[str, list[str]] = defaultdict(list)
    for gid, grp in groups.items():
        by_branch[grp.branch_id].append(gid)
    computed: dict[str, dict[str, Any]] = {}
    for branch_id, gids in sorted(by_branch.items()):
        figures = {g: fr.group_figures(sums[g].sums if g in sums else fr.GroupSums()) for g in gids}
        # A branch is assessed in one phase: its youngest group's (early until all are 6 months).
        phases = {
            rules.phase_of(
                formed_month=fr.month_of(groups[g].formed_on),
                month=month,
                kj_mode=modes.get(branch_id, False),
            )
            for g in gids
        }
        phase = (
            rules.Phase.KJ
            if rules.Phase.KJ in phases
            else (rules.Phase.EARLY if rules.Phase.EARLY in phases else rules.Phase.STEADY)
        )
        weights = configured.get((branch_id, phase.value), rules.DEFAULT_WEIGHTS[phase])
        values: dict[str, dict[rules.Metric, Decimal]] = {}
        for g in gids:
            f = figures[g]
            actual = {
                "contacts": Decimal(sums[g].contacts if g in sums else 0),
                "new_customers": Decimal(f.new_customers),
                "net_inflow": f.net_inflow,
            }
            share = rules.targets_reached([(t, actual[k]) for k, t in targets.get(g, [])])
            values[g] = {m: rules.metric_value(f, m, share) for m in weights.by_metric}
        cards = rules.score_groups(values, weights=weights, upheld_complaints=upheld)
        for c in cards:
            computed[c.group_id] = {
                "branch_id": branch_id,
                "phase": phase.value,
                "figures": _json(asdict(figures[c.group_id])),
                "scores": _json({m.value: str(v) for m, v in c.scores.items()}),
                "penalty": c.penalty,
                "total": c.total,
                "rank": c.rank,
                "groups_ranked": len(cards),
                "mark": c.mark,
                "asset_growth_ratio": figures[c.group_id].asset_growth_ratio,
            }
    company = rules.company_ranking({g: v["total"] for g, v in computed.items()})
    stored = {
        a.group_id: a
        for a in (
            await session.execute(
                select(GroupAssessment).where(col(GroupAssessment.month) == month)
            )
        ).scalars()
    }
    events: list[ev.Event] = []
    out: list[GroupAssessment] = []
    for gid in sorted(computed, key=lambda g: (computed[g]["branch_id"], computed[g]["rank"], g)):
        v = computed[gid] | {
            "company_rank": company[gid],
            "churning": _json(sums[gid].sums.churning if gid in sums else []),
        }
        row = stored.get(gid)
        if row is not None and all(_same(getattr(row, k), val) for k, val in v.items()):
            out.append(row)
            continue
        if row is None:
            row = GroupAssessment(month=month, group_id=gid, computed_at=now, **v)
            session.add(row)
        else:
            for k, val in v.items():
                setattr(row, k, val)
            row.restatement += 1
            row.computed_at = now
        out.append(row)
        metrics.ASSESSMENTS_PUBLISHED.labels("restatement" if row.restatement else "first").inc()
        events.append(
            ev.AssessmentPublished(
                customer_id=gid,
                month=month,
                group_id=gid,
                rank=row.rank,
                branch_id=row.branch_id,
                groups_ranked=row.groups_ranked,
                total_score=row.total,
                mark=row.mark,
                phase=row.phase,
                restatement=row.restatement,
            )
        )
    await outbox.add_many(session, events)
    await session.flush()
    return out


def _same(stored: Any, value: Any) -> bool:
    if isinstance(value, Decimal) or isinstance(stored, Decimal):
        return Decimal(str(stored)) == Decimal(str(value))
    return bool(stored == value)


async def ranking(
    session: AsyncSession, *, month: str, branch_id: str | None
) -> list[GroupAssessment]:
    stmt = select(GroupAssessment).where(col(GroupAssessment.month) == month)
    if branch_id is not None:
        stmt = stmt.where(col(GroupAssessment.branch_id) == branch_id)
    rows = list((await session.execute(stmt)).scalars())
    key = (
        (lambda a: (a.rank, a.group_id)) if branch_id else (lambda a: (a.company_rank, a.group_id))
    )
    return sorted(rows, key=key)


async def scorecard(session: AsyncSession, *, month: str, group_id: str) -> GroupAssessment:
    row = await session.get(GroupAssessment, (month, group_id))
    if row is None:
        raise NotFound(f"no assessment of {group_id} for {month}")
    return row
