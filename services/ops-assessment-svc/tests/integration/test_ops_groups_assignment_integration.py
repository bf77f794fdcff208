"""Groups checked on every change, sticky balanced assignment, a dissolved group's customers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ops_assessment_svc.assignment import handlers as assignment_handlers
from ops_assessment_svc.assignment import service as assignment
from ops_assessment_svc.assignment.models import CustomerFile, CustomerGroupMonth
from ops_assessment_svc.exceptions import Conflict, RuleBroken
from ops_assessment_svc.figures.models import CustomerMonthFigure
from ops_assessment_svc.staff_groups import service as groups
from ops_assessment_svc.staff_groups.models import GroupMembership, ServiceGroup


async def _roster(h: Any) -> None:
    for sid, role in [
        ("S1", "account_manager"),
        ("S2", "back_office"),
        ("S3", "sales"),
        ("S4", "back_office"),
        ("S5", "adviser"),
        ("S6", "sales"),
    ]:
        await h.staff(sid, role)


async def test_a_group_breaking_the_rule_is_refused_with_the_reason_and_nothing_kept(
    harness: Any,
) -> None:
    await _roster(harness)
    with pytest.raises(RuleBroken) as info:
        await harness.group("G1", ["S1", "S3"])
    assert "back_office" in str(info.value)
    with pytest.raises(RuleBroken):
        await harness.group("G1", ["S1", "S2", "S3", "S4"])
    with pytest.raises(RuleBroken):
        await harness.group("G1", ["S2"])
    assert await harness.rows(ServiceGroup) == []
    assert await harness.outbox_events() == []
    await harness.group("G1", ["S1", "S2"])
    with pytest.raises(RuleBroken) as info:
        await harness.group("G2", ["S2", "S3"])  # S2 is in G1
    assert "S2 (in G1)" in str(info.value)
    with pytest.raises(Conflict):
        await harness.group("G1", ["S3", "S4"])
    [event] = await harness.outbox_events("ServiceGroupChanged")
    assert event["group_id"] == "G1"
    assert event["alert_channel"] == "group:G1"
    assert event["members"] == [
        {"staff_id": "S1", "role": "account_manager"},
        {"staff_id": "S2", "role": "back_office"},
    ]


async def test_member_changes_are_history_rows_and_a_role_change_is_checked(
    harness: Any, build: Any
) -> None:
    await _roster(harness)
    await harness.group("G1", ["S1", "S2"])
    with pytest.raises(RuleBroken):  # S2 is the only back-office member
        await harness.run(
            groups.change_members,
            group_id="G1",
            members=["S1", "S3"],
            reason="x",
            actor="staff:M",
            on=date(2026, 2, 1),
            now=build.now,
            outbox=harness.outbox,
        )
    with pytest.raises(RuleBroken):
        await harness.staff("S2", "sales")
    await harness.run(
        groups.change_members,
        group_id="G1",
        members=["S1", "S4", "S5"],
        reason="S2 moved to the counter",
        actor="staff:M",
        on=date(2026, 2, 1),
        now=build.now,
        outbox=harness.outbox,
    )
    history = await harness.rows(GroupMembership)
    assert sorted((m.staff_id, m.left_on, m.reason) for m in history) == [
        ("S1", None, "group formed"),
        ("S2", date(2026, 2, 1), "S2 moved to the counter"),
        ("S4", None, "S2 moved to the counter"),
        ("S5", None, "S2 moved to the counter"),
    ]


async def _customers(h: Any, build: Any) -> None:
    people = [
        ("P1", "platinum", "100"),
        ("C1", "standard", "900"),
        ("C2", "standard", "800"),
        ("C3", "standard", "500"),
        ("C4", "standard", "300"),
    ]
    for cid, tier, commission in people:
        await h.handle(assignment_handlers.on_customer_registered, build.registered(cid))
        if tier != "standard":
            from brokerage_common import events as ev
            from brokerage_common import new_envelope

            await h.handle(
                assignment_handlers.on_tier_changed,
                new_envelope(
                    ev.TierChanged(
                        customer_id=cid,
                        old_tier="standard",
                        new_tier=tier,
                        reason="assets",
                        effective_on=date(2026, 10, 1),
                    ),
                    source="tiering-svc",
                ),
            )
        await h.handle(
            __import__("ops_assessment_svc.figures.handlers", fromlist=["x"]).on_trades_settled,
            build.trade(f"T-{cid}", cid, "1000.00", commission, date(2026, 10, 15)),
        )


async def test_monthly_assignment_is_balanced_sticky_and_a_dissolved_groups_customers_move(
    harness: Any, build: Any
) -> None:
    await _roster(harness)
    await harness.group("G1", ["S1", "S2"])
    await harness.group("G2", ["S3", "S4"])
    await _customers(harness, build)
    moves = await harness.run(
        assignment.assign_branch,
        branch_id="B001",
        on=date(2026, 11, 1),
        capacity=300,
        outbox=harness.outbox,
    )
    # Platinum first (to G1, both at 0); then by contribution, each to the group with the
    # least total: C1 → G2 (0), C2 → G1 (100), C3 → G2 (900 each, fewer customers), C4 → G1.
    assert moves == {"P1": "G1", "C1": "G2", "C2": "G1", "C3": "G2", "C4": "G1"}
    events = await harness.outbox_events("CustomerAssigned")
    assert {(e["customer_id"], e["group_id"], e["month"]) for e in events} == {
        ("P1", "G1", "2026-11"),
        ("C1", "G2", "2026-11"),
        ("C2", "G1", "2026-11"),
        ("C3", "G2", "2026-11"),
        ("C4", "G1", "2026-11"),
    }
    # The baseline is the monthly average of the 3 months before: 900 / 3 for C1.
    [c1] = await harness.rows(CustomerGroupMonth, CustomerGroupMonth.customer_id == "C1")
    assert (c1.days, c1.baseline_commission) == (30, Decimal("300.00"))
    # Running it again changes nothing and says nothing.
    assert (
        await harness.run(
            assignment.assign_branch,
            branch_id="B001",
            on=date(2026, 11, 1),
            capacity=300,
            outbox=harness.outbox,
        )
        == {}
    )
    assert len(await harness.outbox_events("CustomerAssigned")) == 5
    # G1 dissolves on 21 Nov: its customers go to G2 for the last 10 days.
    await harness.run(
        groups.dissolve_group,
        group_id="G1",
        reason="staff left",
        actor="staff:M",
        on=date(2026, 11, 21),
        now=build.now,
        outbox=harness.outbox,
        capacity=300,
    )
    rows = await harness.rows(CustomerGroupMonth, CustomerGroupMonth.customer_id == "P1")
    assert sorted((r.group_id, r.days) for r in rows) == [("G1", 20), ("G2", 10)]
    files = {f.customer_id: f.group_id for f in await harness.rows(CustomerFile)}
    assert set(files.values()) == {"G2"}
    moved = [e for e in await harness.outbox_events("CustomerAssigned") if e["previous_group_id"]]
    assert {e["customer_id"] for e in moved} == {"P1", "C2", "C4"}
    assert {e["effective_on"] for e in moved} == {"2026-11-21"}


async def test_a_referral_counts_once_for_the_referrer(harness: Any, build: Any) -> None:
    env = build.registered("N1", referrer_id="C1", opened_on=date(2026, 11, 3))
    await harness.handle(assignment_handlers.on_customer_registered, env)
    await harness.handle(assignment_handlers.on_customer_registered, env)
    [row] = await harness.rows(CustomerMonthFigure, CustomerMonthFigure.customer_id == "C1")
    assert (row.month, row.referrals) == ("2026-11", 1)
