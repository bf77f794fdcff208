"""The group rule of domain.md §5.1: 2–3 staff, one from back office, one group each."""

from __future__ import annotations

import pytest

from ops_assessment_svc.staff_groups.rules import alert_channel, group_problems

ROLES = {
    "S1": "account_manager",
    "S2": "back_office",
    "S3": "sales",
    "S4": "adviser",
    "S5": "back_office",
    "X1": "back_office",
}
BRANCH = dict.fromkeys(ROLES, "B001") | {"X1": "B002"}


@pytest.mark.parametrize(
    ("members", "other_groups", "problem"),
    [
        (["S1", "S2"], {}, None),
        (["S1", "S2", "S3"], {}, None),
        (["S2", "S5"], {}, None),  # two back-office members are fine
        (["S2"], {}, "not 1"),
        (["S1", "S2", "S3", "S4"], {}, "not 4"),
        (["S1", "S3"], {}, "back_office"),
        (["S1", "S3", "S4"], {}, "back_office"),
        (["S1", "S2"], {"S1": "G9"}, "S1 (in G9)"),
        (["S1", "S1", "S2"], {}, "listed twice"),
        (["S1", "NOBODY"], {}, "unknown staff: NOBODY"),
        (["S1", "X1"], {}, "another branch: X1"),
    ],
)
def test_group_rule(members: list[str], other_groups: dict[str, str], problem: str | None) -> None:
    problems = group_problems(
        members, roles=ROLES, branch_of=BRANCH, branch_id="B001", other_group_of=other_groups
    )
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_alert_channel_names_the_group() -> None:
    assert alert_channel("G7") == "group:G7"
