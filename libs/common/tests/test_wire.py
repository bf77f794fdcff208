"""The msgspec wire decoder only ever accepts less than the pydantic contract.

Whenever ``wire.fast_decoder`` accepts a message, ``envelope_model(TradeSettled)`` must
accept it too and read the same values (money as equal decimals, the same dates, the same
aware datetime with the same offset, the same strings and integers). What the wire decoder
refuses must raise one of ``wire.FAST_DECODE_ERRORS`` (the consumer then falls back to the
contract) and is otherwise free. Checked on generated and on hand-picked messages.

The contract is read two ways: ``model_validate_json`` on the bytes, and orjson then
``model_validate`` (``events.parse_envelope``, the consumer's fallback). The wire decoder
must agree with both, except where orjson refuses the JSON text itself (a number beyond a
double in an unknown member), which ``model_validate_json`` accepts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from brokerage_common import events as ev
from brokerage_common import wire

EXAMPLE = (
    b'{"specversion":"1.0","id":"0d06e7a3-f3fb-45a0-bee8-9b38e5e3a187","type":"TradeSettled",'
    b'"source":"settlement-system","time":"2026-11-20T15:30:00+08:00","subject":"C000001",'
    b'"datacontenttype":"application/json","data":{"trade_id":"T20261120-000000001-001",'
    b'"customer_id":"C000001","account_id":"A0000001","market":"SH","security_code":"300779",'
    b'"side":"S","quantity":1700,"price":"40.63","amount":"69071.00","commission":"117.42",'
    b'"trade_date":"2026-11-20","settled_on":"2026-11-20"}}'
)
BASE: dict[str, Any] = json.loads(EXAMPLE)
CONTRACT: Any = ev.envelope_model(ev.TradeSettled)


def _decoder() -> Callable[[bytes], Any]:
    decode = wire.fast_decoder({"TradeSettled"})
    assert decode is not None
    return decode


DECODE = _decoder()
MONEY = ("price", "amount", "commission")
TEXT = ("trade_id", "customer_id", "account_id", "market", "security_code", "side")
DATES = ("trade_date", "settled_on")
HYPOTHESIS = settings(max_examples=300, deadline=None, database=None)
MISSING = object()
"""A mutation value: drop the field."""


class Raw:
    """JSON text put into a message as is (invalid UTF-8, deep nesting, NaN...)."""

    def __init__(self, text: bytes) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:60]!r})"


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its members in order; a key may repeat."""


# --------------------------------------------------------------------------- helpers


def dump(value: Any, ensure_ascii: bool = True) -> bytes:
    """JSON bytes of ``value``, with Raw and Pairs (duplicate keys, any order) kept as given."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        value = Pairs(value.items())
    if isinstance(value, Pairs):
        members = (
            dump(k, ensure_ascii) + b":" + dump(v, ensure_ascii)
            for k, v in value
            if v is not MISSING
        )
        return b"{" + b",".join(members) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(dump(v, ensure_ascii) for v in value) + b"]"
    return json.dumps(value, ensure_ascii=ensure_ascii).encode()


def members(
    top: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    *,
    top_extra: Sequence[tuple[str, Any]] = (),
    data_extra: Sequence[tuple[str, Any]] = (),
) -> Pairs:
    """The example's members with fields replaced (MISSING drops one), then some appended."""
    data_pairs = Pairs({**BASE["data"], **(data or {})}.items())
    data_pairs.extend(data_extra)
    # The subject follows a replaced customer id (text): a case about the customer id's own
    # rule must not be refused for the mismatch with the subject instead.
    follow = {}
    if data and isinstance(data.get("customer_id"), str) and "subject" not in (top or {}):
        follow["subject"] = data["customer_id"]
    top_pairs = Pairs({**BASE, "data": data_pairs, **follow, **(top or {})}.items())
    top_pairs.extend(top_extra)
    return top_pairs


def message(
    top: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    *,
    top_extra: Sequence[tuple[str, Any]] = (),
    data_extra: Sequence[tuple[str, Any]] = (),
) -> bytes:
    """The example as JSON with fields replaced (MISSING drops one), then members appended."""
    return dump(members(top, data, top_extra=top_extra, data_extra=data_extra))


def wire_decode(raw: bytes) -> wire.TradeSettledEnvelope | None:
    """The wire decoder's result, None when it refuses; any other exception propagates."""
    try:
        result = DECODE(raw)
    except wire.FAST_DECODE_ERRORS:
        return None
    assert isinstance(result, wire.TradeSettledEnvelope)
    return result


def contract_decode(raw: bytes) -> Any:
    """The pydantic contract's envelope, None when it refuses."""
    try:
        return CONTRACT.model_validate_json(raw)
    except ValidationError:
        return None


def assert_same(fast: wire.TradeSettledEnvelope, slow: Any) -> None:
    """Every value the wire decoder read is the contract's value."""
    assert fast.specversion == slow.specversion
    assert fast.id == slow.id
    assert fast.type == slow.type == "TradeSettled"
    assert fast.source == slow.source
    assert fast.subject == slow.subject
    assert fast.datacontenttype == slow.datacontenttype
    assert type(fast.time) is datetime
    assert fast.time.utcoffset() is not None
    assert fast.time == slow.time
    assert fast.time.utcoffset() == slow.time.utcoffset()
    assert fast.time.replace(tzinfo=None) == slow.time.replace(tzinfo=None)
    for name in TEXT:
        assert getattr(fast.data, name) == getattr(slow.data, name), name
    assert type(fast.data.quantity) is int
    assert fast.data.quantity == slow.data.quantity
    for name in MONEY:
        assert isinstance(getattr(fast.data, f"{name}_text"), str)
        value = getattr(fast.data, name)
        assert type(value) is Decimal
        assert value == getattr(slow.data, name), name
        assert value.as_tuple() == getattr(slow.data, name).as_tuple(), name
    for name in DATES:
        assert type(getattr(fast.data, name)) is date
        assert getattr(fast.data, name) == getattr(slow.data, name), name


def check(raw: bytes) -> tuple[bool, bool]:
    """The rule on one message; returns (wire accepted, contract accepted)."""
    fast = wire_decode(raw)
    slow = contract_decode(raw)
    if fast is not None:
        assert slow is not None, f"wire accepts what the contract refuses: {raw!r}"
        assert_same(fast, slow)
        refusal = ""
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            refusal = str(exc)
        else:
            assert_same(fast, CONTRACT.model_validate(obj))
        # orjson's one known refusal of its own: see test_orjson_refuses_huge_numbers.
        assert not refusal or "infinity" in refusal, f"orjson refuses it: {refusal}"
    return fast is not None, slow is not None


# --------------------------------------------------------------------------- strategies

DIGITS = "0123456789"
ODD_DIGITS = "０１２３４５６７８９٠١٢٣"  # full-width and Arabic-Indic: Python's \d matches them
WRONG_TYPES = st.sampled_from([None, [], {}, [1], {"a": 1}, True, False])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
RAW_VALUES = st.sampled_from(
    [
        Raw(b'"\xff"'),
        Raw(b'"\xed\xa0\x80"'),
        Raw(b'"\xc0\xaf"'),
        Raw(b'"\\ud83d\\ude00"'),
        Raw(b'"\\u0000"'),
        Raw(b"NaN"),
        Raw(b"Infinity"),
        Raw(b"1e999"),
        Raw(b"1" * 4301),
        Raw(b"1" * 400),
        Raw(b"[" * 199 + b"]" * 199),
        Raw(b"[" * 201 + b"]" * 201),
        Raw(b"[" * 1200 + b"]" * 1200),
        Raw(b'{"a":' * 150 + b"1" + b"}" * 150),
        Raw(b'{"a":' * 250 + b"1" + b"}" * 250),
    ]
)

money_texts = st.one_of(
    st.sampled_from(
        [
            "117.42",
            "0117.42",
            "117.420",
            "117.4",
            "117.",
            ".42",
            "1E+3",
            "1e3",
            "-1",
            "-0",
            "-0.00",
            "+1",
            " 1",
            "1 ",
            "1\n",
            "\n1",
            "１２",
            "١٢.٣",
            "",
            ".",
            "NaN",
            "Infinity",
            "9999999999999999.99",
            "99999999999999999",
            "99999999999999.9999",
            "999999999999999",
            "0" * 16 + ".00",
            "0" * 17,
            "1" * 40,
            "1_000",
            "0x10",
        ]
    ),
    st.from_regex(r"\A-?[0-9]{0,18}(\.[0-9]{0,5})?\Z"),
    st.text(alphabet=DIGITS + ODD_DIGITS + ".-+eE \n_", max_size=22),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
money_values = st.one_of(
    money_texts,
    money_texts,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    WRONG_TYPES,
)
customer_ids = st.one_of(
    st.sampled_from(
        [
            "C000001\n",
            "\nC000001",
            "C１",
            "Ｃ000001",
            "C" * 32,
            "C" * 33,
            "",
            "-_",
            "C 1",
            "C\u0000",
        ]
    ),
    st.text(alphabet="Cc09_-\n ．Ｃ１é\u00a0\u2028", max_size=34),
    st.from_regex(r"\A[A-Za-z0-9_-]{0,34}\Z"),
)
LIMITS = {"trade_id": 64, "account_id": 32, "security_code": 16}
TOP_LIMITS = {"id": 64, "source": 100}
limit_char = st.sampled_from(["a", "中", "😀", "é", "\u0000", "\n", " "])


def near_limit(limit: int) -> st.SearchStrategy[str]:
    """Strings of a repeated character, from empty to two past ``limit``."""
    return st.builds(
        lambda char, length: char * length,
        limit_char,
        st.sampled_from([0, 1, limit - 1, limit, limit + 1, limit + 2]),
    )


literal_values = {
    "market": st.sampled_from(["SH", "SZ", "BJ", "sh", "Sh", "sH", "SH ", " SH", "HK", "", "SHA"]),
    "side": st.sampled_from(["B", "S", "b", "s", "B ", "", "BS", "Buy"]),
}
quantities = st.one_of(
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=2**63 - 2, max_value=2**64 + 2),
    st.integers(min_value=10**30, max_value=10**40),
    st.sampled_from([1.0, 1.5, 1e3, -0.0, "5", "1700", True, False, -(10**20)]),
    st.sampled_from([Raw(b"1" * 4300), Raw(b"1" * 4301), Raw(b"1e3"), Raw(b"-0"), Raw(b"1.0")]),
    st.floats(allow_nan=False),
    WRONG_TYPES,
)
date_values = st.one_of(
    st.sampled_from(
        [
            "2026-02-30",
            "2026-02-29",
            "2024-02-29",
            "20261120",
            "2026-11-20T00:00:00",
            "2026-11-20T00:00:00Z",
            "2026-11-20T15:30:00",
            "2026-11-20 00:00",
            "2026-1-2",
            "+2026-11-20",
            "2026-11-20 ",
            "0000-01-01",
            "0001-01-01",
            "9999-12-31",
            "2026-W47-5",
            "2026-324",
            "２０２６-11-20",
            20261120,
            1763596800,
            0,
        ]
    ),
    st.dates().map(date.isoformat),
    st.datetimes().map(datetime.isoformat),
    st.text(alphabet="0123456789-T:Z ", max_size=20),
    WRONG_TYPES,
)


@st.composite
def time_texts(draw: st.DrawFn) -> str:
    """RFC 3339-ish timestamps with every part varied: separator, fraction, offset, range."""
    day = draw(st.dates()).isoformat()
    if draw(st.booleans()):
        day = draw(st.sampled_from(["2026-02-30", "0000-01-01", "2024-02-29", "20261120"]))
    sep = draw(st.sampled_from(["T", "T", "t", " ", "_", "", "TT"]))
    hour = draw(st.sampled_from(["00", "15", "23", "24", "7", "99"]))
    minute = draw(st.sampled_from(["00", "30", "59", "60"]))
    second = draw(st.sampled_from(["00", "59", "60", "", "61"]))
    clock = f"{hour}:{minute}" + (f":{second}" if second else "")
    frac = ""
    if draw(st.booleans()):
        mark = draw(st.sampled_from([".", ".", ","]))
        frac = mark + draw(st.text(alphabet=DIGITS, min_size=0, max_size=10))
    offset = draw(
        st.sampled_from(
            [
                "Z",
                "z",
                "+08:00",
                "-08:00",
                "+0800",
                "+08",
                "-00:00",
                "+00:00",
                "+23:59",
                "-23:59",
                "+24:00",
                "+08:60",
                "",
                "+08:00:30",
                " +08:00",
                "Z\n",
                "UTC",
            ]
        )
    )
    return f"{day}{sep}{clock}{frac}{offset}"


time_values = st.one_of(
    time_texts(),
    st.sampled_from(
        [
            "2026-11-20T15:30:00Z",
            "2026-11-20T15:30:00.1234567Z",
            "2026-11-20T15:30:59.9999995+08:00",
            "2026-11-20T23:59:60Z",
            "0001-01-01T00:00:00+08:00",
            "9999-12-31T23:59:59-08:00",
            "2026-11-20",
            "15:30:00Z",
            "１２",
        ]
    ),
    st.datetimes(timezones=st.timezones() | st.none()).map(datetime.isoformat),
    st.integers(min_value=0, max_value=2**33),
    WRONG_TYPES,
)
TOP_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "specversion": st.sampled_from(["1.0", "1", "1.0 ", "v1.0", "1.00", 1.0, 1, None]),
    "datacontenttype": st.sampled_from(
        ["application/json", "Application/JSON", "application/json; charset=utf-8", "", None]
    ),
    "subject": st.one_of(st.none(), st.text(max_size=40), st.integers(), WRONG_TYPES),
    "type": st.sampled_from(
        ["TradeSettled", "TradeCancelled", "tradesettled", "TradeSettled ", "", "\u0000", None, 1]
    ),
    "time": time_values,
    **{name: near_limit(limit) | st.text(max_size=limit + 2) for name, limit in TOP_LIMITS.items()},
}
DATA_VALUES: dict[str, st.SearchStrategy[Any]] = {
    **dict.fromkeys(MONEY, money_values),
    "customer_id": customer_ids,
    **{name: near_limit(limit) | st.text(max_size=limit + 2) for name, limit in LIMITS.items()},
    **literal_values,
    "quantity": quantities,
    **dict.fromkeys(DATES, date_values),
}


@st.composite
def rfc3339_times(draw: st.DrawFn) -> str:
    """Well-formed RFC 3339 times: any moment, 0 to 9 fraction digits, any valid offset."""
    m = draw(st.datetimes())
    clock = f"{m.year:04}-{m.month:02}-{m.day:02}T{m.hour:02}:{m.minute:02}:{m.second:02}"
    digits = draw(st.integers(0, 9))
    if digits:
        clock += "." + draw(st.text(alphabet=DIGITS, min_size=digits, max_size=digits))
    minutes = draw(st.integers(-(24 * 60 - 1), 24 * 60 - 1))
    sign = "-" if minutes < 0 else "+"
    offset = f"{sign}{abs(minutes) // 60:02}:{abs(minutes) % 60:02}"
    return clock + draw(st.sampled_from(["Z", offset, offset]))


def _valid_text(limit: int) -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=limit)


VALID: dict[str, st.SearchStrategy[Any]] = {
    "specversion": st.just("1.0"),
    "datacontenttype": st.sampled_from(["application/json", MISSING]),
    "subject": st.none() | st.text(max_size=40) | st.just(MISSING),
    "type": st.just("TradeSettled"),
    "time": rfc3339_times(),
    **{name: _valid_text(limit) for name, limit in (TOP_LIMITS | LIMITS).items()},
    **dict.fromkeys(
        ("amount", "commission"), st.from_regex(r"[0-9]{1,16}(\.[0-9]{1,2})?", fullmatch=True)
    ),
    "price": st.from_regex(r"[0-9]{1,14}(\.[0-9]{1,4})?", fullmatch=True),
    "customer_id": st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True),
    "market": st.sampled_from(["SH", "SZ", "BJ"]),
    "side": st.sampled_from(["B", "S"]),
    "quantity": st.integers(min_value=1, max_value=2**63 - 1),
    **dict.fromkeys(DATES, st.dates().map(date.isoformat)),
}
"""Values the wire decoder is meant to accept: a third of every field's draws."""


def field_values(name: str, tricky: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's valid or tricky values, sometimes missing, null, mistyped or odd JSON."""
    valid = VALID[name]
    return st.one_of(
        valid, valid, valid, tricky, tricky, tricky, st.just(MISSING), WRONG_TYPES, RAW_VALUES
    )


@st.composite
def messages(
    draw: st.DrawFn, top_fields: tuple[str, ...] = (), data_fields: tuple[str, ...] = ()
) -> bytes:
    """The example with one to four of the given fields mutated, maybe with extra and
    duplicate members, shuffled members and non-ASCII text left unescaped."""
    top: dict[str, Any] = {}
    data: dict[str, Any] = {}
    chosen = draw(
        st.lists(
            st.sampled_from([("top", f) for f in top_fields] + [("data", f) for f in data_fields]),
            min_size=1,
            max_size=4,
        )
    )
    for where, name in chosen:
        if where == "top":
            top[name] = draw(field_values(name, TOP_VALUES[name]))
        else:
            data[name] = draw(field_values(name, DATA_VALUES[name]))
    extras = st.lists(
        st.tuples(
            st.sampled_from([*BASE, *BASE["data"], "zz", "traceparent", "", "\u0000", "type"]),
            st.one_of(JSON_VALUES, RAW_VALUES, money_values),
        ),
        max_size=2,
    )
    top_extra = draw(extras) if draw(st.integers(0, 3)) == 0 else []
    data_extra = draw(extras) if draw(st.integers(0, 3)) == 0 else []
    pairs = members(top, data, top_extra=top_extra, data_extra=data_extra)
    if draw(st.integers(0, 4)) == 0:  # members in another order (the tag need not come first)
        pairs = Pairs(draw(st.permutations(pairs)))
    raw = dump(pairs, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 9)) == 0:
        raw += draw(st.sampled_from([b"\n", b" ", b"\r\n\t", b"x", b"{}", b"\x00"]))
    return raw


# --------------------------------------------------------------------------- generated


@HYPOTHESIS
@given(messages(data_fields=MONEY))
def test_generated_money(raw: bytes) -> None:
    """Money strings (leading zeros, exponents, signs, whitespace, other scripts' digits,
    JSON numbers): accepted by the wire decoder only with the contract's decimal value."""
    check(raw)


@HYPOTHESIS
@given(messages(top_fields=tuple(TOP_LIMITS), data_fields=("customer_id", *LIMITS)))
def test_generated_text(raw: bytes) -> None:
    """Customer ids and strings at their length limits (multi-byte characters included):
    accepted by the wire decoder only if the contract accepts the same text."""
    check(raw)


@HYPOTHESIS
@given(messages(top_fields=("time",)))
def test_generated_time(raw: bytes) -> None:
    """Envelope times of every RFC 3339/ISO form: accepted by the wire decoder only as the
    contract's aware datetime, offset and microsecond included."""
    check(raw)


@HYPOTHESIS
@given(messages(data_fields=("market", "side", "quantity", *DATES)))
def test_generated_literals_quantity_dates(raw: bytes) -> None:
    """Market and side literals, quantities (floats, strings, huge ints, bools) and dates:
    accepted by the wire decoder only with the contract's values."""
    check(raw)


@HYPOTHESIS
@given(
    messages(
        top_fields=("specversion", "datacontenttype", "subject", "type", "id", "time"),
        data_fields=("customer_id", "quantity", "commission", "trade_date"),
    )
)
def test_generated_envelope(raw: bytes) -> None:
    """Envelope attributes, missing, null, mistyped, extra and duplicate members, odd JSON:
    the wire decoder accepts nothing the contract refuses."""
    check(raw)


@HYPOTHESIS
@given(st.binary(max_size=40), st.integers(min_value=0, max_value=len(EXAMPLE)))
def test_generated_byte_splices(junk: bytes, at: int) -> None:
    """Arbitrary bytes spliced into the example: refused, or read as the contract reads it;
    never an exception the consumer would not fall back on."""
    check(EXAMPLE[:at] + junk + EXAMPLE[at:])


# --------------------------------------------------------------------------- hand-picked


def case(id_: str, raw: bytes, fast: bool, slow: bool) -> Any:
    """A row of the table: the message, whether the wire decoder and the contract accept it."""
    return pytest.param(raw, fast, slow, id=id_)


CASES = [
    case("example", EXAMPLE, True, True),
    # money
    case("commission '117.42'", message(data={"commission": "117.42"}), True, True),
    case("commission JSON float", message(data={"commission": 117.42}), False, False),
    case("commission JSON int", message(data={"commission": 117}), False, True),
    case("commission leading zero", message(data={"commission": "0117.42"}), True, True),
    case("commission 3 decimals", message(data={"commission": "117.420"}), False, True),
    case("commission exponent", message(data={"commission": "1E+3"}), False, True),
    case("commission negative", message(data={"commission": "-1"}), False, False),
    case("commission minus zero", message(data={"commission": "-0"}), False, True),
    case("commission leading space", message(data={"commission": " 117.42"}), False, True),
    case("commission trailing newline", message(data={"commission": "117.42\n"}), False, True),
    case("commission full-width digits", message(data={"commission": "１２"}), False, True),
    case("commission Arabic-Indic digits", message(data={"commission": "١٢"}), False, True),
    case("commission empty", message(data={"commission": ""}), False, False),
    case("commission largest", message(data={"commission": "9999999999999999.99"}), True, True),
    case("commission 17 digits", message(data={"commission": "12345678901234567"}), False, False),
    case("commission null", message(data={"commission": None}), False, False),
    case("commission missing", message(data={"commission": MISSING}), False, False),
    case("price 4 decimals", message(data={"price": "40.6300"}), True, True),
    case("price 5 decimals", message(data={"price": "40.63001"}), False, False),
    case("price 15 digits", message(data={"price": "999999999999999"}), False, False),
    case("amount zero", message(data={"amount": "0.00"}), True, True),
    # customer id and length limits
    case("customer_id trailing newline", message(data={"customer_id": "C000001\n"}), False, False),
    case("customer_id full-width digit", message(data={"customer_id": "C１"}), False, False),
    case("customer_id 32 chars", message(data={"customer_id": "C" * 32}), True, True),
    case("customer_id 33 chars", message(data={"customer_id": "C" * 33}), False, False),
    case("customer_id empty", message(data={"customer_id": ""}), False, False),
    case("customer_id -_", message(data={"customer_id": "-_"}), True, True),
    # the four patterned fields are matched joined by NUL: a NUL inside one must not pass
    case("customer_id with NUL", message(data={"customer_id": "C1\u00001.00"}), False, False),
    case("price with NUL", message(data={"price": "1\u00002"}), False, False),
    case("commission with NUL", message(data={"commission": "1.00\u00001"}), False, False),
    case("trade_id 64 CJK", message(data={"trade_id": "中" * 64}), True, True),
    case("trade_id 65 CJK", message(data={"trade_id": "中" * 65}), False, False),
    case("trade_id 64 emoji", message(data={"trade_id": "😀" * 64}), True, True),
    case("account_id 33", message(data={"account_id": "A" * 33}), False, False),
    case("security_code 16", message(data={"security_code": "3" * 16}), True, True),
    case("security_code 17", message(data={"security_code": "3" * 17}), False, False),
    case("id 64", message({"id": "i" * 64}), True, True),
    case("id 65", message({"id": "i" * 65}), False, False),
    case("id empty", message({"id": ""}), False, False),
    case("source 100 emoji", message({"source": "😀" * 100}), True, True),
    case("source 101", message({"source": "s" * 101}), False, False),
    # literals and quantity
    case("market lowercase", message(data={"market": "sh"}), False, False),
    case("side lowercase", message(data={"side": "b"}), False, False),
    case("quantity 0", message(data={"quantity": 0}), False, False),
    case("quantity -1", message(data={"quantity": -1}), False, False),
    case("quantity 1.0", message(data={"quantity": 1.0}), False, True),
    case("quantity '5'", message(data={"quantity": "5"}), False, True),
    case("quantity true", message(data={"quantity": True}), False, True),
    case("quantity 2**63 - 1", message(data={"quantity": 2**63 - 1}), True, True),
    case("quantity 2**63", message(data={"quantity": 2**63}), False, True),
    case("quantity 2**64 + 1", message(data={"quantity": 2**64 + 1}), False, True),
    case("quantity 10**4300", message(data={"quantity": Raw(b"1" + b"0" * 4300)}), False, False),
    # dates
    case("trade_date 30 Feb", message(data={"trade_date": "2026-02-30"}), False, False),
    case("trade_date basic format", message(data={"trade_date": "20261120"}), False, False),
    case("trade_date with time", message(data={"trade_date": "2026-11-20T00:00:00"}), False, True),
    case("trade_date timestamp", message(data={"trade_date": 1763596800}), False, True),
    # time
    case("time Z", message({"time": "2026-11-20T15:30:00Z"}), True, True),
    case("time lowercase z", message({"time": "2026-11-20T15:30:00z"}), False, True),
    case("time lowercase t", message({"time": "2026-11-20t15:30:00Z"}), False, True),
    case("time space", message({"time": "2026-11-20 15:30:00+08:00"}), False, True),
    case("time no offset", message({"time": "2026-11-20T15:30:00"}), False, False),
    case("time 1 fraction digit", message({"time": "2026-11-20T15:30:00.1+08:00"}), True, True),
    case("time 6 fraction digits", message({"time": "2026-11-20T15:30:00.123456Z"}), True, True),
    case("time 7 fraction digits", message({"time": "2026-11-20T15:30:00.1234567Z"}), False, True),
    case("time 9 nines", message({"time": "2026-11-20T15:30:59.999999999+08:00"}), False, True),
    case("time +08", message({"time": "2026-11-20T15:30:00+08"}), False, False),
    case("time +0800", message({"time": "2026-11-20T15:30:00+0800"}), False, True),
    case("time -00:00", message({"time": "2026-11-20T15:30:00-00:00"}), True, True),
    case("time +23:59", message({"time": "2026-11-20T15:30:00+23:59"}), True, True),
    case("time +24:00", message({"time": "2026-11-20T15:30:00+24:00"}), False, False),
    case("time leap second", message({"time": "2026-12-31T23:59:60Z"}), False, False),
    case("time hour 24", message({"time": "2026-11-20T24:00:00Z"}), False, False),
    case("time 30 Feb", message({"time": "2026-02-30T15:30:00Z"}), False, False),
    # years outside [2000, 2100) are refused on both sides (issue 16)
    case("time year 0001", message({"time": "0001-01-01T00:00:00+08:00"}), False, False),
    case("time year 9999", message({"time": "9999-12-31T23:59:59-08:00"}), False, False),
    case("time epoch", message({"time": "1970-01-01T00:00:00Z"}), False, False),
    case("time year 2407", message({"time": "2407-03-01T09:00:00+08:00"}), False, False),
    case("time 2000 UTC", message({"time": "2000-01-01T00:00:00Z"}), True, True),
    case("time 1999 UTC, 2000 local", message({"time": "2000-01-01T07:59:59+08:00"}), False, False),
    case("time last of 2099", message({"time": "2099-12-31T23:59:59.999999Z"}), True, True),
    case("time 2100 UTC", message({"time": "2099-12-31T16:00:00-08:00"}), False, False),
    case("time year 0000", message({"time": "0000-01-01T00:00:00Z"}), False, False),
    case("time number", message({"time": 1763623800}), False, True),
    # envelope attributes
    case("specversion missing", message({"specversion": MISSING}), False, True),
    case("specversion 1.0 number", message({"specversion": 1.0}), False, False),
    case("specversion null", message({"specversion": None}), False, False),
    case("datacontenttype missing", message({"datacontenttype": MISSING}), True, True),
    case("datacontenttype text/plain", message({"datacontenttype": "text/plain"}), False, False),
    case("datacontenttype null", message({"datacontenttype": None}), False, False),
    case("subject null", message({"subject": None}), True, True),
    case("subject missing", message({"subject": MISSING}), True, True),
    case("subject number", message({"subject": 1}), False, False),
    case("subject another customer", message({"subject": "C000002"}), False, False),
    case("subject empty", message({"subject": ""}), False, False),
    case(
        "subject, customer_id both C2",
        message({"subject": "C2"}, {"customer_id": "C2"}),
        True,
        True,
    ),
    # NUL in any stored text is refused on both sides (PostgreSQL's text refuses it)
    case("trade_id with NUL", message(data={"trade_id": "T1\u0000"}), False, False),
    case("account_id with NUL", message(data={"account_id": "\u0000"}), False, False),
    case("security_code with NUL", message(data={"security_code": "600\u0000519"}), False, False),
    case("id with NUL", message({"id": "e\u00001"}), False, False),
    case("source with NUL", message({"source": "s\u0000"}), False, False),
    case("data missing", message({"data": MISSING}), False, False),
    case("data null", message({"data": None}), False, False),
    case("data list", message({"data": []}), False, False),
    case("extra members", message(top_extra=[("x", [1])], data_extra=[("y", {})]), True, True),
    case("extension attribute", message(top_extra=[("traceparent", "00-ab-cd-01")]), True, True),
    # JSON-level
    case(
        "duplicate customer_id",
        message({"subject": "C2"}, data_extra=[("customer_id", "C2")]),  # the last one counts
        True,
        True,
    ),
    case(
        "duplicate customer_id, subject the first",
        message(data_extra=[("customer_id", "C2")]),
        False,
        False,
    ),
    case("duplicate quantity", message(data_extra=[("quantity", 5)]), True, True),
    case("duplicate type", message(top_extra=[("type", "TradeCancelled")]), False, True),
    case("tag spelled \\u0000", message({"type": "\u0000"}), False, True),
    case("trailing newline", EXAMPLE + b"\n", True, True),
    case("trailing garbage", EXAMPLE + b"x", False, False),
    case("byte order mark", b"\xef\xbb\xbf" + EXAMPLE, False, False),
    case("invalid UTF-8 in source", message({"source": Raw(b'"s\xff"')}), False, False),
    case("invalid UTF-8 in extra", message(top_extra=[("x", Raw(b'"\xff"'))]), False, False),
    case(
        "UTF-8 surrogate in extra",
        message(data_extra=[("x", Raw(b'"\xed\xa0\x80"'))]),
        False,
        False,
    ),
    case("escaped lone surrogate", message({"source": Raw(b'"\\udc00"')}), False, False),
    case("NaN in extra", message(top_extra=[("x", Raw(b"NaN"))]), False, True),
    case("4301-digit int in extra", message(top_extra=[("x", Raw(b"1" * 4301))]), False, False),
    case(
        "nesting 150 in extra",
        message(top_extra=[("x", Raw(b"[" * 150 + b"]" * 150))]),
        False,
        True,
    ),
    case(
        "nesting 250 in extra",
        message(top_extra=[("x", Raw(b"[" * 250 + b"]" * 250))]),
        False,
        False,
    ),
    case(
        "nesting 3000 in extra",
        message(data_extra=[("x", Raw(b"[" * 3000 + b"]" * 3000))]),
        False,
        False,
    ),
]


@pytest.mark.parametrize(("raw", "fast", "slow"), CASES)
def test_hand_picked(raw: bytes, fast: bool, slow: bool) -> None:
    """Each edge case has the stated outcome on both sides, and accepted values agree."""
    assert check(raw) == (fast, slow)


def test_example_values() -> None:
    """The example reads as the documented values: money as Decimal (kept as its text), the
    rest typed."""
    fast = wire_decode(EXAMPLE)
    assert fast is not None
    assert (fast.data.price_text, fast.data.amount_text, fast.data.commission_text) == (
        "40.63",
        "69071.00",
        "117.42",
    )
    assert (fast.data.price, fast.data.amount, fast.data.commission) == (
        Decimal("40.63"),
        Decimal("69071.00"),
        Decimal("117.42"),
    )
    assert fast.time.isoformat() == "2026-11-20T15:30:00+08:00"
    assert fast.data.trade_date == date(2026, 11, 20)
    assert fast.data.quantity == 1700


@pytest.mark.parametrize("depth", [150, 165, 199, 200, 201, 250, 320])
@pytest.mark.parametrize("where", ["top", "data"])
def test_nesting_in_a_short_message(depth: int, where: str) -> None:
    """Nesting in an unknown member of a short message (no extras counted below 640 bytes)
    is accepted by the wire decoder only where the contract accepts it too."""
    extra = [("", Raw(b"[" * depth + b"]" * depth))]
    top = {"id": "i", "source": "s", "subject": MISSING, "datacontenttype": MISSING}
    data: dict[str, Any] = {"trade_id": "t", "customer_id": "c", "account_id": "a"}
    data["security_code"] = "s"
    data |= {"quantity": 1, "price": "1", "amount": "1", "commission": "1"}
    top["time"] = "2026-11-20T15:30:00Z"
    if where == "top":
        check(message(top, data, top_extra=extra))
    else:
        check(message(top, data, data_extra=extra))


# --------------------------------------------------------------------------- other types


TRADE_CANCELLED = message(
    {"type": "TradeCancelled", "data": {"trade_id": "T1", "customer_id": "C000001"}}
)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(TRADE_CANCELLED, id="TradeCancelled"),
        pytest.param(message({"type": "TradeCancelled"}), id="TradeCancelled, settled data"),
        pytest.param(message({"type": "AssetSnapshotTaken"}), id="AssetSnapshotTaken"),
        pytest.param(message({"type": MISSING}), id="type missing"),
        pytest.param(message({"type": None}), id="type null"),
        pytest.param(message({"type": ""}), id="type empty"),
        pytest.param(message({"type": "tradesettled"}), id="type lowercase"),
        pytest.param(message({"type": "TradeSettled "}), id="type trailing space"),
        pytest.param(message({"type": "\u0000"}), id="type NUL (the decoder's sentinel tag)"),
        pytest.param(message({"type": ["TradeSettled"]}), id="type list"),
    ],
)
def test_other_types_refused(raw: bytes) -> None:
    """An envelope of any other type (or none) is refused with a fast-decode error."""
    with pytest.raises(wire.FAST_DECODE_ERRORS):
        DECODE(raw)


@pytest.mark.parametrize("number", [b"1e999", b"-1e400", b"1" * 400])
def test_orjson_refuses_huge_numbers(number: bytes) -> None:
    """A number beyond a double in an unknown member: the contract's ``model_validate_json``
    and the wire decoder accept the message, but orjson (``parse_envelope``, the consumer's
    fallback) refuses it. The contract's two readings disagree there, not the wire decoder."""
    raw = message(top_extra=[("x", Raw(number))])
    assert check(raw) == (True, True)
    with pytest.raises(ValueError, match="not JSON"):
        ev.parse_envelope(raw)


def test_other_type_is_still_a_valid_event() -> None:
    """The refused TradeCancelled is a valid event: the refusal is the fast path's, not the
    contract's."""
    assert ev.parse_envelope(TRADE_CANCELLED).type == "TradeCancelled"
    assert wire.fast_decoder({"TradeCancelled"}) is None
