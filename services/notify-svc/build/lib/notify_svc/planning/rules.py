"""Pure planning rules: who may receive what (consent, agreement, daily cap), the channel a
customer is reached on, and the dedupe key that makes a trigger plan one message only.

Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..rules import Category, Channel, State

DEFAULT_DAILY_CAP = 5
"""Marketing plus advisory messages per customer per Beijing day (default). The gateway has
its own per-number day cap (isv.BUSINESS_LIMIT_CONTROL) that counts every category; staying
well below it leaves room for the risk and trade notices that must get through."""


class SuppressReason(StrEnum):
    """Why a message is not sent. The values are the ``reason`` stored on the message."""

    NO_ADDRESS = "no_address"  # neither a phone number nor an e-mail address to reach
    NO_MARKETING_CONSENT = "no_marketing_consent"
    OPTED_OUT = "opted_out"  # the number replied T / TD / 退订 while the message waited
    NO_ADVISORY_AGREEMENT = "no_advisory_agreement"
    DAILY_CAP_REACHED = "daily_cap_reached"


CAPPED_CATEGORIES = frozenset({Category.MARKETING, Category.ADVISORY})
"""The categories the daily cap counts (and caps)."""

UNCOUNTED_STATES = frozenset({State.SUPPRESSED, State.FAILED, State.PENDING})
"""States that do not count towards a customer's daily cap: nothing went or will go out."""


@dataclass(frozen=True)
class Facts:
    """What the suppression rules read about one customer for one message's Beijing day.

    The per-message path and the campaign's set-based insert compute these with the same
    SQL (``planning.facts``), so both decide from the same facts.
    """

    marketing_consent: bool
    opted_out: bool  # the customer's phone number replied T / TD / 退订
    has_advisory_agreement: bool  # valid on the day the message goes
    sent_today: int  # capped-category messages planned for that day, not suppressed/failed


@dataclass(frozen=True)
class SuppressRule:
    """One reason a message is not sent: the categories it applies to and when it holds.

    ``planning.facts.SQL_PREDICATES`` holds the same predicate as a SQL expression, under the
    same reason, for the campaign's set-based insert; the parity test runs both.
    """

    reason: SuppressReason
    categories: frozenset[Category]
    holds: Callable[[Facts, int], bool]  # (facts, daily cap) -> suppress


SUPPRESS_RULES: tuple[SuppressRule, ...] = (
    # Marketing needs marketing consent (营销同意); a T/TD/退订 reply withdraws it for the number.
    SuppressRule(
        SuppressReason.NO_MARKETING_CONSENT,
        frozenset({Category.MARKETING}),
        lambda f, _cap: not f.marketing_consent or f.opted_out,
    ),
    # Advisory content needs a valid advisory agreement (投资顾问协议), not marketing consent:
    # it is content the customer signed up for.
    SuppressRule(
        SuppressReason.NO_ADVISORY_AGREEMENT,
        frozenset({Category.ADVISORY}),
        lambda f, _cap: not f.has_advisory_agreement,
    ),
    # The daily cap counts marketing and advisory only; service notices and staff alerts are
    # never capped or consent-checked, because a risk alert must get through.
    SuppressRule(
        SuppressReason.DAILY_CAP_REACHED,
        CAPPED_CATEGORIES,
        lambda f, cap: f.sent_today >= cap,
    ),
)
"""The suppression rules in the order they are asked: the first that holds is the reason."""


def rules_for(category: Category) -> tuple[SuppressRule, ...]:
    return tuple(rule for rule in SUPPRESS_RULES if category in rule.categories)


def suppress_reason(category: Category, facts: Facts, *, daily_cap: int) -> SuppressReason | None:
    """Why a message of ``category`` to this customer is not sent, or None: it may go."""
    for rule in rules_for(category):
        if rule.holds(facts, daily_cap):
            return rule.reason
    return None


def may_send(
    *,
    category: Category,
    marketing_consent: bool,
    has_advisory_agreement: bool,
    sent_today: int,
    daily_cap: int,
    opted_out: bool = False,
) -> tuple[bool, str | None]:
    """(allowed, reason) for one message to one customer (``SUPPRESS_RULES``)."""
    facts = Facts(
        marketing_consent=marketing_consent,
        opted_out=opted_out,
        has_advisory_agreement=has_advisory_agreement,
        sent_today=sent_today,
    )
    reason = suppress_reason(category, facts, daily_cap=daily_cap)
    return reason is None, reason


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


_CUSTOMER_CHANNELS = (Channel.SMS, Channel.EMAIL)


def choose_channel(
    preferences: Sequence[str], *, has_phone: bool, has_email: bool
) -> Channel | None:
    """The first preferred channel a customer can be reached on, else SMS, else e-mail.

    Stored as the recipient's ``preferred_channel`` whenever their contact facts change; both
    the per-message path and the campaign's insert (``planning.facts.sql_chooses_email``) start
    from that column.

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


# Templates whose command carries a business identity in a parameter: the message's trigger
# is that identity, so the same fact sent again under a new event id alerts once.
BUSINESS_KEYS: dict[str, str] = {"COMPLAINT_DATA_LEAK_ALERT": "complaint_id"}


def business_trigger(template_code: str, params: Mapping[str, str]) -> str | None:
    """``complaint:<id>`` for a data-leak alert; None where the template has no such key."""
    param = BUSINESS_KEYS.get(template_code)
    value = params.get(param) if param else None
    return f"{param.removesuffix('_id')}:{value}" if param and value else None
