"""Issue 16 item 3: the catalogue's configurable prices have domain ranges (domain.md §3.1).

A typo in a deployment's settings is refused at start-up instead of pricing every offer:
the base rate is at most 3‰ (the commission ceiling), an SMS month at most 1,000 CNY or
100,000 points, bundle D's annual rates at most 5 % and decreasing with size.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from advisory_svc.config import Settings


def settings(**change: str) -> Settings:
    return Settings(environment="test", **change)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"standard_rate": "0"},
        {"standard_rate": "-0.0001"},
        {"standard_rate": "0.0031"},
        {"sms_month_fee": "-1"},
        {"sms_month_fee": "1000.01"},
        {"sms_month_points": "100000.01"},
        {"d_rate_below_1m": "0"},
        {"d_rate_below_1m": "0.0501"},
        {"d_rate_above_5m": "1"},
        # "decreasing with size": a larger amount never pays a higher rate on its band
        {"d_rate_1m_5m": "0.011"},
        {"d_rate_above_5m": "0.009"},
        {"d_rate_below_1m": "0.005"},
    ],
)
def test_a_price_outside_its_range_is_refused(change: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        settings(**change)


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"standard_rate": "0.003"},
        {"sms_month_fee": "0"},
        {"sms_month_fee": "1000"},
        {"d_rate_below_1m": "0.05", "d_rate_1m_5m": "0.05", "d_rate_above_5m": "0.05"},
        {"d_rate_below_1m": "0.012", "d_rate_1m_5m": "0.009", "d_rate_above_5m": "0.0065"},
    ],
)
def test_prices_within_their_ranges_are_taken(change: dict[str, str]) -> None:
    prices = settings(**change).prices()
    rates = [band.rate for band in prices.d_bands]
    assert rates == sorted(rates, reverse=True)
    assert all(Decimal(0) < r <= Decimal("0.05") for r in rates)
