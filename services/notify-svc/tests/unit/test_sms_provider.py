"""The SMS provider adapter's pure parts: length in segments and cost, Aliyun's error-code
table (each row), the report push's token and network checks, the provider settings, and the
request-rate limit."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from notify_svc.config import Settings
from notify_svc.delivery.aliyun import (
    ALIYUN_CODE_OUTCOMES,
    AliyunSms,
    address_allowed,
    classify_aliyun,
    report_of,
    send_days,
    token_matches,
)
from notify_svc.delivery.channels import Outgoing
from notify_svc.delivery.rules import SendOutcome, sms_chars, sms_cost, sms_segments
from notify_svc.delivery.sms import SmsGateway, build_sms_sender
from notify_svc.rules import BEIJING

SIGN = "某某证券"  # 【某某证券】 is 6 characters
PG_URL = "postgresql+asyncpg://notify@db:5432/notify"
JWT = "a-production-jwt-secret-of-enough-length-0123456789"
SECRET = "an-aliyun-access-key-secret-0123456789"
TOKEN = "an-aliyun-report-token-0123456789abcdef"

# --- segments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text_chars", "segments"),
    [
        (0, 1),
        (64, 1),  # 6 + 64 = 70: still one SMS
        (65, 2),  # 71: split, 67 per part
        (128, 2),  # 134 = 2 x 67
        (129, 3),  # 135
        (195, 3),  # 201 = 3 x 67
        (196, 4),
    ],
)
def test_segments_are_70_for_one_sms_and_67_per_part_when_split(
    text_chars: int, segments: int
) -> None:
    assert sms_segments("字" * text_chars, SIGN) == segments


def test_chinese_ascii_digits_punctuation_and_spaces_each_count_one() -> None:
    assert sms_chars("尊敬的Zhang 3,", SIGN) == 6 + 3 + 5 + 1 + 1 + 1
    assert sms_segments("a" * 64, SIGN) == sms_segments("中" * 64, SIGN) == 1
    assert sms_segments("a" * 65, SIGN) == sms_segments("中" * 65, SIGN) == 2


def test_cost_is_segments_times_numbers_times_price_in_decimal() -> None:
    price = Decimal("0.045")
    assert sms_cost(3, numbers=2, price_per_segment=price) == Decimal("0.270")
    assert sms_cost(0, numbers=5, price_per_segment=price) == Decimal(0)
    with pytest.raises(ValueError):
        sms_cost(-1, numbers=1, price_per_segment=price)


# --- Aliyun's code table -----------------------------------------------------------------

# What each code means, from Aliyun's API error-code page, and what the sender must do.
EXPECTED_ALIYUN: dict[str, SendOutcome] = {
    "OK": SendOutcome.ACCEPTED,
    "isv.BUSINESS_LIMIT_CONTROL": SendOutcome.DEFER,  # this number's frequency cap
    "Throttling.User": SendOutcome.RETRY,  # the API's QPS
    "Throttling.Api": SendOutcome.RETRY,
    "Throttling": SendOutcome.RETRY,
    "isp.SYSTEM_ERROR": SendOutcome.RETRY,
    "ServiceUnavailable": SendOutcome.RETRY,
    "InternalError": SendOutcome.RETRY,
    "isv.MOBILE_NUMBER_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.MOBILE_COUNT_OVER_LIMIT": SendOutcome.PERMANENT_FAILURE,
    "isv.TEMPLATE_MISSING_PARAMETERS": SendOutcome.PERMANENT_FAILURE,
    "isv.TEMPLATE_PARAMS_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.INVALID_JSON_PARAM": SendOutcome.PERMANENT_FAILURE,
    "isv.INVALID_PARAMETERS": SendOutcome.PERMANENT_FAILURE,
    "isv.PARAM_LENGTH_LIMIT": SendOutcome.PERMANENT_FAILURE,
    "isv.PARAM_NOT_SUPPORT_URL": SendOutcome.PERMANENT_FAILURE,
    "isv.SMS_CONTENT_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": SendOutcome.PERMANENT_FAILURE,
    "isv.BLACK_KEY_CONTROL_LIMIT": SendOutcome.SUPPRESS,
    "isv.PHONE_NUMBER_IN_BLACKLIST": SendOutcome.SUPPRESS,
    "isv.CUSTOMER_REFUSED": SendOutcome.SUPPRESS,
    "isv.SMS_SIGNATURE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SMS_SIGN_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SIGN_STATE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SMS_TEMPLATE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.AMOUNT_NOT_ENOUGH": SendOutcome.OPEN_CIRCUIT,
    "isv.OUT_OF_SERVICE": SendOutcome.OPEN_CIRCUIT,
    "isv.DAY_LIMIT_CONTROL": SendOutcome.OPEN_CIRCUIT,
    "isv.MONTH_LIMIT_CONTROL": SendOutcome.OPEN_CIRCUIT,
    "isv.PRODUCT_UN_SUBSCRIPT": SendOutcome.OPEN_CIRCUIT,
    "isv.PRODUCT_UNSUBSCRIBE": SendOutcome.OPEN_CIRCUIT,
    "isv.ACCOUNT_NOT_EXISTS": SendOutcome.OPEN_CIRCUIT,
    "isv.ACCOUNT_ABNORMAL": SendOutcome.OPEN_CIRCUIT,
    "isv.DENY_IP_RANGE": SendOutcome.OPEN_CIRCUIT,
    "isp.RAM_PERMISSION_DENY": SendOutcome.OPEN_CIRCUIT,
    "InvalidAccessKeyId.NotFound": SendOutcome.OPEN_CIRCUIT,
    "SignatureDoesNotMatch": SendOutcome.OPEN_CIRCUIT,
    "Forbidden.RAM": SendOutcome.OPEN_CIRCUIT,
}


@pytest.mark.parametrize(("code", "outcome"), sorted(EXPECTED_ALIYUN.items()))
def test_each_aliyun_code_has_its_class(code: str, outcome: SendOutcome) -> None:
    assert classify_aliyun(http_status=200, code=code) == outcome


def test_the_table_has_exactly_the_rows_tested() -> None:
    assert set(ALIYUN_CODE_OUTCOMES) == set(EXPECTED_ALIYUN)


@pytest.mark.parametrize(
    ("http_status", "code", "outcome"),
    [
        (200, "isp.SOMETHING_NEW", SendOutcome.RETRY),  # provider side: retry, bounded
        (400, "Throttling.Something", SendOutcome.RETRY),
        (503, "Unlisted", SendOutcome.RETRY),
        (429, None, SendOutcome.RETRY),
        (403, "Unlisted", SendOutcome.OPEN_CIRCUIT),
        (400, "Unlisted", SendOutcome.PERMANENT_FAILURE),
        (200, "isv.SOMETHING_NEW", SendOutcome.PERMANENT_FAILURE),
        (200, None, SendOutcome.UNKNOWN),  # no readable answer: it may have been taken
    ],
)
def test_codes_not_in_the_table(http_status: int, code: str | None, outcome: SendOutcome) -> None:
    assert classify_aliyun(http_status=http_status, code=code) == outcome


def test_codes_shared_with_the_generic_contract_keep_its_class() -> None:
    from notify_svc.delivery.sms import SEND_CODE_OUTCOMES

    shared = set(SEND_CODE_OUTCOMES) & set(ALIYUN_CODE_OUTCOMES)
    assert len(shared) == len(SEND_CODE_OUTCOMES)
    for code in shared:
        assert ALIYUN_CODE_OUTCOMES[code] == SEND_CODE_OUTCOMES[code], code


# --- the report push's checks ------------------------------------------------------------


def test_report_token_must_match_exactly() -> None:
    assert token_matches(TOKEN, TOKEN)
    assert not token_matches(TOKEN[:-1], TOKEN)
    assert not token_matches(TOKEN + "x", TOKEN)
    assert not token_matches("", TOKEN)
    assert not token_matches("", None)  # none configured: every push refused
    assert not token_matches("anything", "")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("100.104.3.4", True),
        ("100.105.0.1", False),
        ("47.96.1.10", True),
        ("47.96.1.11", False),
        ("not-an-ip", False),
        (None, False),
    ],
)
def test_report_caller_must_be_in_the_allowed_networks(host: str | None, allowed: bool) -> None:
    assert address_allowed(host, ["100.104.0.0/16", "47.96.1.10/32"]) is allowed


def test_no_networks_listed_lets_any_caller_through() -> None:
    assert address_allowed("203.0.113.1", [])


# --- settings ------------------------------------------------------------------------------


def aliyun(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "production",
        "database_url": PG_URL,
        "auth_jwt_secret": JWT,
        "sms_provider": "aliyun",
        "aliyun_access_key_id": "LTAI5tKeyId",
        "aliyun_access_key_secret": SECRET,
        "aliyun_sms_templates": {"TIER_UP": "SMS_468000001"},
        "aliyun_report_token": TOKEN,
        "aliyun_report_allowed_ips": ("100.104.0.0/16",),
    }
    return Settings(**{**values, **overrides})


def test_aliyun_in_production_needs_no_generic_gateway_key() -> None:
    s = aliyun()
    assert s.sms_gateway_key == ""
    assert s.sms_sign == s.sms_sign_name  # no ALIYUN_SMS_SIGN_NAME: SMS_SIGN_NAME
    assert aliyun(aliyun_sms_sign_name="另一签名").sms_sign == "另一签名"


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"aliyun_access_key_secret": "short"}, "ALIYUN_ACCESS_KEY_SECRET"),
        ({"aliyun_access_key_secret": None}, "ALIYUN_ACCESS_KEY_SECRET"),
        ({"aliyun_access_key_id": ""}, "ALIYUN_ACCESS_KEY_ID"),
        ({"aliyun_report_token": "short"}, "ALIYUN_REPORT_TOKEN"),
        ({"aliyun_report_token": None}, "ALIYUN_REPORT_TOKEN"),
        ({"aliyun_report_allowed_ips": ()}, "ALIYUN_REPORT_ALLOWED_IPS"),
        ({"aliyun_report_allowed_ips": ("10.0.0.300/8",)}, "aliyun_report_allowed_ips"),
        ({"aliyun_sms_templates": {}}, "ALIYUN_SMS_TEMPLATES"),
    ],
)
def test_aliyun_in_production_refuses_missing_or_weak_secrets(
    overrides: dict[str, Any], names: str
) -> None:
    with pytest.raises(ValidationError, match=names):
        aliyun(**overrides)


def test_the_configured_provider_is_built() -> None:
    assert isinstance(build_sms_sender(Settings(environment="test")), SmsGateway)
    sender = build_sms_sender(aliyun(environment="test"))
    assert isinstance(sender, AliyunSms)
    assert sender.provider == "aliyun"
    assert sender.max_batch == 1000


# --- request rate ----------------------------------------------------------------------------


class CountingClient:
    """An SDK client that answers OK at once and notes when it was called."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def send_sms_with_options_async(self, request: Any, runtime: Any) -> Any:
        from alibabacloud_dysmsapi20170525 import models as dysms

        self.calls.append(time.monotonic())
        body = dysms.SendSmsResponseBody(code="OK", biz_id="1^0", request_id="r")
        return dysms.SendSmsResponse(status_code=200, body=body)


async def test_sends_are_paced_at_the_configured_rate() -> None:
    client = CountingClient()
    sender = AliyunSms(aliyun(environment="test", sms_rate_per_s=20.0), client=client)
    item = Outgoing("m1", ["13900000001"], None, {"x": "1"}, our_template_code="TIER_UP")

    for _ in range(30):
        assert (await sender.send(item)).outcome == SendOutcome.ACCEPTED

    # A leaky bucket of 20 per second lets 20 through at once, then one each 50 ms.
    assert client.calls[-1] - client.calls[0] >= 10 * 0.05 * 0.9


# --- send details as reports -------------------------------------------------------------


@pytest.mark.parametrize(
    ("beijing", "days"),
    [
        ("2026-11-20T10:00:00", ["2026-11-20"]),
        ("2026-11-20T23:49:59", ["2026-11-20"]),
        ("2026-11-20T23:55:00", ["2026-11-20", "2026-11-21"]),  # filed either side of midnight
        ("2026-11-21T00:00:01", ["2026-11-21"]),
    ],
)
def test_send_details_are_asked_on_the_beijing_day_of_the_send(
    beijing: str, days: list[str]
) -> None:
    sent_at = datetime.fromisoformat(beijing).replace(tzinfo=BEIJING).astimezone(UTC)
    assert [d.isoformat() for d in send_days(sent_at)] == days


@pytest.mark.parametrize(("send_status", "success"), [(3, True), (2, False), (1, None)])
def test_a_send_detail_becomes_a_report_only_when_final(
    send_status: int, success: bool | None
) -> None:
    detail = SimpleNamespace(
        send_status=send_status,
        phone_num="13900000001",
        send_date="2026-11-20 10:00:10",
        receive_date="2026-11-20 10:00:13",
        err_code="DELIVERED" if send_status == 3 else "MK:0001",
    )
    report = report_of(detail, out_id="m1")
    if success is None:
        assert report is None
    else:
        assert report is not None
        assert report["success"] is success
        assert (report["out_id"], report["phone_number"]) == ("m1", "13900000001")
