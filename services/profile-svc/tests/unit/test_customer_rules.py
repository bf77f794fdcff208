"""Table-driven tests of the customer-file rules: ID number, mobile number, masking, gender,
birthday, status after a transfer request, experience; expected values come from the spec."""

from __future__ import annotations

from datetime import date

import pytest

from profile_svc.customers.rules import (
    CustomerStatus,
    Gender,
    birth_date_from_id,
    birth_month_day,
    experience_years,
    gender_from_id,
    id_number_check_digit,
    mask_id_number,
    mask_phone,
    normalize_mobile,
    phone_last4,
    validate_id_number,
)
from profile_svc.transfers.rules import status_after_transfer_request

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


def test_phone_last4_is_what_the_masked_phone_shows_at_its_end() -> None:
    assert phone_last4("13800001234") == "1234"
    assert mask_phone("13800001234") == "138****" + phone_last4("13800001234")
