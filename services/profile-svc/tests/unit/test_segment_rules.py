"""Table-driven tests of the segmentation rules: value segments, life stages, family stages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from profile_svc.customers.rules import age_on
from profile_svc.segments.rules import (
    LIFE_STAGE_FOCUS,
    MOST_IMPORTANT_SEGMENT,
    VALUE_SEGMENTS,
    AssetSize,
    FamilyLifeCycle,
    LifeStage,
    SegmentThresholds,
    Turnover,
    asset_size,
    born_on_or_before,
    classify_segment,
    life_stage,
    life_stage_birth_range,
    monthly_turnover,
    segment_kind,
    turnover_class,
    value_segment,
    window_figures,
)

# --- value segment (资金实力 x 资金周转率) -------------------------------------------------------


@pytest.mark.parametrize(
    ("assets", "size"),
    [
        ("2000000", AssetSize.LARGE),
        ("1000000", AssetSize.LARGE),
        ("999999.99", AssetSize.MEDIUM),
        ("100000", AssetSize.MEDIUM),
        ("99999.99", AssetSize.SMALL),
        ("0", AssetSize.SMALL),
    ],
)
def test_asset_size(assets: str, size: AssetSize) -> None:
    assert asset_size(Decimal(assets)) == size


def test_asset_size_with_custom_thresholds() -> None:
    t = SegmentThresholds(large_assets=Decimal(500000), medium_assets=Decimal(50000))
    assert asset_size(Decimal(500000), t) == AssetSize.LARGE
    assert asset_size(Decimal(50000), t) == AssetSize.MEDIUM
    assert asset_size(Decimal(49999), t) == AssetSize.SMALL


@pytest.mark.parametrize(
    ("turnover", "expected"),
    [
        ("0", Turnover.STATIC),
        ("0.0999", Turnover.STATIC),
        ("0.1", Turnover.STABLE),
        ("0.9999", Turnover.STABLE),
        ("1.0", Turnover.SHORT_TERM),
        ("5", Turnover.SHORT_TERM),
    ],
)
def test_turnover_class(turnover: str, expected: Turnover) -> None:
    assert turnover_class(Decimal(turnover)) == expected


@pytest.mark.parametrize(
    ("traded", "average", "turnover"),
    [
        ("50000", "100000", "0.5"),
        ("0", "100000", "0"),
        ("300000", "100000", "3"),
        ("0", "0", "0"),  # no assets and no trading: static
    ],
)
def test_monthly_turnover(traded: str, average: str, turnover: str) -> None:
    assert monthly_turnover(Decimal(traded), Decimal(average)) == Decimal(turnover)


@pytest.mark.parametrize("average", ["0", "-100"])
def test_trading_without_average_assets_counts_as_short_term(average: str) -> None:
    turnover = monthly_turnover(Decimal(1000), Decimal(average))
    assert turnover_class(turnover) == Turnover.SHORT_TERM


def test_negative_traded_amount_is_rejected() -> None:
    with pytest.raises(ValueError, match="traded amount"):
        monthly_turnover(Decimal(-1), Decimal(100000))


@pytest.mark.parametrize(
    ("size", "turnover", "segment"),
    [
        (AssetSize.LARGE, Turnover.STATIC, "static_large"),
        (AssetSize.LARGE, Turnover.STABLE, "stable_large"),
        (AssetSize.LARGE, Turnover.SHORT_TERM, "short_term_large"),
        (AssetSize.MEDIUM, Turnover.STATIC, "static_medium"),
        (AssetSize.MEDIUM, Turnover.STABLE, "stable_medium"),
        (AssetSize.MEDIUM, Turnover.SHORT_TERM, "short_term_medium"),
        (AssetSize.SMALL, Turnover.STATIC, "static_small"),
        (AssetSize.SMALL, Turnover.STABLE, "stable_small"),
        (AssetSize.SMALL, Turnover.SHORT_TERM, "short_term_small"),
    ],
)
def test_value_segment(size: AssetSize, turnover: Turnover, segment: str) -> None:
    assert value_segment(size, turnover) == segment
    assert segment in VALUE_SEGMENTS


def test_there_are_nine_value_segments_and_short_term_large_matters_most() -> None:
    assert len(VALUE_SEGMENTS) == len(set(VALUE_SEGMENTS)) == 9
    assert MOST_IMPORTANT_SEGMENT == "short_term_large"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"large_assets": Decimal(100000), "medium_assets": Decimal(100000)},
        {"medium_assets": Decimal(0)},
        {"static_below": Decimal("1.0"), "stable_below": Decimal("1.0")},
    ],
)
def test_inconsistent_thresholds_are_rejected(kwargs: dict[str, Decimal]) -> None:
    with pytest.raises(ValueError, match="thresholds need"):
        SegmentThresholds(**kwargs)


# --- life stage (人生阶段) and family life cycle (家庭生命周期) ---------------------------------


@pytest.mark.parametrize(
    ("age", "stage"),
    [
        (0, LifeStage.GROWTH),
        (25, LifeStage.GROWTH),
        (26, LifeStage.YOUTH),
        (35, LifeStage.YOUTH),
        (36, LifeStage.ADULT),
        (45, LifeStage.ADULT),
        (46, LifeStage.MATURE),
        (55, LifeStage.MATURE),
        (56, LifeStage.STABLE),
        (65, LifeStage.STABLE),
        (66, LifeStage.RETIREMENT),
        (99, LifeStage.RETIREMENT),
    ],
)
def test_life_stage(age: int, stage: LifeStage) -> None:
    assert life_stage(age) == stage


@pytest.mark.parametrize(
    ("stage", "chinese"),
    [
        (LifeStage.GROWTH, "充实理财知识"),
        (LifeStage.YOUTH, "结婚购房"),
        (LifeStage.ADULT, "购屋"),
        (LifeStage.MATURE, "子女教育"),
        (LifeStage.STABLE, "退休金"),
        (LifeStage.RETIREMENT, "本金安全及固定收入"),
    ],
)
def test_life_stage_focus(stage: LifeStage, chinese: str) -> None:
    assert chinese in LIFE_STAGE_FOCUS[stage]


def test_family_life_cycle_has_the_nine_stages_of_seed_002() -> None:
    assert [stage.value for stage in FamilyLifeCycle] == [
        "single",
        "newly_married",
        "full_nest_1",
        "full_nest_2",
        "full_nest_3",
        "empty_nest_1",
        "empty_nest_2",
        "solitary_working",
        "solitary_retired",
    ]


@pytest.mark.parametrize(
    ("total", "average", "traded", "size", "turnover", "ratio", "segment"),
    [
        (
            "2000000",
            "2000000",
            "2500000",
            AssetSize.LARGE,
            Turnover.SHORT_TERM,
            "1.25",
            "short_term_large",
        ),
        (
            "2000000",
            "2000000",
            "199999",
            AssetSize.LARGE,
            Turnover.STATIC,
            "0.0999995",
            "static_large",
        ),
        ("500000", "400000", "200000", AssetSize.MEDIUM, Turnover.STABLE, "0.5", "stable_medium"),
        ("99999.99", "50000", "0", AssetSize.SMALL, Turnover.STATIC, "0", "static_small"),
        ("0", "0", "1000", AssetSize.SMALL, Turnover.SHORT_TERM, None, "short_term_small"),
    ],
)
def test_classify_segment(
    total: str,
    average: str,
    traded: str,
    size: AssetSize,
    turnover: Turnover,
    ratio: str | None,
    segment: str,
) -> None:
    result = classify_segment(
        total_assets=Decimal(total), average_assets=Decimal(average), traded_amount=Decimal(traded)
    )
    assert result.asset_size == size
    assert result.turnover_class == turnover
    assert result.turnover == (Decimal(ratio) if ratio is not None else None)
    assert result.value_segment == segment


def test_classify_segment_uses_the_thresholds_given() -> None:
    t = SegmentThresholds(large_assets=Decimal(500000), medium_assets=Decimal(50000))
    result = classify_segment(
        total_assets=Decimal(600000), average_assets=Decimal(1), traded_amount=Decimal(0), t=t
    )
    assert result.value_segment == "static_large"


@pytest.mark.parametrize(
    ("on", "age", "latest"),
    [
        (date(2026, 11, 22), 25, date(2001, 11, 22)),
        (date(2025, 2, 28), 25, date(2000, 2, 28)),  # born 29 Feb 2000: still 24 that day
        (date(2024, 2, 29), 1, date(2023, 2, 28)),
    ],
)
def test_born_on_or_before(on: date, age: int, latest: date) -> None:
    assert born_on_or_before(on, age) == latest


@pytest.mark.parametrize(
    "on", [date(2026, 11, 22), date(2024, 2, 29), date(2025, 3, 1), date(2025, 2, 28)]
)
def test_life_stage_birth_range_agrees_with_life_stage_of_the_age(on: date) -> None:
    # Every birth date over ninety years, both sides of each boundary, lands in exactly one range.
    start = on - timedelta(days=90 * 366)
    for offset in range(0, (on - start).days + 1, 7):
        birth = start + timedelta(days=offset)
        expected = life_stage(age_on(birth, on))
        hits = [
            stage
            for stage in LifeStage
            if (r := life_stage_birth_range(stage, on))[1] >= birth
            and (r[0] is None or birth > r[0])
        ]
        assert hits == [expected], birth


def test_life_stage_birth_range_edges() -> None:
    on = date(2026, 11, 22)
    assert life_stage_birth_range(LifeStage.YOUTH, on) == (date(1990, 11, 22), date(2000, 11, 22))
    assert life_stage_birth_range(LifeStage.RETIREMENT, on) == (None, date(1960, 11, 22))
    assert life_stage(age_on(date(1990, 11, 22), on)) == LifeStage.ADULT  # 36: just out of youth
    assert life_stage(age_on(date(1990, 11, 23), on)) == LifeStage.YOUTH


@pytest.mark.parametrize(
    ("segment", "kind"),
    [
        ("short_term_large", "value"),
        ("static_small", "value"),
        ("youth", "life_stage"),
        ("retirement", "life_stage"),
        ("full_nest_1", "family_life_cycle"),
        ("single", "family_life_cycle"),
        ("large", None),
        ("", None),
    ],
)
def test_segment_kind(segment: str, kind: str | None) -> None:
    assert segment_kind(segment) == kind


NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


def test_window_figures_of_a_month_of_flat_assets_and_one_large_trade() -> None:
    snapshots = [(NOV_1 + timedelta(days=d), Decimal(2000000)) for d in range(30)]
    figures = window_figures(
        start=NOV_1,
        end=NOV_30,
        known_assets=Decimal(0),
        known_as_of=None,
        snapshots=snapshots,
        trades=[(date(2026, 11, 10), Decimal(2500000), Decimal("625.00"))],
    )
    assert figures.total_assets == Decimal(2000000)
    assert figures.assets_as_of == NOV_30
    assert figures.average_assets == Decimal("2000000.00")
    assert figures.traded_amount == Decimal(2500000)
    assert figures.commission == Decimal("625.00")
    # 2,500,000 / 2,000,000 = 1.25 >= 1.0 short-term; 2,000,000 >= 1,000,000 large.
    assert figures.segment.turnover == Decimal("1.25")
    assert figures.segment.value_segment == "short_term_large"


def test_window_figures_count_only_the_window() -> None:
    figures = window_figures(
        start=NOV_1,
        end=NOV_30,
        known_assets=Decimal(0),
        known_as_of=None,
        snapshots=[
            (date(2026, 10, 31), Decimal(1000000)),  # the day before the window
            (NOV_1, Decimal(200000)),
            (NOV_30, Decimal(400000)),
        ],
        trades=[
            (date(2026, 10, 31), Decimal(5000000), Decimal(50)),  # the day before the window
            (date(2026, 11, 15), Decimal(30000), Decimal("7.50")),
        ],
    )
    assert figures.average_assets == Decimal("300000.00")  # (200,000 + 400,000) / 2
    assert (figures.total_assets, figures.assets_as_of) == (Decimal(400000), NOV_30)
    assert figures.traded_amount == Decimal(30000)
    assert figures.commission == Decimal("7.50")
    # 30,000 / 300,000 = 0.1: not below 0.1, so stable; 400,000 is medium.
    assert figures.segment.value_segment == "stable_medium"


def test_window_figures_keep_known_assets_newer_than_the_snapshots() -> None:
    figures = window_figures(
        start=NOV_1,
        end=NOV_30,
        known_assets=Decimal(5000000),
        known_as_of=date(2026, 12, 2),
        snapshots=[(NOV_30, Decimal(100))],
        trades=[],
    )
    assert (figures.total_assets, figures.assets_as_of) == (Decimal(5000000), date(2026, 12, 2))
    assert figures.segment.asset_size == AssetSize.LARGE


def test_window_figures_without_any_figures_are_static_small() -> None:
    figures = window_figures(
        start=NOV_1, end=NOV_30, known_assets=Decimal(0), known_as_of=None, snapshots=[], trades=[]
    )
    assert (figures.total_assets, figures.assets_as_of) == (Decimal(0), None)
    assert figures.average_assets == Decimal(0)
    assert figures.segment.turnover == Decimal(0)
    assert figures.segment.value_segment == "static_small"


def test_window_average_is_in_cents_and_trading_without_assets_is_short_term() -> None:
    averaged = window_figures(
        start=NOV_1,
        end=NOV_30,
        known_assets=Decimal(0),
        known_as_of=None,
        snapshots=[
            (NOV_1, Decimal("100.00")),
            (date(2026, 11, 2), Decimal("100.01")),
            (date(2026, 11, 3), Decimal("100.01")),
        ],
        trades=[],
    )
    assert averaged.average_assets == Decimal("100.01")  # 300.02 / 3 = 100.0066...
    no_assets = window_figures(
        start=NOV_1,
        end=NOV_30,
        known_assets=Decimal(0),
        known_as_of=None,
        snapshots=[],
        trades=[(NOV_30, Decimal(1000), Decimal(1))],
    )
    assert no_assets.segment.turnover is None  # infinite: traded without average assets
    assert no_assets.segment.value_segment == "short_term_small"
