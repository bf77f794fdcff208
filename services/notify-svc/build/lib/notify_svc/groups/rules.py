"""Who a staff alert about a customer goes to: the customer's service group when ops has
assigned one and the group is active, else the customer's branch (pure, no I/O).

An IM address is a route, or routes joined by ``|`` tried in order for a configured
webhook (``delivery.channels.ImWebhook``): ``group:G1|branch:B001`` reaches the group's
robot, else the branch's, else the default one. The text always names the owner, so an
alert that lands in the branch channel still says whose it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

ROUTE_SEPARATOR = "|"
# Staff routes a NotificationRequested may name (params.route); a route of another shape
# fails the message instead of guessing where it was meant to go.
NAMED_ROUTES = frozenset({"ops", "compliance"})
ROUTE_PREFIXES = ("branch:", "group:")

ROLE_NAMES = {
    "manager": "负责人",
    "account_manager": "客户经理",
    "sales": "营销",
    "back_office": "中后台",
    "adviser": "投顾",
}


@dataclass(frozen=True)
class GroupFacts:
    group_id: str
    name: str
    state: str  # active | dissolved
    alert_channel: str
    members: tuple[tuple[str, str], ...]  # (staff_id, role)


@dataclass(frozen=True)
class Owner:
    """Where a customer's staff alert goes (``route``) and how the text names the owner."""

    route: str
    text: str
    branch_id: str


def is_staff_route(route: str) -> bool:
    """A route notify knows how to deliver: a named one, a branch's or a group's."""
    parts = route.split(ROUTE_SEPARATOR)
    return all(
        p in NAMED_ROUTES or (p.startswith(ROUTE_PREFIXES) and len(p) > p.index(":") + 1)
        for p in parts
    )


def alert_owner(*, branch_id: str, group_id: str | None, group: GroupFacts | None) -> Owner:
    """The owner of a customer's alert: an active group (its channel, then the branch's as
    the fallback), else the branch. A group notify has not heard of yet, or one dissolved,
    leaves the alert with the branch: an alert never waits for ops.
    """
    branch = f"branch:{branch_id}"
    if group_id is None:
        return Owner(branch, "营业部（未分配服务小组）", branch_id)
    if group is None:
        return Owner(branch, f"服务小组{group_id}", branch_id)
    if group.state != "active":
        return Owner(branch, f"营业部（服务小组{group.name}已解散）", branch_id)
    members = "、".join(f"{s}（{ROLE_NAMES.get(r, r)}）" for s, r in group.members)
    text = f"服务小组{group.name}（{group.group_id}）" + (f"，组员：{members}" if members else "")
    if not is_staff_route(group.alert_channel):
        # A channel of a shape notify cannot deliver: the branch, rather than no alert.
        return Owner(branch, text, branch_id)
    return Owner(f"{group.alert_channel}{ROUTE_SEPARATOR}{branch}", text, branch_id)


def assignment_is_newer(
    incoming: tuple[date, datetime], stored: tuple[date, datetime] | None
) -> bool:
    """An assignment replaces the stored one unless that one is strictly newer by
    (effective_on, the event's time): a replayed older assignment changes nothing, and of
    two on the same day the later-sent one wins (a dissolved group's customers moved)."""
    return stored is None or incoming >= stored
