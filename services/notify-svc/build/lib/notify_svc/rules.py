"""The words every part of notify-svc shares: categories, channels, the message's states,
quiet hours and the Beijing day.

Nothing here does I/O. Each domain keeps its own rules next to its use cases
(``planning.rules``, ``delivery.rules``, ...); these are the ones all of them read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

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
    require_aware(now, "now")
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
    require_aware(at, "at")
    return at.astimezone(BEIJING).date()


def at_beijing(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=BEIJING)


def canonical_params(params: Mapping[str, Any]) -> str:
    """Template parameters as canonical JSON: equal parameters give equal strings (batching)."""
    return json.dumps(params, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def mask_address(address: str) -> str:
    """A phone as 138****1234, an e-mail as z***@example.com; IM routes are not personal."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if address.isdigit() and len(address) >= 7:
        return f"{address[:3]}****{address[-4:]}"
    return address


def require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


WINDOW_CATEGORIES = tuple(c.value for c in Category if needs_window(c))
"""Categories whose messages are sent only inside the quiet-hours window."""
