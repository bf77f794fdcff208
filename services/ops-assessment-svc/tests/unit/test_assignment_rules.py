"""Monthly assignment (domain.md §5.1): who, in what order, balanced, sticky."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ops_assessment_svc.assignment.rules import (
    Candidate,
    assign,
    contribution,
    moves,
    order_key,
    with_group_since,
)

D = Decimal


def c(
    cid: str,
    tier: str = "standard",
    commission: str = "0",
    assets: str = "0",
    onsite: bool = False,
    group: str | None = None,
) -> Candidate:
    return Candidate(cid, tier, D(commission), D(assets), onsite, group)


@pytest.mark.parametrize(
    ("candidate", "value"),
    [
        (c("A", commission="1200"), D(1200)),
        (c("B", assets="1000000"), D(3000)),  # 0.3 % of average assets
        (c("C", commission="5000", assets="1000000"), D(5000)),  # the larger ranks
    ],
)
def test_contribution_is_the_larger_of_actual_and_potential(
    candidate: Candidate, value: Decimal
) -> None:
    assert contribution(candidate) == value


def test_order_gold_platinum_first_then_contribution_off_site_first_on_ties() -> None:
    people = [
        c("ON", commission="1000", onsite=True),
        c("OFF", commission="1000", onsite=False),
        c("BIG", commission="9000"),
        c("GOLD", tier="gold", commission="10"),
        c("PLAT", tier="platinum", commission="20"),
    ]
    assert [p.customer_id for p in sorted(people, key=order_key)] == [
        "PLAT",
        "GOLD",
        "BIG",
        "OFF",
        "ON",
    ]


def test_capacity_limits_the_others_but_never_gold_or_platinum() -> None:
    people = [c(f"G{i}", tier="gold", commission=str(100 + i)) for i in range(3)]
    people += [c("S1", commission="5000"), c("S2", commission="4000")]
    out = assign(people, ["A"], capacity=2)
    assert set(out) == {"G0", "G1", "G2"}


def test_new_customers_go_to_the_group_with_the_least_total_contribution() -> None:
    people = [
        c("X", commission="900", group="A"),  # sticky: stays with A
        c("N1", commission="800"),
        c("N2", commission="500"),
        c("N3", commission="300"),
    ]
    out = assign(people, ["A", "B"], capacity=10)
    # B (0) takes N1 (800); A (900) vs B (800): B takes N2 (1300); A (900) takes N3.
    assert out == {"X": "A", "N1": "B", "N2": "B", "N3": "A"}


def test_a_dissolved_groups_customers_go_back_to_assignment() -> None:
    people = [c("X", commission="900", group="GONE"), c("Y", commission="100", group="A")]
    out = assign(people, ["A", "B"], capacity=10)
    assert out == {"Y": "A", "X": "B"}
    assert moves({"X": "GONE", "Y": "A", "Z": "A"}, out) == {"X": "B", "Z": None}


def test_full_groups_are_skipped_while_another_has_room() -> None:
    people = [c("K1", commission="10", group="A"), c("K2", commission="10", group="A")]
    people += [c("N", commission="1")]
    assert assign(people, ["A", "B"], capacity=2)["N"] == "B"
    assert assign([], []) == {}


def test_a_stay_counts_from_the_latest_unbroken_run_of_months() -> None:
    history = {
        "2026-08": frozenset({"G1"}),
        "2026-09": frozenset({"G2"}),
        "2026-10": frozenset({"G2", "G1"}),
        "2026-11": frozenset({"G1"}),
        "2026-12": frozenset({"G1"}),
    }
    assert with_group_since(history, "G1") == "2026-10"
    assert with_group_since(history, "G2") is None
    # A month with no assignment breaks the stay.
    assert with_group_since({"2026-09": frozenset({"G1"}), "2026-11": frozenset({"G1"})}, "G1") == (
        "2026-11"
    )
