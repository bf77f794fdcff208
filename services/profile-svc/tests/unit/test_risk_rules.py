"""Table-driven tests of the risk questionnaire's rules; expected values come from the spec."""

from dataclasses import FrozenInstanceError, replace
from datetime import date

import pytest

from profile_svc.customers.rules import age_on
from profile_svc.risk.rules import (
    ALLOCATION_TABLE,
    ASSESSMENT_VALIDITY_YEARS,
    Allocation,
    Answers,
    Level,
    RiskLevel,
    age_score,
    assess_risk,
    capacity_score,
    level_for,
    loss_score,
    option_points,
    suitability_level,
    tolerance_score,
)

OPTION_FIELDS = (
    "job",
    "burden",
    "assets",
    "experience",
    "knowledge",
    "priority",
    "stop_loss",
    "if_loss",
    "watching",
    "results",
)


def make_answers(**overrides: int) -> Answers:
    values = dict.fromkeys(OPTION_FIELDS, 3) | {"max_loss_pct": 10}
    return Answers(**(values | overrides))


def all_options(option: int, max_loss_pct: int) -> Answers:
    return make_answers(**dict.fromkeys(OPTION_FIELDS, option), max_loss_pct=max_loss_pct)


# --- levels and the three component scores ---------------------------------------------------


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, Level.LOW),
        (19, Level.LOW),
        (20, Level.MID_LOW),
        (39, Level.MID_LOW),
        (40, Level.MID),
        (59, Level.MID),
        (60, Level.MID_HIGH),
        (79, Level.MID_HIGH),
        (80, Level.HIGH),
        (100, Level.HIGH),
    ],
)
def test_level_bands(score: int, level: Level) -> None:
    assert level_for(score) == level


@pytest.mark.parametrize("score", [-1, 101])
def test_level_rejects_score_outside_0_to_100(score: int) -> None:
    with pytest.raises(ValueError, match="score"):
        level_for(score)


def test_level_names_match_the_api() -> None:
    assert [level.value for level in Level] == ["low", "mid_low", "mid", "mid_high", "high"]


@pytest.mark.parametrize(
    ("age", "points"),
    [
        (18, 50),
        (25, 50),
        (26, 49),
        (34, 41),
        (44, 31),
        (54, 21),
        (64, 11),
        (74, 1),
        (75, 0),
        (90, 0),
    ],
)
def test_age_score(age: int, points: int) -> None:
    assert age_score(age) == points


@pytest.mark.parametrize(
    ("pct", "points"),
    [(0, 0), (1, 2), (10, 20), (24, 48), (25, 50), (26, 50), (100, 50)],
)
def test_loss_score(pct: int, points: int) -> None:
    assert loss_score(pct) == points


@pytest.mark.parametrize("pct", [-1, 101])
def test_loss_score_rejects_percent_outside_0_to_100(pct: int) -> None:
    with pytest.raises(ValueError, match="max_loss_pct"):
        loss_score(pct)


@pytest.mark.parametrize(("option", "points"), [(1, 10), (2, 8), (3, 6), (4, 4), (5, 2)])
def test_option_points(option: int, points: int) -> None:
    assert option_points(option) == points


@pytest.mark.parametrize("option", [0, 6])
def test_option_points_rejects_unknown_option(option: int) -> None:
    with pytest.raises(ValueError, match="option"):
        option_points(option)


# --- answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", OPTION_FIELDS)
@pytest.mark.parametrize("bad", [0, 6, -1])
def test_answers_reject_option_outside_1_to_5_naming_the_field(field: str, bad: int) -> None:
    with pytest.raises(ValueError, match=field):
        make_answers(**{field: bad})


@pytest.mark.parametrize("bad", [-1, 101])
def test_answers_reject_loss_outside_0_to_100(bad: int) -> None:
    with pytest.raises(ValueError, match="max_loss_pct"):
        make_answers(max_loss_pct=bad)


@pytest.mark.parametrize("bad", [True, 2.0, "2", None])
def test_answers_reject_non_integers(bad: object) -> None:
    with pytest.raises(TypeError, match="job"):
        make_answers(job=bad)  # type: ignore[arg-type]


def test_answers_accept_the_range_ends() -> None:
    make_answers(**dict.fromkeys(OPTION_FIELDS, 1), max_loss_pct=0)
    make_answers(**dict.fromkeys(OPTION_FIELDS, 5), max_loss_pct=100)


def test_answers_are_frozen() -> None:
    answers = make_answers()
    with pytest.raises(FrozenInstanceError):
        answers.job = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("answers", "age", "expected"),
    [
        (all_options(1, 0), 25, 100),  # 50 + 5 x 10
        (all_options(5, 0), 75, 10),  # 0 + 5 x 2
        (all_options(3, 0), 31, 74),  # 44 + 5 x 6
        (make_answers(job=1, burden=2, assets=3, experience=4, knowledge=5), 44, 61),  # 31 + 30
    ],
)
def test_capacity_score(answers: Answers, age: int, expected: int) -> None:
    assert capacity_score(answers, age) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (all_options(1, 25), 100),  # 50 + 5 x 10
        (all_options(1, 100), 100),  # loss capped at 50
        (all_options(5, 0), 10),  # 0 + 5 x 2
        (make_answers(priority=2, stop_loss=2, if_loss=3, watching=3, results=4), 52),  # 20 + 32
    ],
)
def test_tolerance_score(answers: Answers, expected: int) -> None:
    assert tolerance_score(answers) == expected


def test_capacity_ignores_tolerance_items_and_vice_versa() -> None:
    base = make_answers()
    changed_tolerance = replace(base, priority=1, stop_loss=1, max_loss_pct=40)
    changed_capacity = replace(base, job=1, knowledge=5)
    assert capacity_score(changed_tolerance, 40) == capacity_score(base, 40)
    assert tolerance_score(changed_capacity) == tolerance_score(base)


# --- allocation table and suitability ----------------------------------------------------------

L, ML, M, MH, H = Level.LOW, Level.MID_LOW, Level.MID, Level.MID_HIGH, Level.HIGH


@pytest.mark.parametrize(
    ("tolerance", "capacity", "low", "mid", "high"),
    [
        (L, L, 70, 20, 10),
        (L, ML, 50, 40, 10),
        (L, M, 40, 40, 20),
        (L, MH, 20, 50, 30),
        (L, H, 0, 50, 50),
        (ML, L, 50, 40, 10),
        (ML, ML, 40, 40, 20),
        (ML, M, 20, 50, 30),
        (ML, MH, 0, 50, 50),
        (ML, H, 0, 40, 60),
        (M, L, 40, 40, 20),
        (M, ML, 20, 50, 30),
        (M, M, 0, 50, 50),
        (M, MH, 0, 40, 60),
        (M, H, 0, 30, 70),
        (MH, L, 20, 30, 50),  # as in the source, though the pattern would suggest 0/50/50
        (MH, ML, 0, 50, 50),
        (MH, M, 0, 40, 60),
        (MH, MH, 0, 30, 70),
        (MH, H, 0, 20, 80),
        (H, L, 0, 50, 50),
        (H, ML, 0, 40, 60),
        (H, M, 0, 30, 70),
        (H, MH, 0, 20, 80),
        (H, H, 0, 10, 90),
    ],
)
def test_allocation_table_cell(
    tolerance: Level, capacity: Level, low: int, mid: int, high: int
) -> None:
    assert ALLOCATION_TABLE[(tolerance, capacity)] == Allocation(low=low, mid=mid, high=high)


def test_allocation_table_has_exactly_25_cells() -> None:
    assert len(ALLOCATION_TABLE) == 25


@pytest.mark.parametrize(
    ("capacity", "tolerance", "risk_level"),
    [
        (L, L, RiskLevel.C1),
        (L, H, RiskLevel.C1),
        (H, L, RiskLevel.C1),
        (ML, M, RiskLevel.C2),
        (H, ML, RiskLevel.C2),
        (MH, M, RiskLevel.C3),
        (M, H, RiskLevel.C3),
        (MH, H, RiskLevel.C4),
        (MH, MH, RiskLevel.C4),
        (H, H, RiskLevel.C5),
    ],
)
def test_suitability_is_the_lower_level(
    capacity: Level, tolerance: Level, risk_level: RiskLevel
) -> None:
    assert suitability_level(capacity, tolerance) == risk_level


# --- assess_risk end to end -------------------------------------------------------------------


def test_assess_risk_reproduces_the_api_example() -> None:
    # Age 31 on the day → A = 44; five option-3 answers → B = 30; capacity 74.
    # 10 % loss → C = 20; D = 8 + 8 + 6 + 6 + 4 = 32; tolerance 52.
    answers = make_answers(priority=2, stop_loss=2, if_loss=3, watching=3, results=4)
    result = assess_risk(answers, birth_date=date(1995, 11, 22), assessed_on=date(2026, 11, 22))
    assert result.capacity_score == 74
    assert result.capacity_level == Level.MID_HIGH
    assert result.tolerance_score == 52
    assert result.tolerance_level == Level.MID
    assert result.allocation == Allocation(low=0, mid=40, high=60)
    assert result.risk_level == RiskLevel.C3
    assert result.assessed_on == date(2026, 11, 22)
    assert result.valid_until == date(2028, 11, 22)


@pytest.mark.parametrize(
    ("answers", "birth_date", "scores", "allocation", "risk_level"),
    [
        (all_options(1, 30), date(2001, 1, 1), (100, 100), Allocation(0, 10, 90), RiskLevel.C5),
        (all_options(5, 0), date(1940, 1, 1), (10, 10), Allocation(70, 20, 10), RiskLevel.C1),
        # tolerance mid_high (50 + 10), capacity low (0 + 10): the irregular source cell
        (all_options(5, 25), date(1950, 1, 1), (10, 60), Allocation(20, 30, 50), RiskLevel.C1),
    ],
)
def test_assess_risk_table(
    answers: Answers,
    birth_date: date,
    scores: tuple[int, int],
    allocation: Allocation,
    risk_level: RiskLevel,
) -> None:
    result = assess_risk(answers, birth_date=birth_date, assessed_on=date(2026, 6, 1))
    assert (result.capacity_score, result.tolerance_score) == scores
    assert result.allocation == allocation
    assert result.risk_level == risk_level


@pytest.mark.parametrize(
    ("birth_date", "age", "capacity"),
    [
        (date(1995, 11, 21), 31, 74),  # birthday was yesterday
        (date(1995, 11, 22), 31, 74),  # birthday is today
        (date(1995, 11, 23), 30, 75),  # birthday is tomorrow
    ],
)
def test_age_is_taken_on_the_assessment_day(birth_date: date, age: int, capacity: int) -> None:
    on = date(2026, 11, 22)
    assert age_on(birth_date, on) == age
    assert assess_risk(make_answers(), birth_date=birth_date, assessed_on=on).capacity_score == (
        capacity
    )


@pytest.mark.parametrize(
    ("birth_date", "on", "age"),
    [
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2000, 2, 29), date(2025, 2, 28), 24),
        (date(2000, 2, 29), date(2025, 3, 1), 25),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
        (date(1999, 12, 31), date(2000, 1, 1), 0),
    ],
)
def test_age_on(birth_date: date, on: date, age: int) -> None:
    assert age_on(birth_date, on) == age


def test_age_on_rejects_a_day_before_birth() -> None:
    with pytest.raises(ValueError, match="before birth date"):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


@pytest.mark.parametrize(
    ("assessed_on", "years", "valid_until"),
    [
        (date(2026, 11, 22), 2, date(2028, 11, 22)),
        (date(2024, 2, 29), 2, date(2026, 2, 28)),
        (date(2028, 2, 29), 2, date(2030, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2025, 12, 31), 1, date(2026, 12, 31)),
    ],
)
def test_valid_until(assessed_on: date, years: int, valid_until: date) -> None:
    result = assess_risk(
        make_answers(),
        birth_date=date(1980, 5, 5),
        assessed_on=assessed_on,
        validity_years=years,
    )
    assert result.valid_until == valid_until


def test_default_validity_is_two_years() -> None:
    assert ASSESSMENT_VALIDITY_YEARS == 2
    result = assess_risk(make_answers(), birth_date=date(1980, 5, 5), assessed_on=date(2025, 3, 1))
    assert result.valid_until == date(2027, 3, 1)
