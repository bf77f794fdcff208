"""Bundle and SMS prices: every worked example of domain.md §3.1, the caps and D's bands."""

from __future__ import annotations

from decimal import Decimal

import pytest

from advisory_svc.catalogue import rules
from advisory_svc.catalogue.rules import catalogue, marginal_fee, quote

PM = Decimal("0.001")  # 1‰
PRODUCTS = catalogue()


def pm(value: str) -> Decimal:
    return Decimal(value) * PM


@pytest.mark.parametrize(
    ("bundle", "x", "expected"),
    [
        # domain.md §3.1, verbatim: A
        ("A", "0.5", "1.5"),
        ("A", "1.0", "2.0"),
        ("A", "1.2", "2.0"),
        ("A", "2.2", "2.2"),  # unchanged: a bundle never lowers a rate
        # B
        ("B", "0.8", "2.3"),
        ("B", "1.0", "2.5"),
        # C: 3.0‰, or X if X is higher (X cannot exceed the legal 3‰)
        ("C", "0.25", "3.0"),
        ("C", "2.9", "3.0"),
        ("C", "3.0", "3.0"),
        # E: X, no mark-up
        ("E", "0.25", "0.25"),
        ("E", "2.7", "2.7"),
    ],
)
def test_worked_examples(bundle: str, x: str, expected: str) -> None:
    assert quote(PRODUCTS[bundle], base_rate=pm(x)).commission_rate == pm(expected)


@pytest.mark.parametrize(
    ("bundle", "x", "expected"),
    [
        ("A", "1.0", "2.0"),  # exactly at the cap
        ("A", "0.999", "1.999"),  # just below
        ("A", "1.001", "2.0"),  # just above: capped
        ("A", "2.0", "2.0"),  # X at the cap
        ("A", "2.001", "2.001"),  # X above the cap stays X
        ("A", "3.0", "3.0"),  # X at the legal ceiling
        ("B", "1.0", "2.5"),
        ("B", "0.999", "2.499"),
        ("B", "2.5", "2.5"),
        ("B", "2.6", "2.6"),
        ("B", "3.0", "3.0"),
    ],
)
def test_cap_edges(bundle: str, x: str, expected: str) -> None:
    assert quote(PRODUCTS[bundle], base_rate=pm(x)).commission_rate == pm(expected)


@pytest.mark.parametrize("code", ["A", "B", "C", "E"])
@pytest.mark.parametrize("x", ["0", "0.25", "1.0", "2.2", "2.5", "2.99", "3.0"])
def test_no_rate_exceeds_three_per_mille_and_none_lowers_x(code: str, x: str) -> None:
    rate = quote(PRODUCTS[code], base_rate=pm(x)).commission_rate
    assert rate is not None
    assert pm(x) <= rate <= pm("3")


def test_the_explanation_carries_the_customers_numbers() -> None:
    why = quote(PRODUCTS["A"], base_rate=pm("0.5")).explanation
    assert "0.50‰" in why
    assert "1.00‰" in why
    assert "1.50‰" in why
    assert "2.00‰" in why
    kept = quote(PRODUCTS["A"], base_rate=pm("2.2")).explanation
    assert "2.20‰" in kept
    assert "stays" in kept


# Bundle D: 1.0% below 1M, 0.8% on 1M–5M, 0.6% above (marginal, like a tax scale).
@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        ("0", "0.00"),
        ("500000", "5000.00"),
        ("999999.99", "9999.9999"),
        ("1000000", "10000.00"),
        ("1000000.01", "10000.0001"),
        ("3000000", "26000.00"),  # 10,000 + 0.8% x 2M
        ("5000000", "42000.00"),  # 10,000 + 32,000
        ("5000000.01", "42000.0001"),
        ("10000000", "72000.00"),  # 42,000 + 0.6% x 5M
    ],
)
def test_bundle_d_fee_is_marginal_by_band(amount: str, fee: str) -> None:
    total, _ = marginal_fee(Decimal(amount), rules.DEFAULT_PRICES.d_bands)
    assert total == Decimal(fee).quantize(Decimal("0.01"))


@pytest.mark.parametrize("edge", ["1000000", "5000000"])
def test_bundle_d_has_no_cliff_at_a_band_edge(edge: str) -> None:
    bands = rules.DEFAULT_PRICES.d_bands
    below, _ = marginal_fee(Decimal(edge) - Decimal("0.01"), bands)
    at, _ = marginal_fee(Decimal(edge), bands)
    above, _ = marginal_fee(Decimal(edge) + 100, bands)
    assert below <= at <= above
    assert at - below <= Decimal("0.01")


def test_bundle_d_monthly_fee_is_a_twelfth_in_arrears() -> None:
    q = quote(PRODUCTS["D"], base_rate=pm("0.25"), entrusted_amount=Decimal(3000000))
    assert q.annual_fee == Decimal("26000.00")
    assert q.monthly_fee == Decimal("2166.67")
    assert q.commission_rate is None


def test_negative_entrusted_amount_is_refused() -> None:
    with pytest.raises(ValueError):
        marginal_fee(Decimal(-1), rules.DEFAULT_PRICES.d_bands)


@pytest.mark.parametrize("code", ["SMS1", "SMS2", "SMS3"])
def test_sms_is_ten_cny_or_ten_points_a_month(code: str) -> None:
    q = quote(PRODUCTS[code], base_rate=pm("0.25"))
    assert q.monthly_fee == Decimal(10)
    assert q.monthly_points == Decimal(10)
    assert q.commission_rate is None


def test_bundles_are_for_gold_and_platinum_only_and_sms_for_everyone() -> None:
    for code in "ABCDE":
        assert PRODUCTS[code].tiers == {"gold", "platinum"}
    for code in ("SMS1", "SMS2", "SMS3"):
        assert PRODUCTS[code].tiers == {"standard", "silver", "gold", "platinum"}


def test_default_risk_levels() -> None:
    levels = {code: p.risk_level for code, p in PRODUCTS.items()}
    assert levels == {
        "FREE_RESEARCH": "R1",
        "FREE_IVR": "R1",
        "FREE_NOTICE": "R1",
        "SMS1": "R3",
        "SMS2": "R3",
        "SMS3": "R1",
        "A": "R3",
        "B": "R4",
        "C": "R5",
        "D": "R5",
        "E": "R2",
    }


def test_advice_products_are_sms1_and_bundles_a_to_d() -> None:
    assert {c for c, p in PRODUCTS.items() if p.advice} == {"SMS1", "A", "B", "C", "D"}
