"""Pure delivery rules: send-result classes, retries with backoff, report timeout, batching.

Nothing here does I/O. The SMS rules follow the provider's contract (spec sms-gateway.md,
短信网关); the provider's own error-code table lives with the SMS channel (``delivery.sms``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..rules import State, canonical_params, require_aware


class SendOutcome(StrEnum):
    ACCEPTED = "accepted"
    RETRY = "retry"  # transient: retry with backoff and jitter
    DEFER = "defer"  # this number's provider cap reached: later, not a failed attempt
    PERMANENT_FAILURE = "permanent_failure"  # this message can never succeed
    SUPPRESS = "suppress"  # the number refuses SMS
    OPEN_CIRCUIT = "open_circuit"  # account/config problem: stop the gateway, alert ops
    UNKNOWN = "unknown"  # may have gone out: query before any resend


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
    require_aware(accepted_at, "accepted_at")
    require_aware(now, "now")
    return now - accepted_at >= REPORT_TIMEOUT


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
        key = canonical_params(params)
        if key not in groups:
            groups[key] = (dict(params), {})
        groups[key][1][phone] = None
    batches: list[tuple[dict[str, Any], list[str]]] = []
    for params, phones in groups.values():
        numbers = list(phones)
        for start in range(0, len(numbers), limit):
            batches.append((dict(params), numbers[start : start + limit]))
    return batches


# --- length in segments (条) ----------------------------------------------------------------

SINGLE_SMS_CHARS = 70
CONCATENATED_PART_CHARS = 67  # each part of a long SMS gives 3 characters to the join header


def sms_chars(text: str, sign_name: str) -> int:
    """Characters the provider counts: the signature ``【sign】`` plus the text.

    Every character counts one, Chinese or ASCII, letter, digit, punctuation or space (the
    mainland providers bill UCS-2 messages, so no character is cheaper than another).
    """
    return len(f"【{sign_name}】") + len(text)


def sms_segments(text: str, sign_name: str) -> int:
    """Billed SMS (条) for one number: up to 70 characters is one; a longer message is split
    into parts of 67 characters (短信长度不超过70字按一条计费, 超过按67字/条拆分)."""
    chars = sms_chars(text, sign_name)
    if chars <= SINGLE_SMS_CHARS:
        return 1
    return math.ceil(chars / CONCATENATED_PART_CHARS)


def sms_cost(segments: int, *, numbers: int, price_per_segment: Decimal) -> Decimal:
    """What one send costs: every number is billed every segment."""
    if segments < 0 or numbers < 0:
        raise ValueError("segments and numbers are counts")
    return price_per_segment * segments * numbers


# --- circuit breaker ---------------------------------------------------------------------


class CircuitState(StrEnum):
    CLOSED = "closed"  # sending
    OPEN = "open"  # stopped until ``retry_at``
    HALF_OPEN = "half_open"  # the cool-down is over: one message probes the gateway


@dataclass(frozen=True)
class Breaker:
    """The circuit breaker of one gateway as a state machine; ``delivery.circuit`` keeps it in
    the database so every replica sees the same one.

    A configuration or account refusal (``SendOutcome.OPEN_CIRCUIT``) opens it for a
    cool-down; then one message probes: success closes it, a refusal opens it again. An outage
    is alerted once, when a closed breaker opens.
    """

    state: CircuitState = CircuitState.CLOSED
    reason: str | None = None
    opened_at: datetime | None = None
    retry_at: datetime | None = None

    def before_send(self, now: datetime) -> Breaker:
        """The breaker a sender meets at ``now``: an open one whose cool-down is over is
        half-open."""
        if self.state == CircuitState.OPEN and (self.retry_at is None or now >= self.retry_at):
            return Breaker(CircuitState.HALF_OPEN, self.reason, self.opened_at, self.retry_at)
        return self

    @property
    def stops_sending(self) -> bool:
        return self.state == CircuitState.OPEN

    @property
    def probing(self) -> bool:
        """Half-open: send one message only."""
        return self.state == CircuitState.HALF_OPEN

    def refused(self, code: str, now: datetime, cooldown: timedelta) -> tuple[Breaker, bool]:
        """Open after a refusal; True when this starts an outage (operations are alerted)."""
        new_outage = self.state == CircuitState.CLOSED
        opened_at = now if new_outage else self.opened_at
        return Breaker(CircuitState.OPEN, code[:120], opened_at, now + cooldown), new_outage

    def succeeded(self) -> Breaker:
        """A probe went through: closed again (when the last outage began is kept)."""
        return Breaker(CircuitState.CLOSED, None, self.opened_at, None)
