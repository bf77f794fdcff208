"""Table-driven tests of the rules added for templates, channels and reminders."""

from datetime import date

import pytest

from notify_svc.planning.rules import choose_channel, ordered_dedupe_key, trigger_key
from notify_svc.reminders.calendar import trading_day_before
from notify_svc.reminders.rules import warrant_reminder_days
from notify_svc.rules import Category, Channel, mask_address
from notify_svc.templates.rules import content_for, missing_params, render, template_fields


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2026, 12, 10), 3, date(2026, 12, 7)),  # Thursday -> Monday
        (date(2026, 12, 7), 1, date(2026, 12, 4)),  # over a weekend
        (date(2026, 12, 5), 0, date(2026, 12, 4)),  # a Saturday: T is the Friday before
        (date(2026, 10, 8), 1, date(2026, 9, 30)),  # over the National Day holiday
    ],
)
def test_trading_day_before(day: date, n: int, expected: date) -> None:
    assert trading_day_before(day, n) == expected


def test_trading_day_before_rejects_negative_n() -> None:
    with pytest.raises(ValueError):
        trading_day_before(date(2026, 12, 10), -1)


def test_warrant_reminders_ahead_and_on_the_last_day() -> None:
    assert warrant_reminder_days(date(2026, 12, 10), 3) == {
        "last_day": date(2026, 12, 10),
        "ahead": date(2026, 12, 7),
    }
    assert warrant_reminder_days(date(2026, 12, 10), 0) == {"last_day": date(2026, 12, 10)}
    with pytest.raises(ValueError):
        warrant_reminder_days(date(2026, 12, 12), 3)  # a Saturday


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("尊敬的{name}，恭喜您升级为{tier}", {"name", "tier"}),
        ("没有占位符", set()),
        ("{{literal}} braces", set()),
    ],
)
def test_template_fields(text: str, fields: set[str]) -> None:
    assert template_fields(text) == fields


@pytest.mark.parametrize("text", ["{unclosed", "{a.b}", "{0}", "{x!r}", "{x:>5}", "}"])
def test_template_fields_refuses_anything_but_plain_names(text: str) -> None:
    with pytest.raises(ValueError):
        template_fields(text)


def test_render_and_missing_params() -> None:
    assert render("{name}您好", {"name": "张三", "unused": "x"}) == "张三您好"
    assert missing_params("{name}{tier}", {"name": "x"}) == {"tier"}
    with pytest.raises(KeyError):
        render("{name}", {})


@pytest.mark.parametrize(
    ("category", "text", "expected"),
    [
        (Category.MARKETING, "策略会邀请", "策略会邀请，回T退订"),
        (Category.ADVISORY, "关注银行板块。", "关注银行板块。投资有风险，入市需谨慎"),
        (Category.SERVICE, "风险提示", "风险提示"),
        (Category.STAFF_ALERT, "转托管", "转托管"),
    ],
)
def test_content_for_adds_the_mandatory_texts(category: Category, text: str, expected: str) -> None:
    assert content_for(category, text) == expected


@pytest.mark.parametrize(
    ("preferences", "has_phone", "has_email", "expected"),
    [
        (["sms"], True, False, Channel.SMS),
        (["email", "sms"], True, True, Channel.EMAIL),
        (["email", "sms"], True, False, Channel.SMS),  # no address for the first choice
        (["im", "phone"], True, True, Channel.SMS),  # IM reaches staff; phone calls are people
        (["sms"], False, True, Channel.EMAIL),
        (["sms"], False, False, None),
    ],
)
def test_choose_channel(
    preferences: list[str], has_phone: bool, has_email: bool, expected: Channel | None
) -> None:
    assert choose_channel(preferences, has_phone=has_phone, has_email=has_email) == expected


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("13800001234", "138****1234"),
        ("li.si@example.com", "l***@example.com"),
        ("branch:B001", "branch:B001"),
        ("ops", "ops"),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_ordered_dedupe_key_keeps_one_triggers_keys_together_in_recipient_order() -> None:
    keys = [
        ordered_dedupe_key(trigger_event_id="campaign:X", template_code="T", recipient=r)
        for r in ("C0001", "C0002", "C0010")
    ]
    assert keys == sorted(keys)
    assert {k[:33] for k in keys} == {
        trigger_key(trigger_event_id="campaign:X", template_code="T") + "|"
    }
    assert keys[0].endswith("|C0001")
    # A different trigger or template is a different key for the same recipient.
    assert (
        ordered_dedupe_key(trigger_event_id="campaign:Y", template_code="T", recipient="C0001")
        != keys[0]
    )
    assert (
        ordered_dedupe_key(trigger_event_id="campaign:X", template_code="U", recipient="C0001")
        != keys[0]
    )
    with pytest.raises(ValueError):
        ordered_dedupe_key(trigger_event_id="a\x1fb", template_code="T", recipient="C1")
    with pytest.raises(ValueError):
        ordered_dedupe_key(trigger_event_id="a", template_code="T", recipient="")
