"""Advisory content rules (seed 000, domain.md §3): what may be published, and to whom. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ContentKind = Literal[
    "morning_note",
    "market_outlook",
    "portfolio_strategy",
    "local_company",
    "important_news",
    "holdings_diagnosis",
    "third_party_research",
    "seminar",
    "private_placement",
    "ipo_strategy",
    "bond_market",
    "staff_training",
    "stock_pick",
]
View = Literal["bullish", "neutral", "bearish"]
Recommendation = Literal["buy", "hold", "sell"]

BEARISH_BUY_RULE = (
    "千万不可以出现介绍的股票基本面很好、技术面已经走熊的状况 (seed 000): "
    "a buy whose technical view is bearish is not published"
)


@dataclass(frozen=True)
class Entitlement:
    """Who may receive a kind of content.

    ``products``: an active subscription to any of them entitles; ``tiers``: so does the
    tier itself (platinum's research, seminars, private placements); ``advice``: an active
    advisory agreement is needed too; ``holders``: only holders of the content's stock.
    """

    products: frozenset[str]
    tiers: frozenset[str] = frozenset()
    advice: bool = False
    holders: bool = False


_ADVICE_PRODUCTS = frozenset({"SMS1", "A", "B", "C", "D"})
ENTITLEMENTS: dict[str, Entitlement] = {
    "morning_note": Entitlement(_ADVICE_PRODUCTS, advice=True),
    "market_outlook": Entitlement(_ADVICE_PRODUCTS, advice=True),
    "portfolio_strategy": Entitlement(_ADVICE_PRODUCTS, advice=True),
    "stock_pick": Entitlement(_ADVICE_PRODUCTS, advice=True),
    "local_company": Entitlement(frozenset({"SMS1", "A", "B", "C", "D", "E"})),
    "important_news": Entitlement(frozenset({"SMS1", "A", "B", "C", "D", "E"})),
    # Diagnosis and SMS2's alerts go to holders of the stock (持股诊断).
    "holdings_diagnosis": Entitlement(frozenset({"SMS2", "B", "C", "D"}), holders=True),
    "third_party_research": Entitlement(frozenset({"A", "B", "C", "D"}), frozenset({"platinum"})),
    "seminar": Entitlement(frozenset(), frozenset({"platinum"})),
    "private_placement": Entitlement(frozenset(), frozenset({"platinum"})),
    "ipo_strategy": Entitlement(frozenset({"SMS3", "E"})),
    "bond_market": Entitlement(frozenset({"E"})),
    # Training material is for staff: published, never delivered to customers.
    "staff_training": Entitlement(frozenset()),
}

# Mainland mobile numbers and resident ID numbers (18 digits, or 15 of the old cards), not
# inside a longer run of digits (a security code or an amount is fine).
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![\dXx])(\d{17}[\dXx]|\d{15})(?![\dXx])")


def personal_number_in(text: str) -> str | None:
    """``"phone number"`` or ``"ID number"`` when ``text`` carries one, else None."""
    if _PHONE.search(text):
        return "phone number"
    if _ID_NUMBER.search(text):
        return "ID number"
    return None


@dataclass(frozen=True)
class PickViews:
    recommendation: Recommendation
    fundamental: View
    technical: View


def pick_refusal(views: PickViews) -> str | None:
    """Why a stock pick may not be published, or None."""
    if views.recommendation == "buy" and views.technical == "bearish":
        return BEARISH_BUY_RULE
    return None


def chunks(ids: list[str], size: int) -> list[list[str]]:
    """The audience cut into hand-off events of at most ``size`` ids (ADR 0010)."""
    if size < 1:
        raise ValueError("size must be positive")
    return [ids[i : i + size] for i in range(0, len(ids), size)]
