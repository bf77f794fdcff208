"""Table-driven tests of the rules profile-svc added: gender, status, experience, segments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from profile_svc.rules import (
    AssetSize,
    CustomerStatus,
    Gender,
    LifeStage,
    SegmentThresholds,
    Turnover,
    age_on,
    birth_month_day,
    born_on_or_before,
    classify_segment,
    experience_years,
    gender_from_id,
    id_number_check_digit,
    life_stage,
    life_stage_birth_range,
    status_after_transfer_request,
)


def complete(first17: str) -> str:
    return first17 + id_number_check_digit(first17)


@pytest.mark.parametrize(
    ("id_number", "gender"),
    [
        ("11010519491231002X", Gender.FEMALE),  # 17th digit 2
        (complete("11010119900307123"), Gender.MALE),  # 17th digit 3
        (complete("44030419850101001"), Gender.MALE),
        (complete("44030419850101008"), Gender.FEMALE),
        ("11010519491231002x", Gender.FEMALE),  # lower-case x is normalised first
    ],
)
def test_gender_from_id(id_number: str, gender: Gender) -> None:
    assert gender_from_id(id_number) == gender


def test_gender_from_an_invalid_id_is_an_error() -> None:
    with pytest.raises(ValueError, match="check digit"):
        gender_from_id("110105194912310021")


@pytest.mark.parametrize(
    ("birth", "month_day"),
    [(date(1995, 11, 22), "11-22"), (date(2000, 2, 29), "02-29"), (date(1980, 1, 5), "01-05")],
)
def test_birth_month_day(birth: date, month_day: str) -> None:
    assert birth_month_day(birth) == month_day


@pytest.mark.parametrize(
    ("current", "after"),
    [
        (CustomerStatus.ACTIVE, CustomerStatus.TRANSFER_REQUESTED),
        (CustomerStatus.DORMANT, CustomerStatus.TRANSFER_REQUESTED),
        (CustomerStatus.TRANSFER_REQUESTED, None),
        (CustomerStatus.TRANSFERRED_OUT, None),
    ],
)
def test_status_after_a_transfer_request(
    current: CustomerStatus, after: CustomerStatus | None
) -> None:
    assert status_after_transfer_request(current) == after


@pytest.mark.parametrize(("year", "years"), [(None, None), (2015, 11), (2026, 0), (1990, 36)])
def test_experience_years(year: int | None, years: int | None) -> None:
    assert experience_years(year, date(2026, 11, 22)) == years


def test_experience_from_the_future_is_an_error() -> None:
    with pytest.raises(ValueError, match="after"):
        experience_years(2027, date(2026, 11, 22))


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
