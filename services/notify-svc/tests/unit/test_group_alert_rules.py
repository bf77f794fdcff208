"""Who a customer's staff alert goes to (groups.rules) and where an IM address is delivered
(delivery.channels.ImWebhook.url_for): ADR 0011, notify's part."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from notify_svc.config import Settings
from notify_svc.delivery.channels import ImWebhook
from notify_svc.groups.rules import (
    GroupFacts,
    Owner,
    alert_owner,
    assignment_is_newer,
    is_staff_route,
)
from notify_svc.planning.rules import business_trigger

ACTIVE = GroupFacts(
    group_id="G1",
    name="财富一组",
    state="active",
    alert_channel="group:G1",
    members=(("S1", "account_manager"), ("S2", "back_office")),
)


@pytest.mark.parametrize(
    ("group_id", "group", "expected"),
    [
        # Not assigned (or back to the branch queue): the branch, as before ops existed.
        (None, None, Owner("branch:B001", "营业部（未分配服务小组）", "B001")),
        # Assigned, group event not seen yet: the branch, the group named.
        ("G1", None, Owner("branch:B001", "服务小组G1", "B001")),
        (
            "G1",
            ACTIVE,
            Owner(
                "group:G1|branch:B001",
                "服务小组财富一组（G1），组员：S1（客户经理）、S2（中后台）",
                "B001",
            ),
        ),
        (
            "G1",
            GroupFacts("G1", "财富一组", "dissolved", "group:G1", ()),
            Owner("branch:B001", "营业部（服务小组财富一组已解散）", "B001"),
        ),
        # A channel notify cannot deliver to: the branch rather than no alert.
        (
            "G1",
            GroupFacts("G1", "财富一组", "active", "wecom:xyz", ()),
            Owner("branch:B001", "服务小组财富一组（G1）", "B001"),
        ),
    ],
)
def test_alert_owner(group_id: str | None, group: GroupFacts | None, expected: Owner) -> None:
    assert alert_owner(branch_id="B001", group_id=group_id, group=group) == expected


@pytest.mark.parametrize(
    ("route", "ok"),
    [
        ("compliance", True),
        ("ops", True),
        ("branch:B001", True),
        ("group:G1|branch:B001", True),
        ("branch:", False),
        ("customer", False),
        ("13800001234", False),
        ("group:G1|someone", False),
    ],
)
def test_is_staff_route(route: str, ok: bool) -> None:
    assert is_staff_route(route) is ok


T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("incoming", "stored", "newer"),
    [
        ((date(2026, 12, 1), T0), None, True),
        ((date(2026, 12, 1), T1), (date(2026, 12, 1), T0), True),  # moved later that day
        ((date(2026, 12, 1), T0), (date(2026, 12, 1), T0), True),  # a repeat: same row
        ((date(2026, 11, 1), T1), (date(2026, 12, 1), T0), False),  # an older month replayed
        ((date(2026, 12, 1), T0), (date(2026, 12, 1), T1), False),
    ],
)
def test_assignment_is_newer(
    incoming: tuple[date, datetime], stored: tuple[date, datetime] | None, newer: bool
) -> None:
    assert assignment_is_newer(incoming, stored) is newer


def test_the_data_leak_alert_is_keyed_by_its_complaint() -> None:
    assert business_trigger("COMPLAINT_DATA_LEAK_ALERT", {"complaint_id": "CP-1"}) == (
        "complaint:CP-1"
    )
    assert business_trigger("COMPLAINT_DATA_LEAK_ALERT", {}) is None
    assert business_trigger("TIER_UP", {"complaint_id": "CP-1"}) is None


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("group:G1|branch:B001", "https://im/g1"),
        ("group:G2|branch:B001", "https://im/b001"),  # no robot of its own: the branch's
        ("group:G2|branch:B002", "https://im/default"),
        ("branch:B001", "https://im/b001"),
        ("compliance", "https://im/compliance"),
        ("ops", "https://im/default"),
    ],
)
def test_an_im_address_reaches_the_first_configured_webhook(address: str, url: str) -> None:
    settings = Settings(
        environment="test",
        im_webhook_url="https://im/default",
        im_branch_webhooks={"B001": "https://im/b001"},
        im_group_webhooks={"G1": "https://im/g1"},
        compliance_webhook="https://im/compliance",
    )
    assert ImWebhook(settings).url_for(address) == url


def test_compliance_falls_back_to_the_default_webhook() -> None:
    settings = Settings(environment="test", im_webhook_url="https://im/default")
    hook = ImWebhook(settings)
    assert hook.url_for("compliance") == "https://im/default"
