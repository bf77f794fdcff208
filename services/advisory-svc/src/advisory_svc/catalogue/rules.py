"""The product catalogue and its prices (domain.md §3, §3.1): pure functions, no I/O.

Rates are fractions of the traded amount (``Decimal("0.001")`` is 1‰); money is CNY.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

ProductCode = Literal["SMS1", "SMS2", "SMS3", "A", "B", "C", "D", "E"]
FreeCode = Literal["FREE_RESEARCH", "FREE_IVR", "FREE_NOTICE"]
Kind = Literal["free", "sms", "bundle"]
Tier = Literal["standard", "silver", "gold", "platinum"]

PER_MILLE = Decimal("0.001")
LEGAL_CEILING = Decimal("0.003")  # no commission rate we emit may exceed 3‰
FEN = Decimal("0.01")
SMS_CODES: tuple[ProductCode, ...] = ("SMS1", "SMS2", "SMS3")
BUNDLE_CODES: tuple[ProductCode, ...] = ("A", "B", "C", "D", "E")
PAID_CODES: tuple[ProductCode, ...] = (*SMS_CODES, *BUNDLE_CODES)
BUNDLE_TIERS: frozenset[str] = frozenset({"gold", "platinum"})
# Advice (投资建议) needs a signed advisory agreement: SMS1 and bundles A–D (domain.md §3.1).
ADVICE_CODES: frozenset[str] = frozenset({"SMS1", "A", "B", "C", "D"})


def risk_number(level: str) -> int:
    """``"R3"`` or ``"C3"`` -> 3."""
    return int(level[1:])


@dataclass(frozen=True)
class RatePrice:
    """A bundle's commission rate rule: X + mark-up, at most ``cap``; or a fixed rate."""

    markup: Decimal | None = None
    cap: Decimal | None = None
    fixed: Decimal | None = None


@dataclass(frozen=True)
class FeeBand:
    """One band of bundle D's annual fee: ``rate`` on the part of the amount from ``lower``."""

    lower: Decimal
    rate: Decimal


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    name_zh: str
    kind: Kind
    risk_level: str
    content: tuple[str, ...]
    delivery: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    rate: RatePrice | None = None
    fee_bands: tuple[FeeBand, ...] = ()
    tiers: frozenset[str] = field(
        default_factory=lambda: frozenset(("standard", "silver", "gold", "platinum"))
    )

    @property
    def advice(self) -> bool:
        return self.code in ADVICE_CODES


@dataclass(frozen=True)
class Prices:
    """The configurable numbers of the catalogue (domain.md §3.1 defaults)."""

    standard_rate: Decimal = Decimal("0.00025")
    sms_month_fee: Decimal = Decimal("10.00")
    sms_month_points: Decimal = Decimal("10.00")
    d_bands: tuple[FeeBand, ...] = (
        FeeBand(Decimal(0), Decimal("0.010")),
        FeeBand(Decimal(1_000_000), Decimal("0.008")),
        FeeBand(Decimal(5_000_000), Decimal("0.006")),
    )
    risk_levels: tuple[tuple[str, str], ...] = (
        ("FREE_RESEARCH", "R1"),
        ("FREE_IVR", "R1"),
        ("FREE_NOTICE", "R1"),
        ("SMS1", "R3"),
        ("SMS2", "R3"),
        ("SMS3", "R1"),
        ("A", "R3"),
        ("B", "R4"),
        ("C", "R5"),
        ("D", "R5"),
        ("E", "R2"),
    )


DEFAULT_PRICES = Prices()


@functools.cache
def catalogue(prices: Prices = DEFAULT_PRICES) -> dict[str, Product]:
    """Every product with its content, delivery, tools, risk level and price rule (seed 003).

    Built once per set of prices (they are frozen); callers must not change the dict.
    """
    risk = dict(prices.risk_levels)
    pm = PER_MILLE
    products = [
        Product(
            "FREE_RESEARCH",
            "Research reports on the website",
            "网站研究报告",
            "free",
            risk["FREE_RESEARCH"],
            ("broker research reports",),
            ("web",),
        ),
        Product(
            "FREE_IVR",
            "IVR information",
            "电话语音信息",
            "free",
            risk["FREE_IVR"],
            ("market information",),
            ("ivr",),
        ),
        Product(
            "FREE_NOTICE",
            "Branch notice board",
            "营业部公告栏",
            "free",
            risk["FREE_NOTICE"],
            ("branch notices",),
            ("counter",),
        ),
        Product(
            "SMS1",
            "Investment advisory SMS",
            "投资咨询",
            "sms",
            risk["SMS1"],
            ("macro and industry news", "strategy", "stock picks and follow-up"),
            ("sms",),
        ),
        Product(
            "SMS2",
            "Account management SMS",
            "账户管理",
            "sms",
            risk["SMS2"],
            (
                "holding alerts",
                "ratings",
                "portfolio scan",
                "major risk alerts",
                "rights issues",
                "warrant listing and expiry alerts",
            ),
            ("sms",),
        ),
        Product(
            "SMS3",
            "IPO SMS",
            "新股发行",
            "sms",
            risk["SMS3"],
            (
                "IPO issues",
                "allotment results",
                "listing alerts",
                "expected listing price range",
                "subscription strategy",
            ),
            ("sms",),
        ),
        Product(
            "A",
            "Bundle A",
            "佣金增值产品A",
            "bundle",
            risk["A"],
            ("strategy", "third-party research", "holdings tracking", "portfolio picks"),
            ("sms", "im", "email"),
            ("standard",),
            RatePrice(markup=pm, cap=2 * pm),
            tiers=BUNDLE_TIERS,
        ),
        Product(
            "B",
            "Bundle B",
            "佣金增值产品B",
            "bundle",
            risk["B"],
            ("all of A", "account diagnosis", "real-time trading guidance"),
            ("phone", "sms", "im", "email"),
            ("VIP trading system",),
            RatePrice(markup=Decimal("1.5") * pm, cap=Decimal("2.5") * pm),
            tiers=BUNDLE_TIERS,
        ),
        Product(
            "C",
            "Bundle C",
            "佣金增值产品C",
            "bundle",
            risk["C"],
            ("all of B", "account tracking", "real-time phone answers"),
            ("one-on-one",),
            ("Level-2 quotes", "programmatic trading"),
            RatePrice(fixed=3 * pm),
            tiers=BUNDLE_TIERS,
        ),
        Product(
            "D",
            "Bundle D",
            "佣金增值产品D（准资产管理）",
            "bundle",
            risk["D"],
            ("quasi asset management",),
            ("one-on-one",),
            (),
            fee_bands=prices.d_bands,
            tiers=BUNDLE_TIERS,
        ),
        Product(
            "E",
            "Bundle E",
            "佣金增值产品E",
            "bundle",
            risk["E"],
            (
                "money and bond market news",
                "treasury and convertible bond tracking",
                "IPO strategy and listing price forecast",
                "money/bond fund picks",
            ),
            ("phone", "sms", "im", "email"),
            ("standard",),
            RatePrice(markup=Decimal(0)),
            tiers=BUNDLE_TIERS,
        ),
    ]
    return {p.code: p for p in products}


def per_mille(rate: Decimal) -> str:
    """``Decimal("0.0015")`` -> ``"1.50‰"``."""
    return f"{(rate / PER_MILLE).quantize(FEN, ROUND_HALF_UP)}‰"


@dataclass(frozen=True)
class Quote:
    """A price for one customer, with the formula in the customer's own numbers."""

    commission_rate: Decimal | None = None
    monthly_fee: Decimal | None = None
    monthly_points: Decimal | None = None
    annual_fee: Decimal | None = None
    explanation: str = ""


def bundle_rate(rule: RatePrice, base: Decimal) -> tuple[Decimal, str]:
    """New rate = max(X, min(X + mark-up, cap)), never above 3‰ (domain.md §3.1).

    The bundle never lowers a rate: X above the cap stays X.
    """
    x = per_mille(base)
    if rule.fixed is not None:
        rate = min(max(base, rule.fixed), LEGAL_CEILING)
        why = f"fixed {per_mille(rule.fixed)}; your rate X = {x}"
        return rate, f"{why}; the higher applies: {per_mille(rate)}"
    markup = rule.markup or Decimal(0)
    raised = base + markup
    if rule.cap is not None:
        capped = min(raised, rule.cap)
        rate = min(max(base, capped), LEGAL_CEILING)
        why = f"X + {per_mille(markup)} = {x} + {per_mille(markup)} = {per_mille(raised)}"
        why += f", at most {per_mille(rule.cap)}"
        if base > rule.cap:
            why += f"; X is above the cap, so X stays: {per_mille(rate)}"
        else:
            why += f" -> {per_mille(rate)}"
        return rate, why
    rate = min(max(base, raised), LEGAL_CEILING)
    return rate, f"X = {x}, no mark-up -> {per_mille(rate)}"


def marginal_fee(amount: Decimal, bands: tuple[FeeBand, ...]) -> tuple[Decimal, str]:
    """Bundle D's annual fee, marginal by band like a tax scale: a larger amount never pays less."""
    if amount < 0:
        raise ValueError("the entrusted amount must not be negative")
    total = Decimal(0)
    parts = []
    for i, band in enumerate(bands):
        upper = bands[i + 1].lower if i + 1 < len(bands) else None
        if amount <= band.lower:
            break
        part = (amount if upper is None else min(amount, upper)) - band.lower
        fee = part * band.rate
        total += fee
        parts.append(f"{band.rate * 100:.1f}% x {part:,.2f}")
    total = total.quantize(FEN, ROUND_HALF_UP)
    return total, f"annual fee = {' + '.join(parts) or '0'} = {total:,.2f} CNY"


def quote(
    product: Product,
    *,
    base_rate: Decimal,
    prices: Prices = DEFAULT_PRICES,
    entrusted_amount: Decimal | None = None,
) -> Quote:
    """The price of ``product`` for a customer whose current rate is ``base_rate`` (X)."""
    if product.kind == "free":
        return Quote(explanation="free")
    if product.kind == "sms":
        return Quote(
            monthly_fee=prices.sms_month_fee,
            monthly_points=prices.sms_month_points,
            explanation=(
                f"{prices.sms_month_fee} CNY or {prices.sms_month_points} points a month;"
                " free while you hold a bundle A–E"
            ),
        )
    if product.rate is not None:
        rate, why = bundle_rate(product.rate, base_rate)
        return Quote(commission_rate=rate, explanation=why)
    bands = ", ".join(f"{b.rate * 100:.1f}% from {b.lower:,.0f}" for b in product.fee_bands)
    if entrusted_amount is None:
        return Quote(
            explanation=f"annual fee, marginal by band: {bands}; billed monthly in arrears"
        )
    fee, why = marginal_fee(entrusted_amount, product.fee_bands)
    monthly = (fee / 12).quantize(FEN, ROUND_HALF_UP)
    return Quote(
        annual_fee=fee, monthly_fee=monthly, explanation=f"{why}; {monthly} a month in arrears"
    )
