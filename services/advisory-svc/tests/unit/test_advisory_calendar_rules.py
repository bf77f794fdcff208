"""Working-day cooling-off, trading-day tracking and tier-drop dates (calendars of 2026)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from advisory_svc.agreements.rules import (
    advice_allowed,
    agreement_dates,
    agreement_number,
    refund_on_rescission,
)
from advisory_svc.calendars import CalendarNotCovered, trading_day_offset
from advisory_svc.subscriptions.rules import (
    bundle_end_after_drop,
    drop_notice_on,
    is_drop_below_bundles,
    renewal_term,
    term_end,
)
from advisory_svc.tracking.rules import base_day, hit_rate, horizon_days, is_hit, simple_return
from brokerage_common import CST


@pytest.mark.parametrize(
    ("signed", "ends"),
    [
        (date(2026, 11, 20), date(2026, 11, 27)),  # Fri -> next Fri (Mon..Fri)
        (date(2026, 11, 23), date(2026, 11, 30)),  # Mon -> next Mon
        # National Day 2026: Oct 1–7 off, Oct 10 (Sat) a make-up workday: Oct 8, 9, 10, 12, 13.
        (date(2026, 9, 30), date(2026, 10, 13)),
        # Signed on a day off (Mid-autumn, Sep 25): Sep 28, 29, 30, Oct 8, 9.
        (date(2026, 9, 25), date(2026, 10, 9)),
    ],
)
def test_cooling_off_is_five_chinese_working_days(signed: date, ends: date) -> None:
    dates = agreement_dates(signed)
    assert dates.cooling_off_ends_on == ends
    assert dates.advice_from == date.fromordinal(ends.toordinal() + 1)


def test_refund_in_and_after_cooling_off() -> None:
    ends = date(2026, 11, 27)
    assert refund_on_rescission(
        fee_paid=Decimal("300.00"), cooling_off_ends_on=ends, today=ends
    ) == Decimal("300.00")
    assert refund_on_rescission(
        fee_paid=Decimal("300.00"), cooling_off_ends_on=ends, today=date(2026, 11, 28)
    ) == Decimal("0.00")


def test_advice_only_under_an_active_agreement() -> None:
    start = date(2026, 11, 28)
    assert not advice_allowed(
        advice_from=start, valid_until=None, rescinded_on=None, today=date(2026, 11, 27)
    )
    assert advice_allowed(advice_from=start, valid_until=None, rescinded_on=None, today=start)
    assert not advice_allowed(advice_from=start, valid_until=None, rescinded_on=start, today=start)
    assert not advice_allowed(
        advice_from=start, valid_until=date(2026, 12, 1), rescinded_on=None, today=date(2026, 12, 2)
    )


def test_agreement_number() -> None:
    assert agreement_number("B001", date(2026, 11, 20), 42) == "TG-B001-2026-000042"


def test_terms_end_at_a_month_end() -> None:
    assert term_end(date(2026, 11, 20), 1) == date(2026, 11, 30)
    assert term_end(date(2026, 11, 20), 3) == date(2027, 1, 31)
    assert term_end(date(2026, 1, 31), 2) == date(2026, 2, 28)
    assert renewal_term(date(2026, 11, 30), 1) == (date(2026, 12, 1), date(2026, 12, 31))
    with pytest.raises(ValueError):
        term_end(date(2026, 11, 20), 0)


@pytest.mark.parametrize(
    ("old", "new", "drop"),
    [
        ("gold", "silver", True),
        ("platinum", "standard", True),
        ("platinum", "gold", False),
        ("silver", "standard", False),
        ("gold", "platinum", False),
    ],
)
def test_only_a_drop_below_gold_ends_bundles(old: str, new: str, drop: bool) -> None:
    assert is_drop_below_bundles(old, new) is drop


def test_after_a_tier_drop_the_bundle_runs_to_month_end_told_5_trading_days_before() -> None:
    assert bundle_end_after_drop(date(2027, 3, 31), date(2026, 12, 1)) == date(2026, 12, 31)
    assert bundle_end_after_drop(date(2026, 12, 15), date(2026, 12, 1)) == date(2026, 12, 15)
    # 2026-11-30 is a Monday: five trading days before is Monday 2026-11-23.
    assert drop_notice_on(date(2026, 11, 30)) == date(2026, 11, 23)
    # Across National Day (Oct 1–8 closed in 2026): 2026-10-31 (Sat) -> T = Oct 30 -> Oct 23.
    assert drop_notice_on(date(2026, 10, 31)) == date(2026, 10, 23)


def test_pick_base_day_and_horizons() -> None:
    # Friday 2026-11-20 before the close: the base is Thursday's close.
    assert base_day(datetime(2026, 11, 20, 9, 0, tzinfo=CST)) == date(2026, 11, 19)
    # After the close: that day's close.
    assert base_day(datetime(2026, 11, 20, 15, 30, tzinfo=CST)) == date(2026, 11, 20)
    # A Sunday: Friday's close.
    assert base_day(datetime(2026, 11, 22, 12, 0, tzinfo=CST)) == date(2026, 11, 20)
    days = horizon_days(date(2026, 11, 19))
    assert days[1] == date(2026, 11, 20)
    assert days[5] == date(2026, 11, 26)
    assert days[20] == date(2026, 12, 17)
    assert days[60] is None  # past 2026-12-31, the calendar's end


def test_the_trading_calendar_refuses_days_it_does_not_know() -> None:
    with pytest.raises(CalendarNotCovered):
        trading_day_offset(date(2027, 1, 4), 1)


def test_returns_and_hit_rate() -> None:
    assert simple_return(Decimal("10.00"), Decimal("11.00")) == Decimal("0.1000")
    assert simple_return(Decimal("3"), Decimal("2")) == Decimal("-0.3333")
    assert is_hit("buy", Decimal("0.01"))
    assert not is_hit("buy", Decimal("0"))
    assert is_hit("sell", Decimal("-0.02"))
    assert hit_rate([True, False, True]) == (2, 3, Decimal("0.6667"))
    assert hit_rate([]) == (0, 0, None)
