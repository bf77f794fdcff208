"""The ledger's rules: what a redemption may ask for and what it costs, what an adjustment
and a reversal may take, and the business keys that make every entry happen once. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from ..rules import Tier, add_months, sms_subscription_cost, upgrade_cost, upgrade_until

SYSTEM = "system"
"""The actor of entries no person made (trades, reversals, bonuses)."""
TRADE_KEY = "trade:"
"""A trade entry's business key is this and the trade id: one entry per trade, ever."""

RedemptionKind = Literal["tier_upgrade", "sms_months"]
SmsProduct = Literal["SMS1", "SMS2", "SMS3"]
SMS_PRODUCTS: tuple[SmsProduct, ...] = ("SMS1", "SMS2", "SMS3")
SMS_MONTHS = range(1, 37)
"""Paid SMS is bought for 1 to 36 months."""


class InvalidRequest(ValueError):
    """A request the rules refuse; its message says why (the API answers 422 with it)."""


@dataclass(frozen=True, slots=True)
class RedemptionRequest:
    """What a customer asks to spend points on, checked (``redemption_request``)."""

    kind: RedemptionKind
    target_tier: Tier | None = None
    sms_product: SmsProduct | None = None
    months: int | None = None


@dataclass(frozen=True, slots=True)
class RedemptionTerms:
    """The price of a request for a customer holding ``current``, and how long it lasts."""

    cost: Decimal
    valid_until: date


def redemption_request(
    *,
    kind: str,
    target_tier: Tier | str | None = None,
    sms_product: str | None = None,
    months: int | None = None,
) -> RedemptionRequest:
    """The request if its shape is valid, else ``InvalidRequest``: a tier upgrade names its
    target tier; paid SMS names a product (SMS1-SMS3) and 1 to 36 months. Fields the kind
    does not use are kept as given, for the record."""
    tier = _tier_or_none(target_tier)
    product = next((p for p in SMS_PRODUCTS if p == sms_product), None)
    if kind == "tier_upgrade":
        if tier is None:
            raise InvalidRequest("target_tier is required for a tier upgrade")
        return RedemptionRequest("tier_upgrade", tier, product, months)
    if kind == "sms_months":
        if product is None or months is None or months not in SMS_MONTHS:
            raise InvalidRequest("sms_product must be SMS1, SMS2 or SMS3 and months 1..36")
        return RedemptionRequest("sms_months", tier, product, months)
    raise InvalidRequest("kind must be tier_upgrade or sms_months")


def _tier_or_none(value: Tier | str | None) -> Tier | None:
    if value is None:
        return None
    try:
        return Tier(value)
    except ValueError:
        raise InvalidRequest(f"no tier {value!r}") from None


def redemption_terms(request: RedemptionRequest, *, current: Tier, on: date) -> RedemptionTerms:
    """Cost and last valid day of a request made on ``on`` by a holder of ``current``:
    an upgrade holds 12 months (``rules.upgrade_cost``: only a higher tier can be bought),
    paid SMS the months bought. ``InvalidRequest`` if it cannot be bought."""
    if request.kind == "tier_upgrade":
        assert request.target_tier is not None  # redemption_request saw to it
        try:
            cost = upgrade_cost(current=current, target=request.target_tier)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        return RedemptionTerms(cost=cost, valid_until=upgrade_until(on))
    assert request.months is not None  # redemption_request saw to it
    return RedemptionTerms(
        cost=sms_subscription_cost(products=1, months=request.months),
        valid_until=add_months(on, request.months) - timedelta(days=1),
    )


MAX_ADJUSTMENT = Decimal(1_000_000)
"""Points one staff adjustment may add or take (a point is one CNY of commission; the
largest bonus is 500): a correction beyond this is a typo, not a goodwill gesture."""
MAX_BALANCE = Decimal(10) ** 12
"""A balance no adjustment may push past: far above any real one, far below what the
ledger's Numeric(18, 2) sums and the API's money strings hold."""


def check_adjustment(points: Decimal, *, held: Decimal) -> None:
    """A staff adjustment must change the balance (its sign and reason are the staff's), by
    at most ``MAX_ADJUSTMENT`` points to the fen, and never push the balance ``held`` past
    ``MAX_BALANCE``. (Taking more than is held is ``can_spend``'s 409, not a bad request.)"""
    if points == 0:
        raise InvalidRequest("an adjustment must change the balance")
    if abs(points) > MAX_ADJUSTMENT:
        raise InvalidRequest(f"an adjustment may change the balance by at most {MAX_ADJUSTMENT}")
    if points != points.quantize(Decimal("0.01")):
        raise InvalidRequest("points have at most 2 decimal places")
    if held + points > MAX_BALANCE:
        raise InvalidRequest(f"a balance may not exceed {MAX_BALANCE} points")


@dataclass(frozen=True, slots=True)
class Reversal:
    """What a cancelled trade's reversal takes back, and the reason it records."""

    points: Decimal
    reason: str


def reversal_of(
    *, trade_id: str, cancel_reason: str, awarded: Decimal, balance: Decimal
) -> Reversal:
    """A cancelled trade takes back what it awarded, but never more than the balance holds:
    points already spent stay spent, and the reason says so."""
    amount = min(awarded, balance)
    reason = f"trade {trade_id} cancelled: {cancel_reason}"[:400]
    if amount < awarded:
        reason += f" (reversed {amount} of {awarded}; the rest was already spent)"
    return Reversal(points=amount, reason=reason)
