"""Phone and ID numbers never reach a log line; order numbers and trade ids stay readable."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from brokerage_common.logging import configure_logging, mask_pii

PHONE = "13800001234"
ID_NUMBER = "110101199003071234"
ID_NUMBER_X = "11010119900307123X"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13800001234", "138****1234"),
        ("+8613800001234", "138****1234"),
        ("8613800001234", "138****1234"),
        ("+86 13800001234", "138****1234"),
        ("19912345678", "199****5678"),
        ("110101199003071234", "110***********1234"),
        ("11010119900307123X", "110***********123X"),
        ("11010119900307123x", "110***********123x"),
        ("call 13800001234 now", "call 138****1234 now"),
        ("tel:13800001234,id:110101199003071234.", "tel:138****1234,id:110***********1234."),
        (
            "客户手机号13800001234，身份证号110101199003071234。",
            "客户手机号138****1234，身份证号110***********1234。",
        ),
        (
            '{"phone": "13800001234", "id_number": "110101199003071234"}',
            '{"phone": "138****1234", "id_number": "110***********1234"}',
        ),
        ("/v1/routing?phone=13800001234&x=1", "/v1/routing?phone=138****1234&x=1"),
        ("a\n110101199003071234\n13800001234", "a\n110***********1234\n138****1234"),
        ("id110101199003071234 tel13800001234", "id110***********1234 tel138****1234"),
        # Written in groups, with dashes, in full-width digits (issue 16).
        ("139 1234 5678", "139****5678"),
        ("139-1234-5678", "139****5678"),
        ("+86 139 1234 5678", "139****5678"),
        ("+86-139-1234-5678", "139****5678"),
        ("tel: 139 1234 5678.", "tel: 139****5678."),
        ("１３９１２３４５６７８", "１３９****５６７８"),
        ("１３９ １２３４ ５６７８", "１３９****５６７８"),
        ("１３９－１２３４－５６７８", "１３９****５６７８"),
        ("手机１３９\u3000１２３４\u3000５６７８号", "手机１３９****５６７８号"),
        ("110101 19900307 1234", "110***********1234"),
        ("110101-19900307-123X", "110***********123X"),
        ("1101 0119 9003 0712 34", "110***********1234"),
        ("身份证 110101 19900307 123x。", "身份证 110***********123x。"),
        ("１１０１０１１９９００３０７１２３４", "１１０***********１２３４"),
        ("１１０１０１ １９９００３０７ １２３Ｘ", "１１０***********１２３Ｘ"),
    ],
)
def test_mask_pii_masks_phones_and_id_numbers(raw: str, masked: str) -> None:
    assert mask_pii(raw) == masked


@pytest.mark.parametrize(
    "text",
    [
        "order 202611200918 placed",  # 12-digit order number
        "202611200918",
        "T20261120-000918",
        "trade T20261120-000918 settled",
        "12800001234",  # not a mobile prefix
        "1380000123",  # 10 digits
        "138000012345",  # 12 digits
        "1234567890123456789",  # 19 digits
        "11010119900307123",  # 17 digits
        "C000123 A0000123 600519",
        "amount 152000.00 commission 38.00",
        "2026-11-20T15:31:07+08:00",
        "2026-11-20 15:31:07",
        "139 1234 567",  # 10 digits in groups
        "139-1234-56789",  # 12 digits in groups
        "139  1234  5678",  # two spaces: separate numbers, not one
        "120 1234 5678",  # not a mobile prefix
        "1101 0119 9003 0712 3",  # 17 digits in groups
        "offsets 1075 1076 1077",
    ],
)
def test_mask_pii_leaves_other_numbers_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_mask_pii_masks_every_occurrence() -> None:
    text = " ".join([PHONE, "x", "13900001111", ID_NUMBER, ID_NUMBER_X])
    out = mask_pii(text)
    assert out == "138****1234 x 139****1111 110***********1234 110***********123X"


# The loggers configure_logging routes: a test before this one may have left them in any
# state (a uvicorn server started with access_log=False switches uvicorn.access off for the
# whole process: no handler, no propagation).
ROUTED = ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "sqlalchemy", "alembic")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Each test starts from loggers as a fresh process has them, and leaves them as it found
    them."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    saved = {}
    for name in ROUTED:
        lg = logging.getLogger(name)
        saved[name] = (lg.handlers[:], lg.propagate, lg.level, lg.disabled)
        lg.handlers, lg.propagate, lg.disabled = [], True, False
        lg.setLevel(logging.NOTSET)
    yield
    root.handlers = handlers
    root.setLevel(level)
    for name, (lg_handlers, propagate, lg_level, disabled) in saved.items():
        lg = logging.getLogger(name)
        lg.handlers, lg.propagate, lg.disabled = lg_handlers, propagate, disabled
        lg.setLevel(lg_level)


def _raw_numbers_absent(text: str) -> None:
    assert PHONE not in text
    assert ID_NUMBER not in text
    assert ID_NUMBER_X not in text
    assert "00001234" not in text  # no partial leak of the phone's middle digits


@pytest.mark.usefixtures("restore_logging")
def test_configured_json_logging_never_writes_the_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service="test-svc", level="INFO", json=True)
    log = logging.getLogger("brokerage.test")
    log.info("customer phone %s registered", PHONE)
    log.info("客户手机号%s，身份证号%s", PHONE, ID_NUMBER)
    log.info("multi-line\n%s\n%s", ID_NUMBER, PHONE)
    log.info(
        "lookup",
        extra={
            "phone": PHONE,
            "phone_int": int(PHONE),
            "id_number": ID_NUMBER_X,
            "nested": {"contacts": [PHONE, {"id": ID_NUMBER}], PHONE: "as a key"},
            "query": f"phone={PHONE}",
        },
    )
    try:
        raise ValueError(f"bad phone {PHONE} for id {ID_NUMBER}")
    except ValueError:
        log.exception("registration failed")
    logging.getLogger("uvicorn.access").info('GET /v1/routing?phone=%s HTTP/1.1" 200', PHONE)

    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 6
    _raw_numbers_absent(err)
    records = [json.loads(line) for line in lines]  # every line stays valid JSON
    assert all(r["service"] == "test-svc" for r in records)
    assert records[0]["message"] == "customer phone 138****1234 registered"
    assert records[0]["level"] == "INFO"
    assert records[1]["message"] == "客户手机号138****1234，身份证号110***********1234"
    assert records[2]["message"] == "multi-line\n110***********1234\n138****1234"
    extra = records[3]
    assert extra["phone"] == "138****1234"
    assert extra["phone_int"] == "138****1234"
    assert extra["id_number"] == "110***********123X"
    assert extra["nested"]["contacts"] == ["138****1234", {"id": "110***********1234"}]
    assert extra["nested"]["138****1234"] == "as a key"
    assert extra["query"] == "phone=138****1234"
    assert records[4]["level"] == "ERROR"
    assert "ValueError: bad phone 138****1234 for id 110***********1234" in records[4]["exc_info"]
    assert records[5]["logger"] == "uvicorn.access"
    assert "phone=138****1234" in records[5]["message"]


@pytest.mark.usefixtures("restore_logging")
def test_configured_text_logging_never_writes_the_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service="test-svc", level="DEBUG", json=False)
    log = logging.getLogger("brokerage.test")
    log.debug("phone=%s id=%s", PHONE, ID_NUMBER)
    try:
        raise RuntimeError(f"duplicate phone {PHONE}")
    except RuntimeError:
        log.exception("客户%s注册失败", PHONE)
    err = capsys.readouterr().err
    _raw_numbers_absent(err)
    assert "phone=138****1234 id=110***********1234" in err
    assert "RuntimeError: duplicate phone 138****1234" in err
    assert "客户138****1234注册失败" in err


@pytest.mark.usefixtures("restore_logging")
def test_configured_logging_keeps_order_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="test-svc")
    logging.getLogger("brokerage.test").warning("order 202611200918 trade T20261120-000918")
    record = json.loads(capsys.readouterr().err.strip())
    assert record["message"] == "order 202611200918 trade T20261120-000918"
    assert record["level"] == "WARNING"


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_sets_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="test-svc", level="warning")
    log = logging.getLogger("brokerage.test")
    log.info("hidden")
    log.warning("shown")
    err = capsys.readouterr().err
    assert "hidden" not in err
    assert "shown" in err


@pytest.mark.usefixtures("restore_logging")
def test_an_access_log_switched_off_stays_off(capsys: pytest.CaptureFixture[str]) -> None:
    """uvicorn --no-access-log leaves uvicorn.access with no handler and no propagation;
    routed to the root again, uvicorn would build every request's access-log line."""
    access = logging.getLogger("uvicorn.access")
    saved = access.handlers[:], access.propagate
    try:
        access.handlers, access.propagate = [], False  # what --no-access-log does
        configure_logging(service="test-svc")
        assert access.propagate is False
        assert not access.hasHandlers()  # uvicorn's test for logging requests at all
        access.propagate = True  # uvicorn's default: the access log is on, and masked
        configure_logging(service="test-svc")
        assert access.hasHandlers()
        access.info('GET /v1/routing?phone=%s HTTP/1.1" 200', PHONE)
        assert "138****1234" in capsys.readouterr().err
    finally:
        access.handlers, access.propagate = saved
