"""Advisory agreements (投资顾问协议): cooling-off and when advice may flow (domain.md §3.1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..calendars import working_day_after

COOLING_OFF_WORKING_DAYS = 5


@dataclass(frozen=True)
class AgreementDates:
    cooling_off_ends_on: date
    advice_from: date


def agreement_dates(
    signed_on: date, *, working_days: int = COOLING_OFF_WORKING_DAYS
) -> AgreementDates:
    """The cooling-off runs for ``working_days`` Chinese working days after signing (the
    signing day not counted); advice starts on the day after it ends."""
    ends = working_day_after(signed_on, working_days)
    return AgreementDates(
        cooling_off_ends_on=ends, advice_from=date.fromordinal(ends.toordinal() + 1)
    )


def in_cooling_off(cooling_off_ends_on: date, today: date) -> bool:
    return today <= cooling_off_ends_on


def refund_on_rescission(*, fee_paid: Decimal, cooling_off_ends_on: date, today: date) -> Decimal:
    """A rescission within the cooling-off refunds everything paid; later, nothing."""
    return fee_paid if in_cooling_off(cooling_off_ends_on, today) else Decimal("0.00")


def advice_allowed(
    *, advice_from: date, valid_until: date | None, rescinded_on: date | None, today: date
) -> bool:
    """Advice flows only under an active agreement: cooling-off over, not expired, not rescinded."""
    if rescinded_on is not None and rescinded_on <= today:
        return False
    if valid_until is not None and valid_until < today:
        return False
    return advice_from <= today


def agreement_number(branch_id: str, signed_on: date, serial: int) -> str:
    """``TG-B001-2026-000042``: branch, year and a serial per branch and year (协议编号)."""
    return f"TG-{branch_id}-{signed_on.year}-{serial:06d}"
