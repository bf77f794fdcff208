"""Table-driven tests of profile-svc domain rules; expected values come from the spec."""

from dataclasses import FrozenInstanceError, replace
from datetime import date
from decimal import Decimal

import pytest

from profile_svc.rules import (
    ALLOCATION_TABLE,
    ASSESSMENT_VALIDITY_YEARS,
    LIFE_STAGE_FOCUS,
    MOST_IMPORTANT_SEGMENT,
    VALUE_SEGMENTS,
    Allocation,
    Answers,
    AssetSize,
    FamilyLifeCycle,
    Level,
    LifeStage,
    RiskLevel,
    SegmentThresholds,
    Turnover,
    age_on,
    age_score,
    assess_risk,
    asset_size,
    birth_date_from_id,
    capacity_score,
    id_number_check_digit,
    level_for,
    life_stage,
    loss_score,
    mask_id_number,
    mask_phone,
    monthly_turnover,
    normalize_mobile,
    option_points,
    suitability_level,
    tolerance_score,
    turnover_class,
    validate_id_number,
    value_segment,
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


# --- resident ID number (身份证号) --------------------------------------------------------------

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]


def with_check_digit(first17: str) -> str:
    """Complete an ID number with the GB 11643-1999 check character, computed here by hand."""
    total = 0
    for position, digit in enumerate(first17):
        total += int(digit) * WEIGHTS[position]
    return first17 + CHECK_CHARS[total % 11]


def full_width(text: str) -> str:
    """Rewrite text in full-width characters, as a Chinese input method may type it."""
    return "".join(chr(ord(char) + 0xFEE0) for char in text)


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        ("11010519491231002", "X"),  # widely published sample number
        ("11010119900307123", with_check_digit("11010119900307123")[-1]),
        ("44030419850101001", with_check_digit("44030419850101001")[-1]),
    ],
)
def test_id_check_digit(first17: str, check: str) -> None:
    assert id_number_check_digit(first17) == check


@pytest.mark.parametrize("first17", ["1101051949123100", "1101051949123100A", "110105194912310021"])
def test_id_check_digit_needs_17_digits(first17: str) -> None:
    with pytest.raises(ValueError, match="17 digits"):
        id_number_check_digit(first17)


@pytest.mark.parametrize(
    ("raw", "normalised", "birth_date"),
    [
        ("11010519491231002X", "11010519491231002X", date(1949, 12, 31)),
        ("11010519491231002x", "11010519491231002X", date(1949, 12, 31)),
        (" 11010519491231002X ", "11010519491231002X", date(1949, 12, 31)),
        (with_check_digit("11010119900307123"), "110101199003071233", date(1990, 3, 7)),
        (with_check_digit("11010120000229001"), "110101200002290018", date(2000, 2, 29)),
    ],
)
def test_valid_id_number(raw: str, normalised: str, birth_date: date) -> None:
    assert validate_id_number(raw) == normalised
    assert birth_date_from_id(raw) == birth_date


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("110105194912310021", "check digit"),
        ("110101199003071234", "check digit"),
        ("11010519491231002", "18 characters"),
        ("11010519491231002X1", "18 characters"),
        ("", "18 characters"),
        ("1101051949123100AX", "digit or X"),
        ("X1010519491231002X", "digit or X"),
        ("11010519491231002Y", "digit or X"),
        (full_width("11010519491231002X"), "digit or X"),
        (with_check_digit("11010519491331002"), "birth date"),  # month 13
        (with_check_digit("11010519490230002"), "birth date"),  # 30 February
        (with_check_digit("11010519000229002"), "birth date"),  # 1900 was not a leap year
        (with_check_digit("11010519490100002"), "birth date"),  # day 0
    ],
)
def test_invalid_id_number(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_id_number(raw)
    with pytest.raises(ValueError, match=message):
        birth_date_from_id(raw)


# --- mobile phone (手机号) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13800001234", "13800001234"),
        ("+8613800001234", "13800001234"),
        ("+86 138 0000 1234", "13800001234"),
        ("138-0000-1234", "13800001234"),
        ("19912345678", "19912345678"),
    ],
)
def test_valid_mobile(raw: str, normalised: str) -> None:
    assert normalize_mobile(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("01012345678", "not a mobile"),  # Beijing landline
        ("+861012345678", "not a mobile"),  # the same landline in international form
        ("138000012345", "not a valid"),  # 12 digits
        ("1380000123", "not a valid"),  # 10 digits
        ("12000001234", "not a valid"),  # no mobile range starts with 120
        ("+14155552671", "not a valid"),  # not mainland China
        ("+85291234567", "not a valid"),  # Hong Kong mobile
        ("138ABCD1234", "only digits"),  # letters
        ("", "only digits"),
        ("phone", "only digits"),
    ],
)
def test_invalid_mobile(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_mobile(raw)


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13800001234", "138****1234"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("110101199003071234", "110***********1234"),
        ("11010519491231002X", "110***********002X"),
        ("1234567", "*******"),
    ],
)
def test_mask_id_number(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked


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
