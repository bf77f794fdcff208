"""Service-group rules (客户服务小组, domain.md §5.1): size, back-office member, one group each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum


class StaffRole(StrEnum):
    MANAGER = "manager"  # 部门经理
    ACCOUNT_MANAGER = "account_manager"  # 客户经理
    SALES = "sales"  # 业务员
    BACK_OFFICE = "back_office"  # 中后台人员
    ADVISER = "adviser"  # 咨询人员


MIN_MEMBERS = 2
MAX_MEMBERS = 3


def group_problems(
    members: Sequence[str],
    *,
    roles: Mapping[str, str],
    branch_of: Mapping[str, str],
    branch_id: str,
    other_group_of: Mapping[str, str | None],
) -> list[str]:
    """Why a group of these staff ids would break the rules; empty when it keeps them.

    2–3 staff, at least one from middle/back office, so no one employee "owns" customers and
    a whole group is unlikely to leave together; a staff member is in at most one group.
    """
    problems: list[str] = []
    if len(set(members)) != len(members):
        problems.append("a staff member is listed twice")
    if not MIN_MEMBERS <= len(set(members)) <= MAX_MEMBERS:
        problems.append(
            f"a group has {MIN_MEMBERS}–{MAX_MEMBERS} staff members, not {len(set(members))}"
        )
    unknown = [m for m in members if m not in roles]
    if unknown:
        problems.append(f"unknown staff: {', '.join(sorted(unknown))}")
    elsewhere = [m for m in members if m in branch_of and branch_of[m] != branch_id]
    if elsewhere:
        problems.append(f"staff of another branch: {', '.join(sorted(elsewhere))}")
    if not any(roles.get(m) == StaffRole.BACK_OFFICE for m in members):
        problems.append("a group needs at least one back_office member (中后台人员)")
    taken = sorted(f"{m} (in {g})" for m in members if (g := other_group_of.get(m)))
    if taken:
        problems.append(f"already in another group: {', '.join(taken)}")
    return problems


def alert_channel(group_id: str) -> str:
    """The IM channel a group's alerts go to (a transfer-away request of one of its customers)."""
    return f"group:{group_id}"
