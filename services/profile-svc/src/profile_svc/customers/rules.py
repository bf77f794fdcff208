"""Pure customer-file rules: age, the ID number and mobile number, masking, status, experience."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

import phonenumbers

__all__ = [
    "CONTACT_CHANNELS",
    "CustomerStatus",
    "Gender",
    "InvestorCategory",
    "StockTime",
    "TradingRecord",
    "add_years",
    "age_on",
    "birth_date_from_id",
    "birth_month_day",
    "experience_years",
    "gender_from_id",
    "id_number_check_digit",
    "mask_id_number",
    "mask_phone",
    "normalize_mobile",
    "validate_id_number",
]


# --- Age (周岁) -----------------------------------------------------------------------------------


def age_on(birth_date: date, on: date) -> int:
    """Age in completed years (周岁) on the given day; born 29 February, a year older on 1 March."""
    if on < birth_date:
        raise ValueError(f"date {on.isoformat()} is before birth date {birth_date.isoformat()}")
    birthday_not_reached = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(birthday_not_reached)


def add_years(day: date, years: int) -> date:
    """Return the same calendar day `years` later; 29 February becomes 28 February if needed."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --- Identity: resident ID number (身份证号) and mobile phone (手机号) ---------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"\d{17}[\dX]")


def id_number_check_digit(first17: str) -> str:
    """Check character (校验码) of an 18-digit ID number, GB 11643-1999 (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("the first 17 characters of an ID number must be 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def validate_id_number(id_number: str) -> str:
    """Validate an 18-character resident ID number (居民身份证号码); return it with an upper X.

    Surrounding whitespace is ignored. The embedded birth date must be a real calendar day.
    """
    normalised = id_number.strip().upper()
    if len(normalised) != 18:
        raise ValueError(f"ID number must be 18 characters, got {len(normalised)}")
    if not normalised.isascii() or not _ID_PATTERN.fullmatch(normalised):
        raise ValueError("ID number must be 17 digits followed by a digit or X")
    _birth_date(normalised)
    expected = id_number_check_digit(normalised[:17])
    if normalised[17] != expected:
        raise ValueError("ID number check digit does not match")
    return normalised


def _birth_date(id_number: str) -> date:
    digits = id_number[6:14]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValueError(f"ID number contains an invalid birth date {digits}") from None


def birth_date_from_id(id_number: str) -> date:
    """Birth date (出生日期) encoded in characters 7-14 of a valid ID number."""
    return _birth_date(validate_id_number(id_number))


# Only digits, spaces, hyphens and an optional leading "+": phonenumbers would otherwise read
# letters as a phone keypad (vanity numbers).
_PHONE_CHARS = re.compile(r"\+?[\d\s-]+")


def normalize_mobile(phone: str) -> str:
    """Mainland China mobile number (手机号) as its 11-digit national form, e.g. 13800001234."""
    if not _PHONE_CHARS.fullmatch(phone.strip()):
        raise ValueError("mobile number may contain only digits, spaces, hyphens and a leading +")
    try:
        parsed = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid mainland China phone number")
    if phonenumbers.number_type(parsed) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValueError("not a mobile number")
    return phonenumbers.national_significant_number(parsed)


def _mask_middle(value: str, keep_first: int, keep_last: int) -> str:
    # Too short to keep both ends without revealing most of it: hide everything.
    if len(value) <= keep_first + keep_last:
        return "*" * len(value)
    hidden = len(value) - keep_first - keep_last
    return value[:keep_first] + "*" * hidden + value[-keep_last:]


def mask_phone(phone: str) -> str:
    """Masked phone number for display and logs: 13800001234 → 138****1234."""
    return _mask_middle(phone, 3, 4)


def phone_last4(phone: str) -> str:
    """The last four digits, the part of a masked phone (138****1234) staff search by."""
    return phone[-4:]


def mask_id_number(id_number: str) -> str:
    """Masked ID number (身份证号, sensitive): first 3 and last 4 characters kept."""
    return _mask_middle(id_number, 3, 4)


# --- Identity details derived from the ID number -----------------------------------------------


class Gender(StrEnum):
    """Gender (性别) as the resident ID number encodes it."""

    MALE = "male"
    FEMALE = "female"


def gender_from_id(id_number: str) -> Gender:
    """Gender encoded in a valid ID number: the 17th character is odd for men, even for women."""
    return Gender.MALE if int(validate_id_number(id_number)[16]) % 2 else Gender.FEMALE


def birth_month_day(birth_date: date) -> str:
    """Birthday without the year ("MM-DD"): enough for a birthday greeting, not an identifier."""
    return f"{birth_date.month:02d}-{birth_date.day:02d}"


# --- Customer vocabulary (客户档案), domain.md §1 ----------------------------------------------


class CustomerStatus(StrEnum):
    """Account status: active, transfer requested (申请转托管/撤指定), transferred out, dormant."""

    ACTIVE = "active"
    TRANSFER_REQUESTED = "transfer_requested"
    TRANSFERRED_OUT = "transferred_out"
    DORMANT = "dormant"


class InvestorCategory(StrEnum):
    """Investor category: ordinary (普通投资者) or professional (专业投资者)."""

    ORDINARY = "ordinary"
    PROFESSIONAL = "professional"


CONTACT_CHANNELS: tuple[str, ...] = ("sms", "phone", "im", "email")
"""Preferred contact channels a customer may choose (短信, 电话, 即时通讯, 邮件)."""


# --- Experience (seed 001: 入市时间, 用于股票投资活动的时间, 以往操作记录) ------------------------


class StockTime(StrEnum):
    """Time the customer spends on stocks (用于股票投资活动的时间)."""

    LITTLE = "little"  # little time: long-term picks, tracked for them
    MODERATE = "moderate"
    MUCH = "much"  # much time and energy: shorter cycles, active names


class TradingRecord(StrEnum):
    """Past trading record (以往操作记录)."""

    SUCCESSFUL = "successful"  # confident: watch the risk of their holdings
    MIXED = "mixed"
    UNSUCCESSFUL = "unsuccessful"


def experience_years(market_entry_year: int | None, on: date) -> int | None:
    """Years since the customer first entered the market (入市时间); None when unknown."""
    if market_entry_year is None:
        return None
    if market_entry_year > on.year:
        raise ValueError(f"market entry year {market_entry_year} is after {on.year}")
    return on.year - market_entry_year
