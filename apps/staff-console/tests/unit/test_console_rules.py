"""The console's pure rules: page access by role and the checks forms show before submit."""

from __future__ import annotations

from datetime import date

import pytest

from staff_console.clients import ServiceRefused
from staff_console.labels import value_segment_name
from staff_console.rules import (
    CustomerSearch,
    Page,
    Paging,
    customers_behind,
    first_call_minutes_left,
    group_problems,
    pages_for,
    parse_customer_search,
    pick_problems,
    previous_month,
    weights_problems,
)


@pytest.mark.parametrize(
    ("roles", "pages"),
    [
        ([], []),
        (["account_manager"], ["customers", "retention", "complaints", "ranking"]),
        (["back_office"], ["customers", "retention", "complaints", "ranking"]),
        (["adviser"], ["customers", "retention", "complaints", "ranking", "advisers"]),
        (["manager"], [p.value for p in Page]),
        (["unknown"], []),
    ],
)
def test_pages_by_staff_role(roles: list[str], pages: list[str]) -> None:
    assert [p.value for p in pages_for(roles)] == pages


@pytest.mark.parametrize(
    ("recommendation", "technical", "refused"),
    [
        ("buy", "bearish", True),  # seed 000: never a buy on bearish technicals
        ("buy", "neutral", False),
        ("buy", "bullish", False),
        ("hold", "bearish", False),
        ("sell", "bearish", False),
        ("", "bearish", False),  # a note without a recommendation
    ],
)
def test_bearish_technicals_rule(recommendation: str, technical: str, refused: bool) -> None:
    assert bool(pick_problems(recommendation=recommendation, technical_view=technical)) is refused


@pytest.mark.parametrize(
    ("roles", "problems"),
    [
        (["account_manager"], 2),  # too few and no back office
        (["account_manager", "back_office"], 0),
        (["sales", "back_office", "adviser"], 0),
        (["account_manager", "sales"], 1),  # no back office
        (["back_office", "back_office", "sales", "sales"], 1),  # four is too many
        ([], 2),
    ],
)
def test_group_rule_two_to_three_with_back_office(roles: list[str], problems: int) -> None:
    members = {f"S{i}": role for i, role in enumerate(roles)}
    assert len(group_problems(members)) == problems


@pytest.mark.parametrize(
    ("weights", "ok"),
    [
        ({"targets_reached": 30, "crm_completeness": 40, "new_customers": 30}, True),  # early
        ({"asset_growth_ratio": 50, "commission_turnover": 50}, True),  # KJ mode
        ({"asset_growth_ratio": 50, "commission_turnover": 40}, False),
        ({"asset_growth_ratio": 150, "commission_turnover": -50}, False),
    ],
)
def test_weights_add_up_to_100(weights: dict[str, int], ok: bool) -> None:
    assert (weights_problems(weights) == []) is ok


@pytest.mark.parametrize(
    ("offset", "total", "page", "pages", "prev", "next_"),
    [
        (0, 0, 1, 1, None, None),
        (0, 50, 1, 1, None, None),
        (0, 51, 1, 2, None, 50),
        (50, 120, 2, 3, 0, 100),
        (100, 120, 3, 3, 50, None),
        (50_000, 50_001, 1001, 1001, 49_950, None),
    ],
)
def test_paging(
    offset: int, total: int, page: int, pages: int, prev: int | None, next_: int | None
) -> None:
    p = Paging(offset=offset, limit=50, total=total)
    assert (p.page, p.pages, p.previous_offset, p.next_offset) == (page, pages, prev, next_)


def test_previous_month_crosses_the_year() -> None:
    assert previous_month(date(2026, 1, 15)) == "2025-12"
    assert previous_month(date(2026, 12, 1)) == "2026-11"


@pytest.mark.parametrize(
    ("segment", "name"),
    [("short_term_large", "短线大型"), ("static_small", "静止小型"), ("stable_medium", "稳定中型"),
     ("youth", "青年期"), ("nonsense", "nonsense")],
)  # fmt: skip
def test_value_segment_names_follow_seed_002(segment: str, name: str) -> None:
    assert value_segment_name(segment) == name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("张", CustomerSearch(name="张")),
        ("  张伟 ", CustomerSearch(name="张伟")),
        ("欧阳 娜娜", CustomerSearch(name="欧阳 娜娜")),
        ("138****1234", CustomerSearch(phone_prefix3="138", phone_last4="1234")),
        ("138＊＊＊＊1234", CustomerSearch(phone_prefix3="138", phone_last4="1234")),
        ("138*1234", CustomerSearch(phone_prefix3="138", phone_last4="1234")),
        ("1234", CustomerSearch(phone_last4="1234")),
        # a whole number is searched by what its masked form shows, never sent whole
        ("13800001234", CustomerSearch(phone_prefix3="138", phone_last4="1234")),
        ("138 0000 1234", CustomerSearch(phone_prefix3="138", phone_last4="1234")),
        ("138-0000-1234", CustomerSearch(phone_prefix3="138", phone_last4="1234")),
    ],
)
def test_the_search_box_takes_a_name_or_a_masked_phone(
    typed: str, expected: CustomerSearch
) -> None:
    assert parse_customer_search(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "   ", "123", "12345", "238****1234", "138****123", "张1", "１２３４", "a\x00"]
)
def test_the_search_box_refuses_what_is_neither(typed: str) -> None:
    assert parse_customer_search(typed) is None


def test_search_params_carry_only_the_visible_digits() -> None:
    search = parse_customer_search("13800001234")
    assert search is not None
    assert search.params() == {
        "phone_prefix3": "138",
        "phone_last4": "1234",
    }
    assert CustomerSearch(name="张").params() == {"q": "张"}


@pytest.mark.parametrize(
    ("minutes_open", "called", "left"),
    [
        (0, False, 30),  # domain.md §6: 30 trading minutes to the first call
        (29, False, 1),
        (30, False, 0),
        (45, False, -15),
        (45, True, None),  # called: the clock stopped
        (None, False, None),  # the service could not run the clock (calendar not covered)
    ],
)
def test_first_call_minutes_left(minutes_open: int | None, called: bool, left: int | None) -> None:
    assert first_call_minutes_left(trading_minutes_open=minutes_open, called=called) == left


def test_a_figure_opens_to_its_customers_largest_first() -> None:
    rows = [
        {"customer_id": "C1", "asset_growth": "-5.00", "contacts": 3},
        {"customer_id": "C2", "asset_growth": "12.50", "contacts": 0},
        {"customer_id": "C3", "asset_growth": "7", "contacts": 1},
    ]
    assert [r["customer_id"] for r in customers_behind(rows, "asset_growth_ratio")] == [
        "C2",
        "C3",
        "C1",
    ]
    assert [r["customer_id"] for r in customers_behind(rows, "crm_completeness")] == [
        "C1",
        "C3",
        "C2",
    ]
    assert customers_behind(rows, "no_such_figure") == rows


def test_a_refusal_with_rule_problems_reads_as_one_line() -> None:
    refused = ServiceRefused("ops-assessment-svc", 422, {"problems": ["a", "b"]})
    assert refused.message == "a；b"
