"""Scores by rank with ties, weights by phase, marks by group count, the KJ example (seed 000)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ops_assessment_svc.assessment.rules import (
    DEFAULT_WEIGHTS,
    Metric,
    Phase,
    Weights,
    company_ranking,
    is_future,
    marks_per_end,
    phase_of,
    rank_scores,
    score_groups,
    targets_problems,
    targets_reached,
    weights_problems,
)

D = Decimal


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, {}),
        ({"A": D(3)}, {"A": D(100)}),
        ({"A": D(3), "B": D(1)}, {"A": D(100), "B": D(0)}),
        ({"A": D(1), "B": D(2), "C": D(3)}, {"C": D(100), "B": D(50), "A": D(0)}),
        # Ties share the mean of the places they hold: places 0 and 1 of 3 → 75.
        ({"A": D(5), "B": D(5), "C": D(1)}, {"A": D(75), "B": D(75), "C": D(0)}),
        ({"A": D(1), "B": D(1), "C": D(1)}, {"A": D(50), "B": D(50), "C": D(50)}),
        (
            {"A": D(4), "B": D(3), "C": D(3), "D": D(1)},
            {"A": D(100), "B": D(50), "C": D(50), "D": D(0)},
        ),
        # Six groups: 100, 80, 60, 40, 20, 0; a negative growth is simply the worst.
        (
            {
                "G1": D("0.5"),
                "G2": D("0.3"),
                "G3": D("0.2"),
                "G4": D("0.1"),
                "G5": D("0.05"),
                "G6": D("-0.02"),
            },
            {"G1": D(100), "G2": D(80), "G3": D(60), "G4": D(40), "G5": D(20), "G6": D(0)},
        ),
        # Seven groups: steps of 16.67 (rounded to the hundredth).
        (
            {f"G{i}": D(i) for i in range(7)},
            {
                "G6": D(100),
                "G5": D("83.33"),
                "G4": D("66.67"),
                "G3": D(50),
                "G2": D("33.33"),
                "G1": D("16.67"),
                "G0": D(0),
            },
        ),
    ],
)
def test_rank_scores_best_100_worst_0_ties_share(
    values: dict[str, Decimal], expected: dict[str, Decimal]
) -> None:
    assert rank_scores(values) == expected


@pytest.mark.parametrize(
    ("groups", "per_end"), [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (6, 2), (12, 2)]
)
def test_marks_by_group_count(groups: int, per_end: int) -> None:
    assert marks_per_end(groups) == per_end


@pytest.mark.parametrize(
    ("formed", "month", "kj", "phase"),
    [
        ("2026-01", "2026-01", False, Phase.EARLY),  # the month it formed is month 1
        ("2026-01", "2026-06", False, Phase.EARLY),  # month 6
        ("2026-01", "2026-07", False, Phase.STEADY),  # month 7
        ("2025-09", "2026-02", False, Phase.EARLY),  # across a year end: month 6
        ("2025-09", "2026-03", False, Phase.STEADY),
        ("2026-11", "2026-11", True, Phase.KJ),
    ],
)
def test_phase_is_early_for_a_groups_first_six_months(
    formed: str, month: str, kj: bool, phase: Phase
) -> None:
    assert phase_of(formed_month=formed, month=month, kj_mode=kj) is phase


def test_default_weights_add_up_to_100_in_every_phase() -> None:
    for weights in DEFAULT_WEIGHTS.values():
        assert sum(weights.by_metric.values()) == 100
    assert DEFAULT_WEIGHTS[Phase.KJ].by_metric == {
        Metric.ASSET_GROWTH_RATIO: 50,
        Metric.COMMISSION_TURNOVER: 50,
    }
    assert DEFAULT_WEIGHTS[Phase.STEADY].complaint_penalty == 10


@pytest.mark.parametrize(
    ("weights", "penalty", "problem"),
    [
        ({"asset_growth_ratio": 50, "commission_turnover": 50}, 10, None),
        ({"asset_growth_ratio": 50, "commission_turnover": 40}, 10, "add up to 90"),
        ({"asset_growth_ratio": 110, "commission_turnover": -10}, 10, "negative"),
        ({"luck": 100}, 10, "unknown metric luck"),
        ({"crm_completeness": 100}, -1, "penalty is negative"),
        ({"crm_completeness": 100}, 100, None),
        ({"crm_completeness": 100}, 101, "more than 100"),
        ({"crm_completeness": 10**20, "asset_growth_ratio": 100 - 10**20}, 10, "negative"),
    ],
)
def test_weights_must_add_up_to_100(
    weights: dict[str, int], penalty: int, problem: str | None
) -> None:
    problems = weights_problems(weights, penalty)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("pairs", "share"),
    [
        ([], D(0)),
        ([(D(10), D(10))], D(1)),
        ([(D(10), D(25))], D(1)),  # capped at 100 %
        ([(D(10), D(5)), (D(4), D(8))], D("0.75")),
        ([(D(10), D(0)), (D(100000), D(50000)), (D(3), D(3))], D("0.5")),
    ],
)
def test_targets_reached_each_capped_at_100_percent(
    pairs: list[tuple[Decimal, Decimal]], share: Decimal
) -> None:
    assert targets_reached(pairs) == share


def test_kj_example_six_groups_top_two_rewarded_bottom_two_penalised() -> None:
    """Seed 000: KJ Securities' branch, 6 groups, asset growth ratio and commission turnover,
    reward the top 2, penalise the bottom 2."""
    growth = {"G1": "0.50", "G2": "0.30", "G3": "0.20", "G4": "0.10", "G5": "0.05", "G6": "-0.02"}
    turnover = {
        "G1": "0.010",
        "G2": "0.012",
        "G3": "0.004",
        "G4": "0.006",
        "G5": "0.002",
        "G6": "0.001",
    }
    values = {
        g: {Metric.ASSET_GROWTH_RATIO: D(growth[g]), Metric.COMMISSION_TURNOVER: D(turnover[g])}
        for g in growth
    }
    cards = score_groups(values, weights=DEFAULT_WEIGHTS[Phase.KJ], upheld_complaints={})
    table = {c.group_id: (c.total, c.rank, c.mark) for c in cards}
    # growth scores 100/80/60/40/20/0; turnover G2 100, G1 80, G4 60, G3 40, G5 20, G6 0.
    assert table == {
        "G1": (D(90), 1, "reward"),
        "G2": (D(90), 1, "reward"),
        "G3": (D(50), 3, None),
        "G4": (D(50), 3, None),
        "G5": (D(20), 5, "penalty"),
        "G6": (D(0), 6, "penalty"),
    }
    assert [c.group_id for c in cards] == ["G1", "G2", "G3", "G4", "G5", "G6"]


def test_an_upheld_complaint_takes_10_points_and_can_change_the_marks() -> None:
    values = {
        "A": {Metric.CRM_COMPLETENESS: D("0.9")},
        "B": {Metric.CRM_COMPLETENESS: D("0.8")},
        "C": {Metric.CRM_COMPLETENESS: D("0.1")},
    }
    weights = Weights({Metric.CRM_COMPLETENESS: 100})
    cards = score_groups(values, weights=weights, upheld_complaints={"A": 6})
    table = {c.group_id: (c.total, c.penalty, c.rank, c.mark) for c in cards}
    # A: 100 − 60 = 40; B: 50; C: 0. Three groups: top 1 and bottom 1.
    assert table == {
        "B": (D(50), D(0), 1, "reward"),
        "A": (D(40), D(60), 2, None),
        "C": (D(0), D(0), 3, "penalty"),
    }


def test_two_groups_get_no_marks() -> None:
    values = {"A": {Metric.NEW_CUSTOMERS: D(3)}, "B": {Metric.NEW_CUSTOMERS: D(1)}}
    cards = score_groups(values, weights=Weights({Metric.NEW_CUSTOMERS: 100}), upheld_complaints={})
    assert [(c.group_id, c.rank, c.mark) for c in cards] == [("A", 1, None), ("B", 2, None)]


def test_company_ranking_and_future_months() -> None:
    assert company_ranking({"B1-G1": D(80), "B2-G1": D(95), "B2-G2": D(80)}) == {
        "B2-G1": 1,
        "B1-G1": 2,
        "B2-G2": 2,
    }
    assert is_future("2026-12", "2026-11")
    assert not is_future("2026-11", "2026-11")
    assert not is_future("2025-12", "2026-11")


@pytest.mark.parametrize(
    ("targets", "problem"),
    [
        ({"contacts": D(30), "new_customers": D(2), "net_inflow": D("5000000.00")}, None),
        ({"contacts": D(0)}, None),
        ({"contacts": D(100000), "net_inflow": D(10) ** 12}, None),
        ({"contacts": D(100001)}, "from 0 to 100000"),
        ({"new_customers": D(-1)}, "from 0 to 100000"),
        ({"net_inflow": D(10) ** 12 + D("0.01")}, "from 0 to"),
        ({"net_inflow": D("NaN")}, "from 0 to"),
        ({"contacts": D("2.5")}, "a whole number"),
        ({"net_inflow": D("1.001")}, "to the fen"),
        ({"luck": D(1)}, "unknown target luck"),
    ],
)
def test_targets_have_domain_ranges(targets: dict[str, Decimal], problem: str | None) -> None:
    problems = targets_problems(targets)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems
