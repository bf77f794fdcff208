"""Table-driven tests of the notification rules (sms-gateway contract, domain §4)."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from notify_svc.campaigns.rules import HOLIDAY_CHINESE_NAMES, holiday_greeting_name
from notify_svc.delivery.rules import (
    REPORT_TIMEOUT,
    Backoff,
    SendOutcome,
    batch_by_params,
    counts_as_attempt,
    is_expired,
    retry_delay,
    state_after_send,
)
from notify_svc.delivery.sms import SEND_CODE_OUTCOMES, classify_send_result
from notify_svc.planning.rules import DEFAULT_DAILY_CAP, SuppressReason, dedupe_key, may_send
from notify_svc.recipients.rules import OPT_OUT_KEYWORDS, is_opt_out_reply
from notify_svc.reminders.calendar import is_trading_day, trading_day_offset
from notify_svc.reminders.rules import ipo_reminder_days
from notify_svc.rules import (
    BEIJING,
    FINAL_STATES,
    MARKETING_WINDOW,
    TRANSITIONS,
    Category,
    Channel,
    State,
    apply_report,
    beijing_date,
    can_transition,
    earliest_send_at,
    marketing_send_at,
    needs_window,
)
from notify_svc.templates.rules import (
    OPT_OUT_TEXT,
    RISK_DISCLOSURE,
    with_opt_out,
    with_risk_disclosure,
)

OUT = SendOutcome


def bj(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=BEIJING)


# ---------------------------------------------------------------- enums and constants


def test_enum_values_are_the_lowercase_wire_names():
    assert [c.value for c in Category] == ["service", "marketing", "advisory", "staff_alert"]
    assert [c.value for c in Channel] == ["sms", "im", "email"]
    assert all(s.value == s.name.lower() for s in State)
    assert len(State) == 11


def test_contract_constants():
    assert {"T", "TD", "退订"} == OPT_OUT_KEYWORDS
    assert OPT_OUT_TEXT == "回T退订"
    assert RISK_DISCLOSURE == "投资有风险，入市需谨慎"
    assert timedelta(hours=72) == REPORT_TIMEOUT
    assert DEFAULT_DAILY_CAP == 5
    assert str(BEIJING) == "Asia/Shanghai"


# ---------------------------------------------------------------- send result classes


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("OK", OUT.ACCEPTED),
        ("isv.BUSINESS_LIMIT_CONTROL", OUT.DEFER),
        ("isv.MOBILE_NUMBER_ILLEGAL", OUT.PERMANENT_FAILURE),
        ("isv.TEMPLATE_MISSING_PARAMETERS", OUT.PERMANENT_FAILURE),
        ("isv.PARAM_LENGTH_LIMIT", OUT.PERMANENT_FAILURE),
        ("isv.SMS_CONTENT_ILLEGAL", OUT.PERMANENT_FAILURE),
        ("isv.BLACK_KEY_CONTROL_LIMIT", OUT.SUPPRESS),
        ("isv.PHONE_NUMBER_IN_BLACKLIST", OUT.SUPPRESS),
        ("isv.SMS_SIGNATURE_ILLEGAL", OUT.OPEN_CIRCUIT),
        ("isv.SMS_TEMPLATE_ILLEGAL", OUT.OPEN_CIRCUIT),
        ("isv.AMOUNT_NOT_ENOUGH", OUT.OPEN_CIRCUIT),
        ("isv.OUT_OF_SERVICE", OUT.OPEN_CIRCUIT),
        ("isv.DAY_LIMIT_CONTROL", OUT.OPEN_CIRCUIT),
        ("isp.SYSTEM_ERROR", OUT.RETRY),
        # not in the contract: provider-side codes retry, anything else fails the message
        ("isp.RAM_PERMISSION_DENY", OUT.RETRY),
        ("isv.SOMETHING_NEW", OUT.PERMANENT_FAILURE),
        ("Throttling.User", OUT.PERMANENT_FAILURE),
    ],
)
def test_every_contract_code_has_its_class(code, outcome):
    assert classify_send_result(http_status=200, code=code) is outcome


def test_the_code_table_covers_exactly_the_contract_codes():
    assert len(SEND_CODE_OUTCOMES) == 14


@pytest.mark.parametrize(
    ("http_status", "code", "timed_out", "outcome"),
    [
        (429, None, False, OUT.RETRY),
        (500, None, False, OUT.RETRY),
        (502, None, False, OUT.RETRY),
        (503, None, False, OUT.RETRY),
        (504, None, False, OUT.RETRY),
        (503, "OK", False, OUT.RETRY),  # status wins over a stray body
        (408, None, False, OUT.RETRY),
        (None, None, False, OUT.RETRY),  # connection refused: nothing left our side
        (None, None, True, OUT.UNKNOWN),  # timed out after sending: it may have gone out
        (200, "OK", True, OUT.UNKNOWN),
        (200, None, False, OUT.UNKNOWN),  # accepted body unreadable
        (200, "", False, OUT.UNKNOWN),
        (401, None, False, OUT.OPEN_CIRCUIT),  # our key is wrong
        (403, None, False, OUT.OPEN_CIRCUIT),
        (404, None, False, OUT.OPEN_CIRCUIT),  # gateway URL is wrong
        (301, None, False, OUT.OPEN_CIRCUIT),
        (400, None, False, OUT.PERMANENT_FAILURE),
        (413, None, False, OUT.PERMANENT_FAILURE),
        (422, None, False, OUT.PERMANENT_FAILURE),
    ],
)
def test_http_level_results(http_status, code, timed_out, outcome):
    result = classify_send_result(
        http_status=http_status, code=code, timed_out_after_send=timed_out
    )
    assert result is outcome


@pytest.mark.parametrize(
    ("outcome", "counts"),
    [
        (OUT.RETRY, True),
        (OUT.UNKNOWN, True),
        (OUT.PERMANENT_FAILURE, True),
        (OUT.DEFER, False),  # contract: do not count it as a failed attempt
        (OUT.OPEN_CIRCUIT, False),
    ],
)
def test_which_outcomes_use_up_an_attempt(outcome, counts):
    assert counts_as_attempt(outcome) is counts


@pytest.mark.parametrize(
    ("outcome", "attempts_used", "state"),
    [
        (OUT.ACCEPTED, 1, State.ACCEPTED),
        (OUT.UNKNOWN, 1, State.UNKNOWN),
        (OUT.SUPPRESS, 1, State.SUPPRESSED),
        (OUT.PERMANENT_FAILURE, 1, State.FAILED),
        (OUT.RETRY, 1, State.SCHEDULED),
        (OUT.RETRY, 7, State.SCHEDULED),
        (OUT.RETRY, 8, State.FAILED),  # Backoff().max_attempts
        (OUT.DEFER, 8, State.SCHEDULED),
        (OUT.OPEN_CIRCUIT, 8, State.SCHEDULED),
    ],
)
def test_state_after_send(outcome, attempts_used, state):
    assert state_after_send(outcome, attempts_used=attempts_used, backoff=Backoff()) is state
    assert can_transition(State.SUBMITTING, state)


# ---------------------------------------------------------------- state machine


@pytest.mark.parametrize(
    ("src", "dst", "allowed"),
    [
        (State.PENDING, State.SCHEDULED, True),
        (State.PENDING, State.SUPPRESSED, True),
        (State.PENDING, State.SUBMITTING, True),
        (State.PENDING, State.DELIVERED, False),
        (State.SCHEDULED, State.SUBMITTING, True),
        (State.SCHEDULED, State.SUPPRESSED, True),  # opt-out arrived while waiting for 08:00
        (State.SUBMITTING, State.ACCEPTED, True),
        (State.SUBMITTING, State.UNKNOWN, True),
        (State.SUBMITTING, State.DELIVERED, True),  # report overtook the HTTP answer
        (State.ACCEPTED, State.DELIVERED, True),
        (State.ACCEPTED, State.EXPIRED, True),
        (State.ACCEPTED, State.SUBMITTING, False),  # never resend an accepted message
        (State.UNKNOWN, State.SUBMITTING, False),  # never resend blindly
        (State.UNKNOWN, State.RECONCILED, True),
        (State.RECONCILED, State.SCHEDULED, True),
        (State.DELIVERED, State.UNDELIVERED, False),
        (State.UNDELIVERED, State.DELIVERED, False),
        (State.EXPIRED, State.DELIVERED, False),
        (State.FAILED, State.SCHEDULED, False),
        (State.ACCEPTED, State.ACCEPTED, False),
    ],
)
def test_transition_table(src, dst, allowed):
    assert can_transition(src, dst) is allowed


def test_final_states_have_no_way_out_and_all_others_do():
    assert {State.DELIVERED, State.UNDELIVERED, State.FAILED, State.SUPPRESSED, State.EXPIRED} == (
        FINAL_STATES
    )
    assert set(TRANSITIONS) == set(State)
    for state in State:
        assert (not TRANSITIONS[state]) is (state in FINAL_STATES)


@pytest.mark.parametrize(
    ("current", "success", "after"),
    [
        (State.ACCEPTED, True, State.DELIVERED),
        (State.ACCEPTED, False, State.UNDELIVERED),
        (State.UNKNOWN, True, State.DELIVERED),
        (State.UNKNOWN, False, State.UNDELIVERED),
        (State.SUBMITTING, True, State.DELIVERED),
        (State.RECONCILED, True, State.DELIVERED),
        (State.SCHEDULED, True, State.DELIVERED),
        (State.DELIVERED, False, State.DELIVERED),  # a later undelivered never overwrites
        (State.UNDELIVERED, True, State.UNDELIVERED),  # and vice versa
        (State.DELIVERED, True, State.DELIVERED),  # repeated report
        (State.EXPIRED, True, State.EXPIRED),
        (State.FAILED, True, State.FAILED),
        (State.SUPPRESSED, True, State.SUPPRESSED),
        (State.PENDING, True, State.PENDING),  # never submitted: ignored
    ],
)
def test_apply_report(current, success, after):
    assert apply_report(current, success) is after


@pytest.mark.parametrize(
    "reports",
    [
        [True, False],  # in order
        [False, True],  # reversed
        [True, True, False, True],  # repeated
    ],
)
def test_first_report_wins_whatever_the_order(reports):
    state = State.ACCEPTED
    for success in reports:
        state = apply_report(state, success)
    assert state is (State.DELIVERED if reports[0] else State.UNDELIVERED)


def test_reverse_order_reports_settle_each_message_once():
    # Three messages accepted; their reports arrive in reverse order, then repeated.
    states = {"m1": State.ACCEPTED, "m2": State.UNKNOWN, "m3": State.ACCEPTED}
    reports = [("m3", False), ("m2", True), ("m1", True)]
    for message_id, success in reports + reports[::-1]:
        states[message_id] = apply_report(states[message_id], success)
    assert states == {"m1": State.DELIVERED, "m2": State.DELIVERED, "m3": State.UNDELIVERED}


@pytest.mark.parametrize(
    ("age", "expired"),
    [
        (timedelta(hours=71, minutes=59), False),
        (timedelta(hours=72), True),
        (timedelta(days=4), True),
    ],
)
def test_is_expired(age, expired):
    accepted_at = bj(2026, 11, 20, 15, 31)
    assert is_expired(accepted_at, accepted_at + age) is expired


def test_is_expired_compares_instants_across_zones():
    accepted_at = bj(2026, 11, 20, 8, 0)
    assert is_expired(accepted_at, datetime(2026, 11, 23, 0, 0, tzinfo=UTC))  # = 08:00 BJ
    with pytest.raises(ValueError):
        is_expired(datetime(2026, 11, 20), datetime(2026, 11, 24))


# ---------------------------------------------------------------- retries


@pytest.mark.parametrize(
    ("attempt", "rand", "delay"),
    [
        (1, 0.0, 0.0),
        (1, 0.5, 0.5),
        (2, 0.5, 1.0),
        (4, 0.5, 4.0),
        (9, 0.5, 128.0),
        (10, 0.5, 150.0),  # 256 capped at 300
        (5000, 0.999, 299.7),  # no overflow
    ],
)
def test_retry_delay_full_jitter(attempt, rand, delay):
    assert retry_delay(attempt, Backoff(), rand) == pytest.approx(delay)


@pytest.mark.parametrize("attempt", range(1, 15))
def test_retry_delay_bounds(attempt):
    backoff = Backoff(base_s=2.0, factor=3.0, max_s=60.0)
    ceiling = min(60.0, 2.0 * 3.0 ** (attempt - 1))
    for rand in (0.0, 0.25, 0.999999):
        assert 0.0 <= retry_delay(attempt, backoff, rand) < ceiling + 1e-9
    assert retry_delay(attempt, backoff, 0.999999) == pytest.approx(ceiling, rel=1e-5)


@pytest.mark.parametrize(("attempt", "rand"), [(0, 0.5), (1, 1.0), (1, -0.1)])
def test_retry_delay_rejects_bad_input(attempt, rand):
    with pytest.raises(ValueError):
        retry_delay(attempt, Backoff(), rand)


def test_backoff_defaults():
    assert Backoff() == Backoff(base_s=1.0, factor=2.0, max_s=300.0, max_attempts=8)


# ---------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("now", "send_at"),
    [
        (bj(2026, 11, 20, 7, 59), bj(2026, 11, 20, 8, 0)),
        (bj(2026, 11, 20, 0, 0), bj(2026, 11, 20, 8, 0)),
        (bj(2026, 11, 20, 8, 0), bj(2026, 11, 20, 8, 0)),
        (bj(2026, 11, 20, 12, 30), bj(2026, 11, 20, 12, 30)),
        (bj(2026, 11, 20, 21, 59, 59), bj(2026, 11, 20, 21, 59, 59)),
        (bj(2026, 11, 20, 22, 0), bj(2026, 11, 21, 8, 0)),
        (bj(2026, 11, 20, 23, 0), bj(2026, 11, 21, 8, 0)),
        (bj(2026, 12, 31, 23, 0), bj(2027, 1, 1, 8, 0)),
        # 15:00 UTC is 23:00 in Beijing: next day 08:00 Beijing
        (datetime(2026, 11, 20, 15, 0, tzinfo=UTC), bj(2026, 11, 21, 8, 0)),
        # 23:30 UTC is 07:30 next day in Beijing: that day's 08:00
        (datetime(2026, 11, 20, 23, 30, tzinfo=UTC), bj(2026, 11, 21, 8, 0)),
        # 03:00 UTC is 11:00 in Beijing: now
        (datetime(2026, 11, 20, 3, 0, tzinfo=UTC), bj(2026, 11, 20, 11, 0)),
        (datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=-5))), bj(2026, 11, 21, 8)),
    ],
)
def test_marketing_send_at(now, send_at):
    assert marketing_send_at(now) == send_at


def test_marketing_send_at_keeps_now_inside_and_answers_in_beijing_outside():
    inside = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert marketing_send_at(inside) is inside
    outside = marketing_send_at(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    assert outside.tzinfo is BEIJING
    assert MARKETING_WINDOW[0] == outside.timetz().replace(tzinfo=None)


def test_marketing_send_at_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        marketing_send_at(datetime(2026, 11, 20, 23, 0))


@pytest.mark.parametrize(
    ("category", "windowed"),
    [
        (Category.MARKETING, True),
        (Category.ADVISORY, True),
        (Category.SERVICE, False),
        (Category.STAFF_ALERT, False),
    ],
)
def test_needs_window(category, windowed):
    assert needs_window(category) is windowed
    at_night = bj(2026, 11, 20, 23, 0)
    expected = bj(2026, 11, 21, 8, 0) if windowed else at_night
    assert earliest_send_at(category, at_night) == expected


def test_beijing_date():
    assert beijing_date(datetime(2026, 11, 20, 16, 30, tzinfo=UTC)) == date(2026, 11, 21)


# ---------------------------------------------------------------- opt-out and texts


@pytest.mark.parametrize(
    ("content", "opt_out"),
    [
        ("T", True),
        ("t", True),
        ("TD", True),
        ("td", True),
        ("Td", True),
        (" TD ", True),
        ("\tt\n", True),
        ("退订", True),
        (" 退订 ", True),
        ("退订。", True),
        ("Ｔ", True),  # full-width
        ("ＴＤ", True),
        ("", False),
        ("   ", False),
        ("TDD", False),
        ("好的", False),
        ("不要退订", False),
        ("T 谢谢", False),
        ("ok", False),
    ],
)
def test_is_opt_out_reply(content, opt_out):
    assert is_opt_out_reply(content) is opt_out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("尊敬的客户，新春快乐", "尊敬的客户，新春快乐，回T退订"),
        ("尊敬的客户，新春快乐。", "尊敬的客户，新春快乐。回T退订"),
        ("尊敬的客户，新春快乐！  ", "尊敬的客户，新春快乐！回T退订"),
        ("新春快乐，回T退订", "新春快乐，回T退订"),  # once
        ("", "回T退订"),
    ],
)
def test_with_opt_out(text, expected):
    assert with_opt_out(text) == expected
    assert with_opt_out(with_opt_out(text)) == expected


def test_with_risk_disclosure():
    text = with_risk_disclosure("今日策略：关注券商板块。")
    assert text == "今日策略：关注券商板块。投资有风险，入市需谨慎"
    assert with_risk_disclosure(text) == text


# ---------------------------------------------------------------- consent and caps

M, A, S, STAFF = Category.MARKETING, Category.ADVISORY, Category.SERVICE, Category.STAFF_ALERT


@pytest.mark.parametrize(
    ("category", "consent", "agreement", "sent_today", "result"),
    [
        (M, True, False, 0, (True, None)),
        (M, False, True, 0, (False, SuppressReason.NO_MARKETING_CONSENT)),
        (M, True, False, 4, (True, None)),
        (M, True, False, 5, (False, SuppressReason.DAILY_CAP_REACHED)),
        (A, False, True, 0, (True, None)),  # advisory needs the agreement, not consent
        (A, True, False, 0, (False, SuppressReason.NO_ADVISORY_AGREEMENT)),
        (A, True, True, 5, (False, SuppressReason.DAILY_CAP_REACHED)),
        (S, False, False, 99, (True, None)),  # risk and trade notices always go
        (STAFF, False, False, 99, (True, None)),
    ],
)
def test_may_send(category, consent, agreement, sent_today, result):
    assert (
        may_send(
            category=category,
            marketing_consent=consent,
            has_advisory_agreement=agreement,
            sent_today=sent_today,
            daily_cap=DEFAULT_DAILY_CAP,
        )
        == result
    )


def test_suppress_reasons_are_plain_strings():
    _, reason = may_send(
        category=M, marketing_consent=False, has_advisory_agreement=False, sent_today=0, daily_cap=5
    )
    assert reason == "no_marketing_consent"


# ---------------------------------------------------------------- dedupe and batching


def test_dedupe_key_is_stable_and_distinguishes_its_parts():
    key = dedupe_key(trigger_event_id="evt-1", template_code="SMS_TIER_UP", recipient="13800001234")
    assert key == dedupe_key(
        trigger_event_id="evt-1", template_code="SMS_TIER_UP", recipient="13800001234"
    )
    assert len(key) == 64
    assert int(key, 16) >= 0
    others = {
        dedupe_key(trigger_event_id="evt-2", template_code="SMS_TIER_UP", recipient="13800001234"),
        dedupe_key(trigger_event_id="evt-1", template_code="SMS_IPO", recipient="13800001234"),
        dedupe_key(trigger_event_id="evt-1", template_code="SMS_TIER_UP", recipient="13800001235"),
        dedupe_key(trigger_event_id="evt-1S", template_code="MS_TIER_UP", recipient="13800001234"),
    }
    assert key not in others
    assert len(others) == 4


def test_dedupe_key_rejects_the_separator():
    with pytest.raises(ValueError):
        dedupe_key(trigger_event_id="a\x1fb", template_code="T", recipient="1")


def phones(n: int, start: int = 13800000000) -> list[str]:
    return [str(start + i) for i in range(n)]


def test_batching_2500_same_params_makes_1000_1000_500():
    params = {"name": "客户", "tier": "金卡"}
    batches = batch_by_params([(p, dict(params)) for p in phones(2500)])
    assert [len(numbers) for _, numbers in batches] == [1000, 1000, 500]
    assert all(batch_params == params for batch_params, _ in batches)
    assert [n for _, numbers in batches for n in numbers] == phones(2500)


def test_batching_separates_different_params_and_ignores_key_order():
    items = [
        ("13800000001", {"name": "张三", "tier": "金卡"}),
        ("13800000002", {"name": "李四", "tier": "金卡"}),
        ("13800000003", {"tier": "金卡", "name": "张三"}),  # same params, other key order
        ("13800000004", {"name": "张三", "tier": "白金卡"}),
    ]
    assert batch_by_params(items) == [
        ({"name": "张三", "tier": "金卡"}, ["13800000001", "13800000003"]),
        ({"name": "李四", "tier": "金卡"}, ["13800000002"]),
        ({"name": "张三", "tier": "白金卡"}, ["13800000004"]),
    ]


def test_batching_sends_a_number_once_per_params():
    items = [("13800000001", {}), ("13800000001", {}), ("13800000001", {"x": "1"})]
    assert batch_by_params(items) == [({}, ["13800000001"]), ({"x": "1"}, ["13800000001"])]


@pytest.mark.parametrize(("limit", "sizes"), [(1, [1, 1, 1]), (2, [2, 1]), (1000, [3])])
def test_batching_limit(limit, sizes):
    batches = batch_by_params([(p, {}) for p in phones(3)], limit=limit)
    assert [len(numbers) for _, numbers in batches] == sizes


@pytest.mark.parametrize("limit", [0, 1001])
def test_batching_limit_must_respect_the_contract(limit):
    with pytest.raises(ValueError):
        batch_by_params([], limit=limit)


def test_batching_nothing():
    assert batch_by_params([]) == []


# ---------------------------------------------------------------- trading days (XSHG)


@pytest.mark.parametrize(
    ("day", "trading"),
    [
        (date(2026, 11, 20), True),  # Friday
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 9, 25), False),  # Mid-autumn Festival, a Friday
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), False),  # make-up workday (调休) is a Saturday: exchange closed
        (date(2026, 2, 14), False),  # likewise before Spring Festival
        (date(2026, 2, 16), False),  # Spring Festival
        (date(2026, 2, 24), True),
    ],
)
def test_is_trading_day(day, trading):
    assert is_trading_day(day) is trading


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2026, 11, 20), 0, date(2026, 11, 20)),
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday -> Monday over the weekend
        (date(2026, 11, 19), 2, date(2026, 11, 23)),
        (date(2026, 11, 21), 0, date(2026, 11, 23)),  # Saturday: T is Monday
        (date(2026, 11, 21), 1, date(2026, 11, 24)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # across the National Day week
        (date(2026, 9, 29), 2, date(2026, 10, 8)),
        (date(2026, 10, 1), 0, date(2026, 10, 8)),
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # Mid-autumn Friday and the weekend
        (date(2026, 2, 13), 1, date(2026, 2, 24)),  # Spring Festival
    ],
)
def test_trading_day_offset(day, n, expected):
    assert trading_day_offset(day, n) == expected


def test_trading_day_offset_rejects_negative_n():
    with pytest.raises(ValueError):
        trading_day_offset(date(2026, 11, 20), -1)


def test_ipo_reminder_days():
    assert ipo_reminder_days(date(2026, 9, 29)) == {
        "subscription": date(2026, 9, 29),
        "allotment": date(2026, 10, 8),  # T+2 over the National Day week
    }
    assert ipo_reminder_days(date(2026, 11, 19), listing_day=date(2026, 12, 1)) == {
        "subscription": date(2026, 11, 19),
        "allotment": date(2026, 11, 23),
        "listing": date(2026, 12, 1),
    }


@pytest.mark.parametrize(
    ("subscription_day", "listing_day"),
    [
        (date(2026, 11, 21), None),  # a Saturday
        (date(2026, 11, 19), date(2026, 11, 23)),  # listing not after allotment
    ],
)
def test_ipo_reminder_days_rejects_impossible_dates(subscription_day, listing_day):
    with pytest.raises(ValueError):
        ipo_reminder_days(subscription_day, listing_day=listing_day)


# ---------------------------------------------------------------- holidays (chinesecalendar)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "New Year's Day"),
        (date(2026, 1, 2), None),  # second day off
        (date(2026, 2, 15), "Spring Festival"),  # first day off of the 2026 schedule
        (date(2026, 2, 14), None),  # make-up workday carrying the holiday's name
        (date(2026, 2, 17), None),
        (date(2026, 4, 4), "Tomb-sweeping Day"),
        (date(2026, 5, 1), "Labour Day"),
        (date(2026, 6, 19), "Dragon Boat Festival"),
        (date(2026, 9, 25), "Mid-autumn Festival"),
        (date(2026, 10, 1), "National Day"),
        (date(2026, 10, 2), None),
        (date(2026, 10, 10), None),  # make-up workday
        (date(2026, 10, 11), None),  # ordinary Sunday
        (date(2026, 11, 20), None),
        # 2025: one break 10-01..10-08, Mid-autumn on 10-06 inside it
        (date(2025, 10, 1), "National Day"),
        (date(2025, 10, 6), "Mid-autumn Festival"),
        (date(2025, 10, 7), None),
    ],
)
def test_holiday_greeting_name(day, name):
    assert holiday_greeting_name(day) == name


def test_holiday_chinese_names():
    assert HOLIDAY_CHINESE_NAMES["National Day"] == "国庆节"
    assert HOLIDAY_CHINESE_NAMES["Spring Festival"] == "春节"
    assert HOLIDAY_CHINESE_NAMES["Mid-autumn Festival"] == "中秋"


# ---------------------------------------------------------------- the suppression rule table


def test_every_suppression_rule_has_its_sql_predicate_and_the_first_that_holds_wins():
    from notify_svc.planning.facts import SQL_PREDICATES
    from notify_svc.planning.rules import SUPPRESS_RULES, Facts, suppress_reason

    assert [r.reason for r in SUPPRESS_RULES] == [
        SuppressReason.NO_MARKETING_CONSENT,
        SuppressReason.NO_ADVISORY_AGREEMENT,
        SuppressReason.DAILY_CAP_REACHED,
    ]
    assert set(SQL_PREDICATES) == {r.reason for r in SUPPRESS_RULES}
    nothing = Facts(
        marketing_consent=False, opted_out=True, has_advisory_agreement=False, sent_today=9
    )
    assert suppress_reason(Category.MARKETING, nothing, daily_cap=5) == "no_marketing_consent"
    assert suppress_reason(Category.ADVISORY, nothing, daily_cap=5) == "no_advisory_agreement"
    assert suppress_reason(Category.SERVICE, nothing, daily_cap=5) is None
    assert suppress_reason(Category.STAFF_ALERT, nothing, daily_cap=5) is None
    consented = Facts(
        marketing_consent=True, opted_out=False, has_advisory_agreement=True, sent_today=5
    )
    assert suppress_reason(Category.MARKETING, consented, daily_cap=5) == "daily_cap_reached"
    assert suppress_reason(Category.MARKETING, consented, daily_cap=6) is None
