"""The month's assessment from the kept figures: the KJ example end to end, re-runs and
restatements, refusals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from brokerage_common import CST
from ops_assessment_svc.assessment import service as assessment
from ops_assessment_svc.assessment.models import GroupAssessment
from ops_assessment_svc.assignment import handlers as assignment_handlers
from ops_assessment_svc.assignment import service as assignment
from ops_assessment_svc.exceptions import RuleBroken
from ops_assessment_svc.figures import handlers as figure_handlers

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=CST)
# group: (end assets from 100,000 at the start, commission) → growth ratio, commission turnover
KJ = {
    "G1": ("150000", "1250.00"),  # 0.50, 1250 / 125,000 = 0.010
    "G2": ("130000", "1380.00"),  # 0.30, 0.012
    "G3": ("120000", "440.00"),  # 0.20, 0.004
    "G4": ("110000", "630.00"),  # 0.10, 0.006
    "G5": ("105000", "205.00"),  # 0.05, 0.002
    "G6": ("98000", "99.00"),  # −0.02, 0.001
}


async def _kj_branch(h: Any, build: Any) -> None:
    for i in range(1, 7):
        await h.staff(f"A{i}", "account_manager")
        await h.staff(f"B{i}", "back_office")
        await h.group(f"G{i}", [f"A{i}", f"B{i}"])
        await h.handle(assignment_handlers.on_customer_registered, build.registered(f"K{i}"))
    await h.run(assessment.set_kj_mode, branch_id="B001", kj_mode=True)
    moves = await h.run(
        assignment.assign_branch,
        branch_id="B001",
        on=date(2026, 11, 1),
        capacity=300,
        outbox=h.outbox,
    )
    assert moves == {f"K{i}": f"G{i}" for i in range(1, 7)}
    for i, (end, commission) in enumerate(KJ.values(), start=1):
        await h.handle(
            figure_handlers.on_asset_snapshots,
            build.snapshot(f"K{i}", date(2026, 11, 2), "100000"),
            build.snapshot(f"K{i}", date(2026, 11, 30), end),
        )
        await h.handle(
            figure_handlers.on_trades_settled,
            build.trade(f"T{i}", f"K{i}", "50000.00", commission, date(2026, 11, 10)),
        )


async def _assess(h: Any, month: str = "2026-11") -> list[GroupAssessment]:
    return await h.run(  # type: ignore[no-any-return]
        assessment.assess_month,
        month=month,
        current_month="2026-12",
        churning=Decimal(20),
        now=NOW,
        outbox=h.outbox,
    )


async def test_kj_example_ranks_six_groups_rewards_two_and_penalises_two(
    harness: Any, build: Any
) -> None:
    await _kj_branch(harness, build)
    rows = await _assess(harness)
    table = {a.group_id: (a.total, a.rank, a.mark, a.phase) for a in rows}
    assert table == {
        "G1": (Decimal("90.00"), 1, "reward", "kj"),
        "G2": (Decimal("90.00"), 1, "reward", "kj"),
        "G3": (Decimal("50.00"), 3, None, "kj"),
        "G4": (Decimal("50.00"), 3, None, "kj"),
        "G5": (Decimal("20.00"), 5, "penalty", "kj"),
        "G6": (Decimal("0.00"), 6, "penalty", "kj"),
    }
    published = await harness.outbox_events("AssessmentPublished")
    assert len(published) == 6
    assert {p["group_id"]: p["mark"] for p in published}["G5"] == "penalty"
    # The same month again: the same result, nothing published.
    again = await _assess(harness)
    assert {a.group_id: (a.total, a.rank) for a in again} == {
        g: (t, r) for g, (t, r, _m, _p) in table.items()
    }
    assert len(await harness.outbox_events("AssessmentPublished")) == 6


async def test_a_late_trade_for_an_assessed_month_is_a_restatement(
    harness: Any, build: Any
) -> None:
    await _kj_branch(harness, build)
    await _assess(harness)
    # A late trade lifts G6's commission turnover to the top: 1,600 / 99,000 > 0.012.
    await harness.handle(
        figure_handlers.on_trades_settled,
        build.trade("T-late", "K6", "1000.00", "1600.00", date(2026, 11, 28)),
    )
    rows = {a.group_id: a for a in await _assess(harness)}
    assert rows["G6"].total == Decimal("50.00")
    assert rows["G6"].restatement == 1
    restated = [p for p in await harness.outbox_events("AssessmentPublished") if p["restatement"]]
    assert "G6" in {p["group_id"] for p in restated}
    assert all(p["restatement"] == 1 for p in restated)


async def test_a_future_month_is_refused(harness: Any) -> None:
    with pytest.raises(RuleBroken):
        await _assess(harness, "2027-01")


async def test_weights_that_do_not_add_up_are_refused(harness: Any) -> None:
    with pytest.raises(RuleBroken):
        await harness.run(
            assessment.set_weights,
            branch_id="B001",
            phase="steady",
            weights={"asset_growth_ratio": 60, "commission_turnover": 30},
            complaint_penalty=10,
            actor="staff:M1",
            now=NOW,
        )
