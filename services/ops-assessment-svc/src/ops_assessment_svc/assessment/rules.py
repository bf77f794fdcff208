"""Monthly group assessment (月度考核, domain.md §5.1): scores by rank, weights by phase, marks.

Each figure becomes a 0–100 score by its rank among the branch's groups (best 100, worst
0, tied groups share the mean of the places they hold); the total is the weighted sum,
minus a fixed deduction per upheld complaint. A group's first 6 months are its early
phase (targets and process), then the steady phase (performance); KJ mode (seed 000) is
"asset growth ratio 50, commission turnover 50".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ..figures.rules import GroupFigures, months_between

HUNDRED = Decimal(100)
SCORE_PLACES = Decimal("0.01")
EARLY_MONTHS = 6


class Metric(StrEnum):
    TARGETS_REACHED = "targets_reached"
    CRM_COMPLETENESS = "crm_completeness"
    NEW_CUSTOMERS = "new_customers"
    INCREMENTAL_COMMISSION = "incremental_commission"
    ASSET_GROWTH_RATIO = "asset_growth_ratio"
    COMMISSION_TURNOVER = "commission_turnover"
    ASSET_TURNOVER = "asset_turnover"


class Phase(StrEnum):
    EARLY = "early"
    STEADY = "steady"
    KJ = "kj"


@dataclass(frozen=True)
class Weights:
    """Weights per metric (adding up to 100) and the points taken off per upheld complaint."""

    by_metric: Mapping[Metric, int]
    complaint_penalty: int = 10


DEFAULT_WEIGHTS: dict[Phase, Weights] = {
    Phase.EARLY: Weights(
        {Metric.TARGETS_REACHED: 30, Metric.CRM_COMPLETENESS: 40, Metric.NEW_CUSTOMERS: 30}
    ),
    Phase.STEADY: Weights(
        {
            Metric.INCREMENTAL_COMMISSION: 40,
            Metric.ASSET_GROWTH_RATIO: 25,
            Metric.NEW_CUSTOMERS: 15,
            Metric.CRM_COMPLETENESS: 10,
            Metric.COMMISSION_TURNOVER: 10,
        }
    ),
    Phase.KJ: Weights({Metric.ASSET_GROWTH_RATIO: 50, Metric.COMMISSION_TURNOVER: 50}),
}


def weights_problems(by_metric: Mapping[str, int], complaint_penalty: int) -> list[str]:
    """Why a branch manager's weights are refused; empty when they are usable."""
    problems = [f"unknown metric {m}" for m in by_metric if m not in set(Metric)]
    problems += [f"weight of {m} is negative" for m, w in by_metric.items() if w < 0]
    total = sum(by_metric.values())
    if total != 100:
        problems.append(f"weights add up to {total}, not 100")
    if complaint_penalty < 0:
        problems.append("the complaint penalty is negative")
    if complaint_penalty > 100:
        problems.append("the complaint penalty is more than 100 points")
    return problems


TARGET_MAXIMA: dict[str, Decimal] = {
    "contacts": Decimal(100_000),
    "new_customers": Decimal(100_000),
    "net_inflow": Decimal(10) ** 12,
}
"""A group's monthly targets: domain maxima far above any real target (a group serves a few
hundred customers) and far below the column, so a typo is refused before it ranks."""
_COUNTED = ("contacts", "new_customers")


def targets_problems(targets: Mapping[str, Decimal]) -> list[str]:
    """Why a month's targets are refused: an unknown kind, a negative or too large value, a
    count that is not whole, money finer than the fen."""
    kinds = ", ".join(TARGET_MAXIMA)
    problems = []
    for kind, value in targets.items():
        top = TARGET_MAXIMA.get(kind)
        if top is None:
            problems.append(f"unknown target {kind}; one of {kinds}")
        elif not value.is_finite() or not Decimal(0) <= value <= top:
            problems.append(f"target {kind} must be from 0 to {top}")
        elif kind in _COUNTED and value != value.to_integral_value():
            problems.append(f"target {kind} is a count: a whole number")
        elif value != value.quantize(Decimal("0.01")):
            problems.append(f"target {kind} is money: to the fen")
    return problems


def phase_of(*, formed_month: str, month: str, kj_mode: bool = False) -> Phase:
    """Early for a group's first 6 months (the month it formed is the first), then steady."""
    if kj_mode:
        return Phase.KJ
    return Phase.EARLY if months_between(formed_month, month) < EARLY_MONTHS else Phase.STEADY


def rank_scores(values: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Best value 100, worst 0, evenly between; tied groups share the mean of their places."""
    n = len(values)
    if n == 0:
        return {}
    if n == 1:
        return {g: HUNDRED for g in values}
    ordered = sorted(values.items(), key=lambda kv: kv[1], reverse=True)
    scores: dict[str, Decimal] = {}
    i = 0
    while i < n:
        j = i
        while j + 1 < n and ordered[j + 1][1] == ordered[i][1]:
            j += 1
        # Places i..j (0 = best) score 100·(n−1−p)/(n−1); ties take their mean.
        mean_place = Decimal(i + j) / 2
        score = (HUNDRED * (Decimal(n - 1) - mean_place) / Decimal(n - 1)).quantize(
            SCORE_PLACES, ROUND_HALF_UP
        )
        for k in range(i, j + 1):
            scores[ordered[k][0]] = score
        i = j + 1
    return scores


def targets_reached(pairs: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """Share of the targets met, each (target, actual) capped at 100 %; no targets → 0."""
    usable = [(t, a) for t, a in pairs if t > 0]
    if not usable:
        return Decimal(0)
    met = sum((min(a / t, Decimal(1)) for t, a in usable), Decimal(0))
    return (met / len(usable)).quantize(Decimal("0.000001"))


def metric_value(figures: GroupFigures, metric: Metric, targets_share: Decimal) -> Decimal:
    if metric is Metric.TARGETS_REACHED:
        return targets_share
    if metric is Metric.NEW_CUSTOMERS:
        return Decimal(figures.new_customers)
    value: Decimal = getattr(figures, metric.value)
    return value


@dataclass(frozen=True)
class Scorecard:
    group_id: str
    scores: dict[Metric, Decimal]
    penalty: Decimal
    total: Decimal
    rank: int = 0
    mark: str | None = None


def marks_per_end(groups: int) -> int:
    """Top 2 / bottom 2 with at least 5 groups, 1 / 1 with 3–4, none below 3."""
    if groups >= 5:
        return 2
    if groups >= 3:
        return 1
    return 0


def score_groups(
    values: Mapping[str, Mapping[Metric, Decimal]],
    *,
    weights: Weights,
    upheld_complaints: Mapping[str, int],
) -> list[Scorecard]:
    """Score, total, rank (ties share the better rank) and mark a branch's groups."""
    groups = sorted(values)
    per_metric = {m: rank_scores({g: values[g][m] for g in groups}) for m in weights.by_metric}
    totals: dict[str, tuple[dict[Metric, Decimal], Decimal, Decimal]] = {}
    for g in groups:
        scores = {m: per_metric[m][g] for m in weights.by_metric}
        weighted = sum((scores[m] * w / HUNDRED for m, w in weights.by_metric.items()), Decimal(0))
        penalty = Decimal(weights.complaint_penalty * upheld_complaints.get(g, 0))
        totals[g] = (scores, penalty, (weighted - penalty).quantize(SCORE_PLACES, ROUND_HALF_UP))
    ordered = sorted(groups, key=lambda g: (-totals[g][2], g))
    k = marks_per_end(len(groups))
    cards: list[Scorecard] = []
    for g in ordered:
        total = totals[g][2]
        rank = 1 + sum(1 for h in groups if totals[h][2] > total)
        from_bottom = 1 + sum(1 for h in groups if totals[h][2] < total)
        mark = "reward" if rank <= k else "penalty" if from_bottom <= k else None
        cards.append(Scorecard(g, totals[g][0], totals[g][1], total, rank, mark))
    return cards


def company_ranking(totals: Mapping[str, Decimal]) -> dict[str, int]:
    """HQ's company-wide ranking of every group by its branch total (ties share the rank)."""
    return {g: 1 + sum(1 for v in totals.values() if v > t) for g, t in totals.items()}


def is_future(month: str, current_month: str) -> bool:
    """A month that has not begun cannot be assessed (its figures do not exist yet)."""
    return month > current_month
