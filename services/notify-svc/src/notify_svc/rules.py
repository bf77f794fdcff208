"""Pure notification rules: delivery states, send-result classes, quiet hours, consent, calendars.

Nothing here does I/O. The SMS rules follow the provider's contract (spec
sms-gateway.md, 短信网关); the categories and reminders follow domain §4 (短信/实时通讯).
"""

from __future__ import annotations

import functools
import hashlib
import json
import string
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import chinese_calendar

if TYPE_CHECKING:
    from exchange_calendars import ExchangeCalendar

BEIJING = ZoneInfo("Asia/Shanghai")


class Category(StrEnum):
    """What a message is, which decides window, consent and cap."""

    SERVICE = "service"  # trade, risk, account notices (服务通知)
    MARKETING = "marketing"  # care, promotions, holiday greetings (营销/关怀)
    ADVISORY = "advisory"  # investment-advisory content, e.g. paid SMS1 (投资咨询)
    STAFF_ALERT = "staff_alert"  # to branch staff, e.g. a transfer-away request


class Channel(StrEnum):
    SMS = "sms"
    IM = "im"
    EMAIL = "email"


# --- delivery state machine -------------------------------------------------------------------


class State(StrEnum):
    """Life of one message to one recipient.

    pending     created from a request, rules not yet applied
    suppressed  not sent on purpose: no consent, opted out, blacklisted, capped (final)
    scheduled   waiting: quiet hours, retry backoff, provider throttle, open circuit
    submitting  written before the HTTP call, so a crash mid-call leaves a trace
    accepted    provider answered OK; waiting for the delivery report
    delivered   report says the handset got it (final)
    undelivered report says it did not (final)
    failed      provider refused it for good, or retries ran out (final)
    unknown     timed out after sending: it may have gone out; query, never resend blindly
    reconciled  an unknown that a status query showed the provider never accepted, so a
                resend cannot duplicate it; it then goes back to scheduled (or failed)
    expired     accepted or unknown, but no report within REPORT_TIMEOUT (final)
    """

    PENDING = "pending"
    SUPPRESSED = "suppressed"
    SCHEDULED = "scheduled"
    SUBMITTING = "submitting"
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    RECONCILED = "reconciled"
    EXPIRED = "expired"


FINAL_STATES: frozenset[State] = frozenset(
    {State.DELIVERED, State.UNDELIVERED, State.FAILED, State.SUPPRESSED, State.EXPIRED}
)
"""States nothing can leave. A delivery report is the provider's final word (contract:
"a report is final"), so the first report wins and a later, older or repeated one is
ignored. Reconciled is not final: it exists to permit a safe resend. Expired is final because
carriers stop producing receipts after 72 hours."""

_REPORTED = {State.DELIVERED, State.UNDELIVERED}

TRANSITIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.SUPPRESSED, State.SCHEDULED, State.SUBMITTING, State.FAILED}),
    # A report while scheduled means an earlier attempt did go out: it settles the message
    # and cancels the resend rather than sending a second SMS.
    State.SCHEDULED: frozenset({State.SUBMITTING, State.SUPPRESSED, State.FAILED} | _REPORTED),
    # The report can overtake the HTTP response; a crash while submitting becomes unknown.
    State.SUBMITTING: frozenset(
        {
            State.ACCEPTED,
            State.SCHEDULED,
            State.FAILED,
            State.SUPPRESSED,
            State.UNKNOWN,
        }
        | _REPORTED
    ),
    State.ACCEPTED: frozenset({State.EXPIRED} | _REPORTED),
    State.UNKNOWN: frozenset({State.RECONCILED, State.EXPIRED} | _REPORTED),
    State.RECONCILED: frozenset({State.SCHEDULED, State.SUBMITTING, State.FAILED} | _REPORTED),
    State.DELIVERED: frozenset(),
    State.UNDELIVERED: frozenset(),
    State.FAILED: frozenset(),
    State.SUPPRESSED: frozenset(),
    State.EXPIRED: frozenset(),
}


def can_transition(src: State, dst: State) -> bool:
    """True when the table allows src -> dst. Staying put is not a transition."""
    return dst in TRANSITIONS[src]


def apply_report(current: State, report_success: bool) -> State:
    """State after a delivery report (回执) arrives; safe for repeated and out-of-order reports.

    A final state never changes, so delivered stays delivered when an older undelivered
    report turns up, and the other way round. A report for a message that was never
    submitted (pending) is ignored.
    """
    target = State.DELIVERED if report_success else State.UNDELIVERED
    return target if can_transition(current, target) else current


# --- send results --------------------------------------------------------------------------


class SendOutcome(StrEnum):
    ACCEPTED = "accepted"
    RETRY = "retry"  # transient: retry with backoff and jitter
    DEFER = "defer"  # this number's provider cap reached: later, not a failed attempt
    PERMANENT_FAILURE = "permanent_failure"  # this message can never succeed
    SUPPRESS = "suppress"  # the number refuses SMS
    OPEN_CIRCUIT = "open_circuit"  # account/config problem: stop the gateway, alert ops
    UNKNOWN = "unknown"  # may have gone out: query before any resend


SEND_CODE_OUTCOMES: dict[str, SendOutcome] = {
    "OK": SendOutcome.ACCEPTED,
    "isv.BUSINESS_LIMIT_CONTROL": SendOutcome.DEFER,
    "isv.MOBILE_NUMBER_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.TEMPLATE_MISSING_PARAMETERS": SendOutcome.PERMANENT_FAILURE,
    "isv.PARAM_LENGTH_LIMIT": SendOutcome.PERMANENT_FAILURE,
    "isv.SMS_CONTENT_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.BLACK_KEY_CONTROL_LIMIT": SendOutcome.SUPPRESS,
    "isv.PHONE_NUMBER_IN_BLACKLIST": SendOutcome.SUPPRESS,
    "isv.SMS_SIGNATURE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SMS_TEMPLATE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.AMOUNT_NOT_ENOUGH": SendOutcome.OPEN_CIRCUIT,
    "isv.OUT_OF_SERVICE": SendOutcome.OPEN_CIRCUIT,
    "isv.DAY_LIMIT_CONTROL": SendOutcome.OPEN_CIRCUIT,
    "isp.SYSTEM_ERROR": SendOutcome.RETRY,
}

# Our key or the gateway URL is wrong: every message would fail the same way.
_CONFIG_STATUSES = frozenset({401, 403, 404})


def classify_send_result(
    *, http_status: int | None, code: str | None, timed_out_after_send: bool = False
) -> SendOutcome:
    """Class of one ``POST /sms/send`` result, exactly as the contract lists them.

    Beyond the contract's list (choices):
    - no response and no timeout after sending (connection refused, DNS) -> retry: nothing
      reached the provider;
    - 2xx without a readable code -> unknown: the provider may have accepted it;
    - 401/403/404 and 3xx -> open circuit: key or URL misconfigured, every message would fail;
    - 408 -> retry; any other 4xx -> permanent failure of this message;
    - an unlisted ``isp.*`` code (provider side) -> retry, bounded by max attempts; any other
      unlisted code -> permanent failure. Both were refused, so no duplicate is possible,
      and the code should be logged and added to the table.
    """
    if timed_out_after_send:
        return SendOutcome.UNKNOWN
    if http_status is None:
        return SendOutcome.RETRY
    if http_status == 429 or http_status >= 500 or http_status == 408:
        return SendOutcome.RETRY
    if http_status in _CONFIG_STATUSES or 300 <= http_status < 400:
        return SendOutcome.OPEN_CIRCUIT
    if http_status >= 400 or http_status < 200:
        return SendOutcome.PERMANENT_FAILURE
    if not code:
        return SendOutcome.UNKNOWN
    if code in SEND_CODE_OUTCOMES:
        return SEND_CODE_OUTCOMES[code]
    if code.startswith("isp."):
        return SendOutcome.RETRY
    return SendOutcome.PERMANENT_FAILURE


def counts_as_attempt(outcome: SendOutcome) -> bool:
    """Whether an outcome uses up one of the message's retry attempts.

    Defer does not (contract); an open circuit does not either: the fault is the account's,
    not the message's.
    """
    return outcome not in {SendOutcome.DEFER, SendOutcome.OPEN_CIRCUIT}


# --- retries and report timeout ----------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    base_s: float = 1.0
    factor: float = 2.0
    max_s: float = 300.0
    max_attempts: int = 8


def retry_delay(attempt: int, backoff: Backoff, rand: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), full jitter.

    ``rand`` is a uniform draw in [0, 1), passed in so the rule stays deterministic.
    """
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    if not 0.0 <= rand < 1.0:
        raise ValueError("rand must be in [0, 1)")
    try:
        ceiling = backoff.base_s * backoff.factor ** (attempt - 1)
    except OverflowError:
        ceiling = backoff.max_s
    return rand * min(backoff.max_s, ceiling)


def state_after_send(outcome: SendOutcome, *, attempts_used: int, backoff: Backoff) -> State:
    """Where a submitting message goes after the send result.

    ``attempts_used`` counts attempts that ``counts_as_attempt``, including this one; a retry
    with none left becomes failed.
    """
    match outcome:
        case SendOutcome.ACCEPTED:
            return State.ACCEPTED
        case SendOutcome.UNKNOWN:
            return State.UNKNOWN
        case SendOutcome.SUPPRESS:
            return State.SUPPRESSED
        case SendOutcome.PERMANENT_FAILURE:
            return State.FAILED
        case SendOutcome.RETRY if attempts_used >= backoff.max_attempts:
            return State.FAILED
        case _:
            return State.SCHEDULED


REPORT_TIMEOUT = timedelta(hours=72)


def is_expired(accepted_at: datetime, now: datetime) -> bool:
    """No report REPORT_TIMEOUT after acceptance: carriers will not send one any more."""
    _require_aware(accepted_at, "accepted_at")
    _require_aware(now, "now")
    return now - accepted_at >= REPORT_TIMEOUT


# --- quiet hours ---------------------------------------------------------------------------

MARKETING_WINDOW = (time(8, 0), time(22, 0))


def needs_window(category: Category) -> bool:
    """Marketing and advisory wait for 08:00-22:00 Beijing time.

    The contract exempts only service notices (trade, risk, account). Advisory content is
    not urgent and nobody wants stock picks at midnight, so it waits too (choice). Staff
    alerts are internal and often urgent (a customer asking to transfer away): no window.
    """
    return category in {Category.MARKETING, Category.ADVISORY}


def marketing_send_at(now: datetime) -> datetime:
    """Earliest send time inside the window [08:00, 22:00) Beijing time.

    Inside the window: ``now`` unchanged. Otherwise the next 08:00 in Beijing (23:00 -> next
    day 08:00, 07:59 -> same day 08:00, 22:00 exactly is outside). Late messages wait; they
    are not dropped.
    """
    _require_aware(now, "now")
    local = now.astimezone(BEIJING)
    opens, closes = MARKETING_WINDOW
    if opens <= local.time() < closes:
        return now
    day = local.date() if local.time() < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=BEIJING)


def earliest_send_at(category: Category, now: datetime) -> datetime:
    return marketing_send_at(now) if needs_window(category) else now


def beijing_date(at: datetime) -> date:
    """The Beijing calendar day of an instant: daily caps count per Beijing day."""
    _require_aware(at, "at")
    return at.astimezone(BEIJING).date()


# --- opt-out and mandatory texts ----------------------------------------------------------

OPT_OUT_KEYWORDS = {"T", "TD", "退订"}
OPT_OUT_TEXT = "回T退订"
RISK_DISCLOSURE = "投资有风险，入市需谨慎"

_REPLY_EDGE_PUNCTUATION = "。.!！,，;；~～"
_SENTENCE_ENDS = ("。", "！", "？", "!", "?", ".", "，", ",", "；", ";")


def is_opt_out_reply(content: str) -> bool:
    """A customer reply of T, TD or 退订 (回T退订) withdraws marketing consent.

    Full-width letters are folded (Ｔ -> T), latin letters compared case-insensitively, and
    surrounding spaces and punctuation ignored ("td。"). Anything longer is not an opt-out.
    """
    normalised = unicodedata.normalize("NFKC", content).strip().strip(_REPLY_EDGE_PUNCTUATION)
    return normalised.strip().upper() in OPT_OUT_KEYWORDS


def _append_once(text: str, suffix: str) -> str:
    if suffix in text:
        return text
    body = text.rstrip()
    if not body:
        return suffix
    separator = "" if body.endswith(_SENTENCE_ENDS) else "，"
    return f"{body}{separator}{suffix}"


def with_opt_out(text: str) -> str:
    """Marketing text with the mandatory opt-out ``回T退订`` appended once."""
    return _append_once(text, OPT_OUT_TEXT)


def with_risk_disclosure(text: str) -> str:
    """Advisory text with the risk disclosure (风险提示) appended once."""
    return _append_once(text, RISK_DISCLOSURE)


# --- who may receive what ------------------------------------------------------------------

DEFAULT_DAILY_CAP = 5
"""Marketing plus advisory messages per customer per Beijing day (default). The gateway has
its own per-number day cap (isv.BUSINESS_LIMIT_CONTROL) that counts every category; staying
well below it leaves room for the risk and trade notices that must get through."""


class SuppressReason(StrEnum):
    NO_MARKETING_CONSENT = "no_marketing_consent"
    NO_ADVISORY_AGREEMENT = "no_advisory_agreement"
    DAILY_CAP_REACHED = "daily_cap_reached"


def may_send(
    *,
    category: Category,
    marketing_consent: bool,
    has_advisory_agreement: bool,
    sent_today: int,
    daily_cap: int,
) -> tuple[bool, str | None]:
    """(allowed, reason) for one message to one customer.

    - marketing needs marketing consent (营销同意; a T/TD/退订 reply withdraws it);
    - advisory needs a valid advisory agreement (投资顾问协议), not marketing consent: it is
      content the customer signed up for;
    - the daily cap counts marketing and advisory only (``sent_today`` is the caller's count
      of those two for the Beijing day); service notices and staff alerts are never capped
      or consent-checked, because a risk alert must get through.
    """
    if category == Category.MARKETING and not marketing_consent:
        return False, SuppressReason.NO_MARKETING_CONSENT
    if category == Category.ADVISORY and not has_advisory_agreement:
        return False, SuppressReason.NO_ADVISORY_AGREEMENT
    if category in {Category.MARKETING, Category.ADVISORY} and sent_today >= daily_cap:
        return False, SuppressReason.DAILY_CAP_REACHED
    return True, None


# --- idempotency and batching ----------------------------------------------------------------

_KEY_SEPARATOR = "\x1f"


def dedupe_key(*, trigger_event_id: str, template_code: str, recipient: str) -> str:
    """Stable key so a redelivered trigger event never produces a second message."""
    parts = (trigger_event_id, template_code, recipient)
    if any(_KEY_SEPARATOR in part for part in parts):
        raise ValueError("key parts must not contain the unit separator")
    return hashlib.sha256(_KEY_SEPARATOR.join(parts).encode()).hexdigest()


def trigger_key(*, trigger_event_id: str, template_code: str) -> str:
    """One trigger and template as 32 hex digits: the leading part of ``ordered_dedupe_key``."""
    parts = (trigger_event_id, template_code)
    if any(_KEY_SEPARATOR in part for part in parts):
        raise ValueError("key parts must not contain the unit separator")
    return hashlib.sha256(_KEY_SEPARATOR.join(parts).encode()).hexdigest()[:32]


def ordered_dedupe_key(*, trigger_event_id: str, template_code: str, recipient: str) -> str:
    """The identity of ``dedupe_key`` (trigger + template + recipient), laid out to sort.

    ``trigger_key`` + "|" + recipient: the keys of one trigger sit together in recipient
    order, so a campaign's set-based insert appends to the unique index instead of
    scattering a million random keys over it (the index write dominates that insert).
    """
    if not recipient:
        raise ValueError("a recipient is required")
    return (
        f"{trigger_key(trigger_event_id=trigger_event_id, template_code=template_code)}|{recipient}"
    )


MAX_NUMBERS_PER_SEND = 1000


def batch_by_params(
    items: list[tuple[str, dict[str, Any]]], limit: int = MAX_NUMBERS_PER_SEND
) -> list[tuple[dict[str, Any], list[str]]]:
    """Group (phone, template params) into sends of at most ``limit`` numbers.

    One send may carry many numbers only when they share the same parameters (contract).
    Groups keep first-seen order. A number repeated with the same parameters is kept once:
    the provider does not deduplicate and would send, and bill, it twice.
    """
    if not 1 <= limit <= MAX_NUMBERS_PER_SEND:
        raise ValueError(f"limit must be between 1 and {MAX_NUMBERS_PER_SEND}")
    groups: dict[str, tuple[dict[str, Any], dict[str, None]]] = {}
    for phone, params in items:
        key = _params_key(params)
        if key not in groups:
            groups[key] = (dict(params), {})
        groups[key][1][phone] = None
    batches: list[tuple[dict[str, Any], list[str]]] = []
    for params, phones in groups.values():
        numbers = list(phones)
        for start in range(0, len(numbers), limit):
            batches.append((dict(params), numbers[start : start + limit]))
    return batches


def _params_key(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --- trading days (交易日), Shanghai Stock Exchange calendar ------------------------------


class CalendarNotCovered(ValueError):
    """A day beyond the trading calendar's known closures (the exchange announces each
    year's in December; exchange_calendars ships them some weeks later)."""


def _xshg_class() -> Any:
    # Imported lazily: exchange_calendars pulls in pandas, which most callers never need.
    from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar

    return XSHGExchangeCalendar


@functools.cache
def library_closures() -> frozenset[date]:
    """The weekdays exchange_calendars' own XSHG data has the exchange closed."""
    return frozenset(ts.date() for ts in _xshg_class().precomputed_holidays())


@functools.cache
def _library_last_year() -> int:
    return max(library_closures()).year


def check_announced_closures(days: Iterable[date]) -> tuple[date, ...]:
    """The exchange's announced closures (休市安排) for years exchange_calendars does not
    cover yet, as configured: sorted weekdays. Weekend days are dropped (the exchange never
    trades on a weekend, make-up workdays (调休) included). Refuses a weekday closure in a
    year the library covers that the library does not have (that would rewrite known
    history), and a gap: every year up to the last one given needs its closures, or it
    would pass for a year without holidays."""
    known = library_closures()
    last_known_year = _library_last_year()
    weekdays = sorted({d for d in days if d.weekday() < 5})
    for d in weekdays:
        if d.year <= last_known_year and d not in known:
            raise ValueError(
                f"{d} is not a closure in exchange_calendars' XSHG data, which covers "
                f"{last_known_year} and earlier; only later years can be added"
            )
    years = {d.year for d in weekdays if d.year > last_known_year}
    if years:
        missing = sorted(set(range(last_known_year + 1, max(years) + 1)) - years)
        if missing:
            raise ValueError(f"no closures given for {', '.join(map(str, missing))}")
    return tuple(d for d in weekdays if d.year > last_known_year)


@functools.cache
def trading_calendar(announced: tuple[date, ...] = ()) -> ExchangeCalendar:
    """The Shanghai Stock Exchange calendar (XSHG): exchange_calendars' data plus the
    announced closures of later years (``check_announced_closures``); it ends on the last
    day of the last year whose closures are known."""
    import pandas as pd

    cls = _xshg_class()
    if announced:
        holidays = cls.precomputed_holidays().union(pd.DatetimeIndex(sorted(announced)))
        cls = type(
            "XSHGWithAnnouncedClosures",
            (cls,),
            {"precomputed_holidays": classmethod(lambda _cls: holidays)},
        )
    with warnings.catch_warnings():
        # Building the calendar trips pandas deprecation warnings inside exchange_calendars.
        warnings.simplefilter("ignore", DeprecationWarning)
        calendar: ExchangeCalendar = cls(end=cls.bound_max())
    return calendar


def trading_calendar_ends(announced: tuple[date, ...] = ()) -> date:
    """The last day whose trading status is known."""
    return date(max([_library_last_year(), *(d.year for d in announced)]), 12, 31)


def _not_covered(year: int, announced: tuple[date, ...]) -> CalendarNotCovered:
    return CalendarNotCovered(
        f"the trading calendar ends on {trading_calendar_ends(announced)}: the exchange's "
        f"closures for {year} are not loaded yet (XSHG_ANNOUNCED_CLOSURES, or a newer "
        "exchange_calendars)"
    )


def _covered(day: date, announced: tuple[date, ...]) -> ExchangeCalendar:
    calendar = trading_calendar(announced)
    if day > trading_calendar_ends(announced):
        raise _not_covered(day.year, announced)
    return calendar


def is_trading_day(day: date, announced: tuple[date, ...] = ()) -> bool:
    """True when the Shanghai Stock Exchange trades that day.

    Raises ``CalendarNotCovered`` (a ValueError) beyond the calendar's known closures.
    """
    return bool(_covered(day, announced).is_session(day))


def trading_day_offset(day: date, n: int, announced: tuple[date, ...] = ()) -> date:
    """T+n in trading days. T is ``day``, or the next trading day when ``day`` is not one."""
    if n < 0:
        raise ValueError("n must be >= 0")
    calendar = _covered(day, announced)
    if day < calendar.first_session.date():
        raise ValueError(f"the trading calendar starts on {calendar.first_session.date()}")
    try:
        t = calendar.date_to_session(day, direction="next")
        session: date = calendar.session_offset(t, n).date()
    except ValueError:  # exchange_calendars: T (or T+n) is past the calendar's last session
        raise _not_covered(day.year + 1, announced) from None
    return session


def trading_day_before(day: date, n: int, announced: tuple[date, ...] = ()) -> date:
    """T-n in trading days. T is ``day``, or the previous trading day when ``day`` is not one."""
    if n < 0:
        raise ValueError("n must be >= 0")
    calendar = _covered(day, announced)
    t = calendar.date_to_session(day, direction="previous")
    session: date = calendar.session_offset(t, -n).date()
    return session


def warrant_reminder_days(
    last_exercise_day: date, days_before: int, announced: tuple[date, ...] = ()
) -> dict[str, date]:
    """Days for the exercise reminders (权证行权提示) so a warrant does not expire worthless.

    ``days_before`` trading days ahead of the last exercise day (行权截止日), and on the day
    itself; the last exercise day must be a trading day.
    """
    if not is_trading_day(last_exercise_day, announced):
        raise ValueError("the last exercise day is a trading day")
    days = {"last_day": last_exercise_day}
    if days_before > 0:
        days["ahead"] = trading_day_before(last_exercise_day, days_before, announced)
    return days


def ipo_reminder_days(
    subscription_day: date, listing_day: date | None = None, announced: tuple[date, ...] = ()
) -> dict[str, date]:
    """Days for the IPO reminders (新股申购/中签/上市提醒).

    subscription T (申购日); allotment T+2, the day the allotment result (中签结果) is published
    and payment is due (缴款) -- an unpaid allotment is forfeited; listing (上市日) only when
    given, because the exchange announces it separately.
    """
    if not is_trading_day(subscription_day, announced):
        raise ValueError("an IPO subscription day is a trading day")
    days = {
        "subscription": subscription_day,
        "allotment": trading_day_offset(subscription_day, 2, announced),
    }
    if listing_day is not None:
        if listing_day <= days["allotment"]:
            raise ValueError("listing comes after the allotment day")
        days["listing"] = listing_day
    return days


# --- public holidays (法定节假日) for holiday greetings ------------------------------------


def _holiday_name(day: date) -> str | None:
    is_holiday, name = chinese_calendar.get_holiday_detail(day)
    # Make-up workdays (调休上班) carry the holiday's name too, with is_holiday False.
    return name if is_holiday else None


def holiday_greeting_name(day: date) -> str | None:
    """Name of the public holiday whose days off start on ``day``, else None.

    The first day off of the official schedule (放假第一天), e.g. 2026-10-01 "National Day",
    2026-09-25 "Mid-autumn Festival", 2026-02-15 "Spring Festival" (the schedule starts
    before 除夕). When two holidays share one break (2025: National Day 10-01..08 with
    Mid-autumn on 10-06) each gets its greeting on its own first day. Names are
    chinese_calendar's English names; HOLIDAY_CHINESE_NAMES gives the Chinese ones. Raises
    NotImplementedError for years the installed chinesecalendar does not know.
    """
    name = _holiday_name(day)
    if name is None:
        return None
    previous = day - timedelta(days=1)
    while True:
        try:
            previous_name = _holiday_name(previous)
            is_day_off = _is_day_off(previous)
        except NotImplementedError:
            return name
        if not is_day_off:
            return name
        if previous_name == name:
            return None
        previous -= timedelta(days=1)


def _is_day_off(day: date) -> bool:
    return bool(chinese_calendar.is_holiday(day))


HOLIDAY_CHINESE_NAMES: dict[str, str] = {
    holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday
}


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


# --- templates and recipients --------------------------------------------------------------


def template_fields(text: str) -> set[str]:
    """The ``{placeholder}`` names of a template text; ValueError when the braces are malformed."""
    names: set[str] = set()
    for _literal, field_name, format_spec, conversion in string.Formatter().parse(text):
        if field_name is None:
            continue
        if not field_name.isidentifier() or format_spec or conversion:
            raise ValueError(f"placeholders are plain names, not {{{field_name}}}")
        names.add(field_name)
    return names


def missing_params(text: str, params: Mapping[str, Any]) -> set[str]:
    return template_fields(text) - set(params)


def render(text: str, params: Mapping[str, Any]) -> str:
    """The template text with its placeholders filled; KeyError names a missing parameter."""
    return text.format_map({k: params[k] for k in template_fields(text)})


def content_for(category: Category, text: str) -> str:
    """The mandatory additions: 回T退订 on marketing, the risk disclosure on advisory content."""
    if category == Category.MARKETING:
        return with_opt_out(text)
    if category == Category.ADVISORY:
        return with_risk_disclosure(text)
    return text


def canonical_params(params: Mapping[str, Any]) -> str:
    """Template parameters as canonical JSON: equal parameters give equal strings (batching)."""
    return _params_key(params)


_CUSTOMER_CHANNELS = (Channel.SMS, Channel.EMAIL)


def choose_channel(preferences: list[str], *, has_phone: bool, has_email: bool) -> Channel | None:
    """The first preferred channel a customer can be reached on, else SMS, else e-mail.

    The enterprise IM webhook reaches branch staff, not customers, and phone calls are made by
    people: a customer preferring "im" or "phone" gets the next channel on the list.
    """
    reachable = {Channel.SMS: has_phone, Channel.EMAIL: has_email}
    for preference in preferences:
        if preference in _CUSTOMER_CHANNELS and reachable[Channel(preference)]:
            return Channel(preference)
    for channel in _CUSTOMER_CHANNELS:
        if reachable[channel]:
            return channel
    return None


def birthday_month_days(day: date) -> list[str]:
    """MM-DD birthdays greeted on ``day``: 29 February birthdays on 28 February in other years."""
    days = [f"{day.month:02d}-{day.day:02d}"]
    if (day.month, day.day) == (2, 28) and (day + timedelta(days=1)).month == 3:
        days.append("02-29")
    return days


def at_beijing(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=BEIJING)


def mask_address(address: str) -> str:
    """A phone as 138****1234, an e-mail as z***@example.com; IM routes are not personal."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if address.isdigit() and len(address) >= 7:
        return f"{address[:3]}****{address[-4:]}"
    return address
