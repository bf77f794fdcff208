"""Suitability: every C×R cell, missing and expired assessments, C1, professional investors."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from advisory_svc.catalogue.rules import catalogue
from advisory_svc.offers.rules import CustomerFacts, decide, preference_type, rank, suitability

TODAY = date(2026, 11, 20)
VALID = date(2028, 11, 19)


def facts(
    level: str | None = "C3", *, valid_until: date | None = VALID, **kw: Any
) -> CustomerFacts:
    return CustomerFacts(
        customer_id="C1",
        branch_id="B001",
        risk_level=level,
        risk_valid_until=valid_until if level else None,
        **kw,
    )


# R ≤ C is suitable; C1 above R1 is refused outright; any other R above C is a mismatch.
CELLS = [
    (c, r, "suitable" if r <= c else ("refused" if c == 1 else "mismatch"))
    for c in range(1, 6)
    for r in range(1, 6)
]
assert len(CELLS) == 25


@pytest.mark.parametrize(("c", "r", "verdict"), CELLS)
def test_every_c_by_r_cell(c: int, r: int, verdict: str) -> None:
    assert suitability(f"R{r}", facts(f"C{c}"), TODAY).verdict == verdict


@pytest.mark.parametrize("r", [1, 2, 3, 4, 5])
def test_missing_assessment_allows_r1_only(r: int) -> None:
    fit = suitability(f"R{r}", facts(None), TODAY)
    assert fit.verdict == ("suitable" if r == 1 else "refused")
    if r > 1:
        assert fit.reason == "assessment_missing"


@pytest.mark.parametrize("r", [1, 2, 3, 4, 5])
def test_expired_assessment_allows_r1_only(r: int) -> None:
    expired = facts("C5", valid_until=date(2026, 11, 19))
    fit = suitability(f"R{r}", expired, TODAY)
    assert fit.verdict == ("suitable" if r == 1 else "refused")
    if r > 1:
        assert fit.reason == "assessment_expired"


def test_an_assessment_valid_until_today_still_counts() -> None:
    assert suitability("R3", facts("C3", valid_until=TODAY), TODAY).verdict == "suitable"


@pytest.mark.parametrize("r", [2, 3, 4, 5])
def test_c1_has_no_override(r: int) -> None:
    fit = suitability(f"R{r}", facts("C1"), TODAY)
    assert fit.verdict == "refused"
    assert fit.reason == "suitability_c1"


@pytest.mark.parametrize("level", [None, "C1", "C3"])
@pytest.mark.parametrize("r", [1, 2, 3, 4, 5])
def test_a_professional_investor_may_buy_r1_to_r5(level: str | None, r: int) -> None:
    assert suitability(f"R{r}", facts(level, professional=True), TODAY).verdict == "suitable"


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (None, "conservative"),
        ("C1", "conservative"),
        ("C2", "conservative"),
        ("C3", "balanced"),
        ("C4", "aggressive"),
        ("C5", "aggressive"),
    ],
)
def test_preference_type(level: str | None, expected: str) -> None:
    assert preference_type(facts(level), TODAY) == expected


PRODUCTS = catalogue()


def _codes(level: str, tier: str = "gold") -> list[str]:
    f = facts(level, tier=tier)
    decisions = [
        decide(PRODUCTS[c], f, today=TODAY, has_agreement=True)
        for c in ("SMS1", "SMS2", "SMS3", "A", "B", "C", "D", "E")
    ]
    return [d.product.code for d in rank(decisions, preference_type(f, TODAY)) if d.offered]


def test_offers_are_ranked_by_preference_type() -> None:
    assert _codes("C2")[0] == "E"  # conservative: bundle E first
    assert _codes("C3")[0] == "A"  # balanced: bundle A first
    assert _codes("C5")[:2] == ["B", "C"]  # aggressive: B, C first


def test_bundles_need_gold_or_platinum_and_advice_an_agreement() -> None:
    silver = facts("C5", tier="silver")
    a = decide(PRODUCTS["A"], silver, today=TODAY, has_agreement=False)
    assert set(a.reasons) == {"tier", "agreement_needed"}
    e = decide(PRODUCTS["E"], facts("C5", tier="platinum"), today=TODAY, has_agreement=False)
    assert e.offered  # E is not advice
    sms3 = decide(PRODUCTS["SMS3"], facts(None, tier="standard"), today=TODAY, has_agreement=False)
    assert sms3.offered  # R1, no advice, open to every tier


def test_a_mismatch_is_offered_with_a_warning_not_refused() -> None:
    d = decide(PRODUCTS["B"], facts("C3", tier="gold"), today=TODAY, has_agreement=True)
    assert d.offered
    assert d.suitability.verdict == "mismatch"
