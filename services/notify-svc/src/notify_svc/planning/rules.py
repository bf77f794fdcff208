"""Pure planning rules: who may receive what (consent, agreement, daily cap), the channel a
customer is reached on, and the dedupe key that makes a trigger plan one message only.

Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from ..rules import Category, Channel

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
