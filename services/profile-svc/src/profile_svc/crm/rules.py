"""Pure CRM-log rules (CRM 记录), domain.md §1.3."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["CLOCK_SKEW", "INTERACTION_CHANNELS", "is_in_the_future"]

INTERACTION_CHANNELS: tuple[str, ...] = ("call", "visit", "sms", "im", "email", "seminar")
"""Channels of a logged service contact (CRM 记录), domain.md §1.3."""

# A contact logged a little ahead of the server clock is clock skew, not a future contact.
CLOCK_SKEW = timedelta(minutes=5)


def is_in_the_future(occurred_at: datetime, *, now: datetime) -> bool:
    """A contact cannot have happened after now (beyond the clock skew allowed)."""
    return occurred_at > now + CLOCK_SKEW
