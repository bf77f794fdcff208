"""Content rules: no personal numbers, no bearish-technical buy (seed 000), audience chunks."""

from __future__ import annotations

import pytest

from advisory_svc.content.rules import (
    BEARISH_BUY_RULE,
    ENTITLEMENTS,
    PickViews,
    chunks,
    personal_number_in,
    pick_refusal,
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("call 13800001234 today", "phone number"),
        ("电话:19912345678。", "phone number"),
        ("ID 11010119951122001X here", "ID number"),
        ("old card 110101951122001", "ID number"),
        ("600519 closed at 1520.00, volume 12345678", None),
        ("order 1380000123456789 is not a phone", None),  # a longer run of digits
        ("", None),
    ],
)
def test_personal_numbers_are_found(text: str, found: str | None) -> None:
    assert personal_number_in(text) == found


@pytest.mark.parametrize(
    ("recommendation", "fundamental", "technical", "refused"),
    [
        ("buy", "bullish", "bearish", True),  # the seed's exact case
        ("buy", "neutral", "bearish", True),
        ("buy", "bullish", "bullish", False),
        ("buy", "bullish", "neutral", False),
        ("hold", "bullish", "bearish", False),
        ("sell", "bearish", "bearish", False),
    ],
)
def test_a_buy_with_bearish_technicals_is_refused(
    recommendation: str, fundamental: str, technical: str, refused: bool
) -> None:
    why = pick_refusal(PickViews(recommendation, fundamental, technical))  # type: ignore[arg-type]
    assert (why == BEARISH_BUY_RULE) is refused


def test_the_refusal_quotes_the_seed() -> None:
    assert "千万不可以出现介绍的股票基本面很好、技术面已经走熊的状况" in BEARISH_BUY_RULE


def test_chunks_cover_every_id_once_in_order() -> None:
    ids = [f"C{i:07d}" for i in range(12001)]
    parts = chunks(ids, 5000)
    assert [len(p) for p in parts] == [5000, 5000, 2001]
    assert [i for p in parts for i in p] == ids
    assert chunks([], 5000) == []


def test_platinum_entitlements_and_advice() -> None:
    for kind in ("third_party_research", "seminar", "private_placement"):
        assert "platinum" in ENTITLEMENTS[kind].tiers
    assert ENTITLEMENTS["stock_pick"].advice
    assert ENTITLEMENTS["holdings_diagnosis"].holders
    assert not ENTITLEMENTS["staff_training"].products
    assert not ENTITLEMENTS["staff_training"].tiers
