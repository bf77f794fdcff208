"""Suitability (适当性) and what a customer is offered, in which order (domain.md §3.1): pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..catalogue.rules import BUNDLE_CODES, PAID_CODES, Product, risk_number

Verdict = Literal["suitable", "mismatch", "refused"]
PreferenceType = Literal["conservative", "balanced", "aggressive"]


@dataclass(frozen=True)
class Suitability:
    verdict: Verdict
    reason: str | None = None
    message: str = ""


@dataclass(frozen=True)
class CustomerFacts:
    """What advisory-svc knows of a customer, from events (readmodels)."""

    customer_id: str
    branch_id: str
    tier: str = "standard"
    risk_level: str | None = None  # "C1".."C5"
    risk_valid_until: date | None = None
    professional: bool = False

    def valid_level(self, today: date) -> int | None:
        """The C-level in force today, or None (missing or expired assessment)."""
        if self.risk_level is None or self.risk_valid_until is None:
            return None
        if self.risk_valid_until < today:
            return None
        return risk_number(self.risk_level)


def suitability(product_risk: str, facts: CustomerFacts, today: date) -> Suitability:
    """Product level R against the customer's valid C-level (《证券期货投资者适当性管理办法》).

    A professional investor may buy R1–R5. A missing or expired assessment allows R1 only;
    C1 may hold R1 only, with no override; any other R above C is a mismatch the customer
    may confirm in writing.
    """
    r = risk_number(product_risk)
    if facts.professional:
        return Suitability("suitable")
    if r == 1:
        return Suitability("suitable")
    level = facts.valid_level(today)
    if level is None:
        reason = "assessment_missing" if facts.risk_level is None else "assessment_expired"
        return Suitability(
            "refused", reason, "a valid risk assessment is needed for any product above R1"
        )
    if r <= level:
        return Suitability("suitable")
    if level == 1:
        return Suitability(
            "refused", "suitability_c1", "C1 (最低类别) may hold R1 products only; no override"
        )
    return Suitability(
        "mismatch",
        "suitability_mismatch",
        f"{product_risk} is above the customer's C{level}: needs a confirmed mismatch warning",
    )


def preference_type(facts: CustomerFacts, today: date) -> PreferenceType:
    """Seed 004 一.2: conservative C1–C2, balanced C3, aggressive C4–C5 (no level: conservative)."""
    level = facts.valid_level(today)
    if level is None or level <= 2:
        return "conservative"
    return "balanced" if level == 3 else "aggressive"


PREFERENCE_ORDER: dict[PreferenceType, tuple[str, ...]] = {
    "conservative": ("E", "SMS3", "SMS2", "SMS1", "A", "B", "C", "D"),
    "balanced": ("A", "SMS1", "SMS2", "E", "SMS3", "B", "C", "D"),
    "aggressive": ("B", "C", "A", "D", "SMS1", "SMS2", "SMS3", "E"),
}


@dataclass(frozen=True)
class Decision:
    """Whether one product may be bought now, and every reason it may not."""

    product: Product
    reasons: tuple[str, ...]
    suitability: Suitability
    needs_agreement: bool

    @property
    def offered(self) -> bool:
        return not self.reasons


def decide(
    product: Product,
    facts: CustomerFacts,
    *,
    today: date,
    has_agreement: bool,
    active_codes: Iterable[str] = (),
) -> Decision:
    """Tier, suitability and agreement checks of one product for one customer.

    A mismatch is not a reason by itself: it is offered with a warning to confirm.
    """
    reasons: list[str] = []
    if facts.tier not in product.tiers:
        reasons.append("tier")
    fit = suitability(product.risk_level, facts, today)
    if fit.verdict == "refused" and fit.reason:
        reasons.append(fit.reason)
    if product.advice and not has_agreement:
        reasons.append("agreement_needed")
    active = set(active_codes)
    if product.code in active:
        reasons.append("already_subscribed")
    elif product.code in BUNDLE_CODES and active & set(BUNDLE_CODES):
        reasons.append("another_bundle_active")
    return Decision(product, tuple(reasons), fit, product.advice)


def rank(decisions: Iterable[Decision], preference: PreferenceType) -> list[Decision]:
    """Offered products first, each group in the preference type's order."""
    order = {code: i for i, code in enumerate(PREFERENCE_ORDER[preference])}
    return sorted(
        decisions, key=lambda d: (not d.offered, order.get(d.product.code, len(PAID_CODES)))
    )
