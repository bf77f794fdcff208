"""The event contract of events.md: envelope, external event shapes, money as decimal strings."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from brokerage_common import topics
from brokerage_common.events import (
    EVENT_TYPES,
    AssetSnapshotTaken,
    CustomerTransferRequested,
    Envelope,
    PointsAwarded,
    TradeCancelled,
    TradeSettled,
    UnknownEventType,
    new_envelope,
    parse_envelope,
)

# The examples of events.md, verbatim.
ENVELOPE: dict[str, Any] = {
    "specversion": "1.0",
    "id": "5f0c2b1e-9a53-4c3e-9f1e-2b7d0f3c9a11",
    "type": "TradeSettled",
    "source": "settlement-system",
    "time": "2026-11-20T15:31:07+08:00",
    "subject": "C000123",
    "datacontenttype": "application/json",
    "data": {},
}
TRADE_SETTLED: dict[str, Any] = {
    "trade_id": "T20261120-000918",
    "customer_id": "C000123",
    "account_id": "A0000123",
    "market": "SH",
    "security_code": "600519",
    "side": "B",
    "quantity": 100,
    "price": "1520.00",
    "amount": "152000.00",
    "commission": "38.00",
    "trade_date": "2026-11-20",
    "settled_on": "2026-11-20",
}
TRADE_CANCELLED: dict[str, Any] = {
    "trade_id": "T20261120-000918",
    "customer_id": "C000123",
    "reason": "error correction",
}
ASSET_SNAPSHOT: dict[str, Any] = {
    "customer_id": "C000123",
    "as_of": "2026-11-20",
    "total_assets": "812345.67",
    "cash": "12345.67",
    "securities_value": "800000.00",
    "net_inflow": "50000.00",
}
TRANSFER_REQUESTED: dict[str, Any] = {
    "request_id": "R20261120-0042",
    "customer_id": "C000123",
    "kind": "custody_transfer",
    "market": "SZ",
    "reason": "friend works at another broker",
    "requested_at": "2026-11-20T10:12:00+08:00",
}


def wrap(event_type: str, data: dict[str, Any], **envelope: Any) -> bytes:
    obj = copy.deepcopy(ENVELOPE)
    # events.md: the subject is the event's key (the customer, or a close's security code)
    subject = data.get("customer_id", data.get("security_code", obj["subject"]))
    obj.update(type=event_type, subject=subject, data=copy.deepcopy(data))
    obj.update(envelope)
    return orjson.dumps(obj)


def test_trade_settled_example_parses_exactly() -> None:
    env = parse_envelope(wrap("TradeSettled", TRADE_SETTLED))
    assert env.specversion == "1.0"
    assert env.id == "5f0c2b1e-9a53-4c3e-9f1e-2b7d0f3c9a11"
    assert env.type == "TradeSettled"
    assert env.source == "settlement-system"
    assert env.time == datetime.fromisoformat("2026-11-20T07:31:07+00:00")
    assert env.time.utcoffset() == timedelta(hours=8)
    assert env.subject == "C000123"
    assert env.datacontenttype == "application/json"
    d = env.data
    assert isinstance(d, TradeSettled)
    assert d.trade_id == "T20261120-000918"
    assert d.customer_id == "C000123"
    assert d.account_id == "A0000123"
    assert d.market == "SH"
    assert d.security_code == "600519"
    assert d.side == "B"
    assert d.quantity == 100
    assert d.price == Decimal("1520.00")
    assert d.amount == Decimal("152000.00")
    assert d.commission == Decimal("38.00")
    assert d.trade_date == date(2026, 11, 20)
    assert d.settled_on == date(2026, 11, 20)
    assert d.key == "C000123"
    # Serialising it again gives back the contract's field values.
    assert env.model_dump(mode="json")["data"] == TRADE_SETTLED


def test_trade_cancelled_example_parses_exactly() -> None:
    env = parse_envelope(wrap("TradeCancelled", TRADE_CANCELLED))
    assert isinstance(env.data, TradeCancelled)
    assert env.data.trade_id == "T20261120-000918"
    assert env.data.customer_id == "C000123"
    assert env.data.reason == "error correction"
    assert env.data.TOPIC.name == "trade.settled"
    assert env.model_dump(mode="json")["data"] == TRADE_CANCELLED


def test_asset_snapshot_example_parses_exactly() -> None:
    env = parse_envelope(wrap("AssetSnapshotTaken", ASSET_SNAPSHOT))
    d = env.data
    assert isinstance(d, AssetSnapshotTaken)
    assert d.customer_id == "C000123"
    assert d.as_of == date(2026, 11, 20)
    assert d.total_assets == Decimal("812345.67")
    assert d.cash == Decimal("12345.67")
    assert d.securities_value == Decimal("800000.00")
    assert d.net_inflow == Decimal("50000.00")
    assert d.TOPIC.name == "account.asset-snapshots"
    assert env.model_dump(mode="json")["data"] == ASSET_SNAPSHOT


def test_transfer_requested_example_parses_exactly() -> None:
    env = parse_envelope(
        wrap("CustomerTransferRequested", TRANSFER_REQUESTED, source="branch-counter")
    )
    d = env.data
    assert isinstance(d, CustomerTransferRequested)
    assert env.source == "branch-counter"
    assert d.request_id == "R20261120-0042"
    assert d.customer_id == "C000123"
    assert d.kind == "custody_transfer"
    assert d.market == "SZ"
    assert d.reason == "friend works at another broker"
    assert d.requested_at == datetime.fromisoformat("2026-11-20T10:12:00+08:00")
    assert d.requested_at.utcoffset() == timedelta(hours=8)
    assert d.TOPIC.name == "customer.transfer-requested"
    assert env.model_dump(mode="json")["data"] == TRANSFER_REQUESTED


@pytest.mark.parametrize("field", ["commission", "amount", "price"])
def test_money_as_float_is_rejected(field: str) -> None:
    data = {**TRADE_SETTLED, field: 38.0}
    with pytest.raises(ValidationError, match="float"):
        parse_envelope(wrap("TradeSettled", data))


def test_money_as_float_is_rejected_in_python_too() -> None:
    with pytest.raises(ValidationError):
        TradeSettled.model_validate({**TRADE_SETTLED, "commission": 0.1})


@pytest.mark.parametrize(
    ("event_type", "data", "field"),
    [
        ("TradeSettled", TRADE_SETTLED, "commission"),
        ("TradeSettled", TRADE_SETTLED, "amount"),
        ("AssetSnapshotTaken", ASSET_SNAPSHOT, "total_assets"),
        ("AssetSnapshotTaken", ASSET_SNAPSHOT, "net_inflow"),
    ],
)
def test_money_with_three_decimals_is_rejected(
    event_type: str, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError, match="decimal places"):
        parse_envelope(wrap(event_type, {**data, field: "38.001"}))


def test_money_nan_and_infinity_are_rejected() -> None:
    for bad in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValidationError):
            parse_envelope(wrap("TradeSettled", {**TRADE_SETTLED, "commission": bad}))


def test_negative_commission_is_rejected() -> None:
    with pytest.raises(ValidationError):
        parse_envelope(wrap("TradeSettled", {**TRADE_SETTLED, "commission": "-1.00"}))


def test_unknown_extra_fields_are_ignored() -> None:
    data = {**TRADE_SETTLED, "new_field_from_v2": {"x": 1}, "venue": "XSHG"}
    raw = orjson.loads(wrap("TradeSettled", data))
    raw["traceparent"] = "00-abc-def-01"
    raw["extension_attr"] = 42
    env = parse_envelope(orjson.dumps(raw))
    assert env.data.commission == Decimal("38.00")
    assert "new_field_from_v2" not in env.data.model_dump()
    assert "traceparent" not in env.model_dump()


@pytest.mark.parametrize("time", ["2026-11-20T15:31:07", "2026-11-20 15:31:07", "2026-11-20"])
def test_envelope_time_without_offset_is_rejected(time: str) -> None:
    with pytest.raises(ValidationError):
        parse_envelope(wrap("TradeSettled", TRADE_SETTLED, time=time))


def test_envelope_time_with_utc_offset_is_accepted() -> None:
    env = parse_envelope(wrap("TradeSettled", TRADE_SETTLED, time="2026-11-20T07:31:07Z"))
    assert env.time == datetime.fromisoformat("2026-11-20T15:31:07+08:00")


def test_transfer_requested_at_without_offset_is_rejected() -> None:
    data = {**TRANSFER_REQUESTED, "requested_at": "2026-11-20T10:12:00"}
    with pytest.raises(ValidationError):
        parse_envelope(wrap("CustomerTransferRequested", data))


@pytest.mark.parametrize(
    ("field", "value"),
    [("market", "HK"), ("side", "X"), ("quantity", 0), ("customer_id", ""), ("customer_id", "C 1")],
)
def test_trade_settled_rejects_values_outside_the_contract(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        parse_envelope(wrap("TradeSettled", {**TRADE_SETTLED, field: value}))


def test_missing_required_field_is_rejected() -> None:
    data = {k: v for k, v in TRADE_SETTLED.items() if k != "commission"}
    with pytest.raises(ValidationError, match="commission"):
        parse_envelope(wrap("TradeSettled", data))


def test_unknown_type_and_garbage_are_value_errors() -> None:
    with pytest.raises(UnknownEventType):
        parse_envelope(wrap("SomethingNew", TRADE_SETTLED))
    with pytest.raises(ValueError, match="not JSON"):
        parse_envelope(b"\x00\xffnot json")
    with pytest.raises(ValueError, match="JSON object"):
        parse_envelope(b"[1, 2]")


@pytest.mark.parametrize(("key", "model"), sorted(EVENT_TYPES.items()))
def test_every_event_type_is_registered_under_its_type_with_a_known_topic(
    key: str, model: type
) -> None:
    assert key == model.TYPE
    assert model.TOPIC in topics.ALL_TOPICS
    assert model.TOPIC.external == model.EXTERNAL


def test_external_events_are_exactly_the_six_of_the_contract() -> None:
    external = {k for k, m in EVENT_TYPES.items() if m.EXTERNAL}
    assert external == {
        "TradeSettled",
        "TradeCancelled",
        "AssetSnapshotTaken",
        "CustomerTransferRequested",
        "CommissionRateSet",
        "ClosingPricePublished",
    }


# events.md's examples, verbatim.
COMMISSION_RATE_SET = {"customer_id": "C000123", "rate": "0.00025", "effective_from": "2026-11-23"}
CLOSING_PRICE = {
    "security_code": "600519",
    "market": "SH",
    "kind": "stock",
    "trade_date": "2026-11-20",
    "close": "1520.00",
    "prev_close": "1498.50",
}


def test_closing_price_is_keyed_by_the_security_code_and_carries_no_customer() -> None:
    env = parse_envelope(wrap("ClosingPricePublished", CLOSING_PRICE))
    assert env.data.key == "600519"
    assert not hasattr(env.data, "customer_id")
    fresh = new_envelope(env.data, source="market-data")
    assert fresh.subject == "600519"
    assert orjson.loads(fresh.to_json())["data"] == CLOSING_PRICE


@pytest.mark.parametrize("rate", ["-0.0001", "0.0031", "1", 0.00025])
def test_commission_rate_set_refuses_negative_absurd_and_float_rates(rate: Any) -> None:
    with pytest.raises(ValueError):
        parse_envelope(wrap("CommissionRateSet", {**COMMISSION_RATE_SET, "rate": rate}))


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("TradeSettled", TRADE_SETTLED),
        ("TradeCancelled", TRADE_CANCELLED),
        ("AssetSnapshotTaken", ASSET_SNAPSHOT),
        ("CustomerTransferRequested", TRANSFER_REQUESTED),
        ("CommissionRateSet", COMMISSION_RATE_SET),
        ("ClosingPricePublished", CLOSING_PRICE),
    ],
)
def test_round_trip_to_json_and_back_is_equal(event_type: str, data: dict[str, Any]) -> None:
    env = parse_envelope(wrap(event_type, data))
    again = parse_envelope(env.to_json())
    assert again == env
    assert again.to_json() == env.to_json()


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("TradeSettled", TRADE_SETTLED),
        ("TradeCancelled", {**TRADE_CANCELLED, "reason": '更正 "error" \\ é 😀'}),
        ("AssetSnapshotTaken", ASSET_SNAPSHOT),
        ("CustomerTransferRequested", TRANSFER_REQUESTED),
    ],
)
def test_to_json_writes_the_bytes_orjson_wrote_from_the_json_dump(
    event_type: str, data: dict[str, Any]
) -> None:
    env = parse_envelope(wrap(event_type, data))
    assert env.to_json() == orjson.dumps(env.model_dump(mode="json"))


def test_new_envelope_round_trip() -> None:
    event = TradeSettled.model_validate(TRADE_SETTLED)
    env = new_envelope(event, source="settlement-system")
    assert env.type == "TradeSettled"
    assert env.subject == "C000123"
    assert env.time.utcoffset() == timedelta(hours=8)
    parsed = parse_envelope(env.to_json())
    assert parsed == env
    assert parsed.data == event
    other = new_envelope(event, source="settlement-system")
    assert other.id != env.id


def test_money_serialises_as_a_two_decimal_string() -> None:
    env = parse_envelope(wrap("TradeSettled", TRADE_SETTLED))
    wire = orjson.loads(env.to_json())
    assert wire["data"]["commission"] == "38.00"
    assert wire["data"]["amount"] == "152000.00"
    assert wire["data"]["price"] == "1520.00"
    assert isinstance(wire["data"]["commission"], str)


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("38"), "38.00"),
        (Decimal("38.5"), "38.50"),
        (Decimal("38.000"), "38.00"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("-12.35"), "-12.35"),
        (0, "0.00"),
    ],
)
def test_money_built_in_python_serialises_to_the_fen(value: Any, wire: str) -> None:
    event = PointsAwarded(
        customer_id="C000123", entry_id="E1", points=value, reason="r", source_ref="s"
    )
    env = new_envelope(event, source="tiering-svc")
    assert orjson.loads(env.to_json())["data"]["points"] == wire
    assert parse_envelope(env.to_json()).data.points == Decimal(wire)


def test_price_never_serialises_in_exponent_notation() -> None:
    event = TradeSettled.model_validate({**TRADE_SETTLED, "price": Decimal("1E+3")})
    assert orjson.loads(new_envelope(event, source="s").to_json())["data"]["price"] == "1000"


def test_events_are_frozen() -> None:
    event = TradeSettled.model_validate(TRADE_SETTLED)
    with pytest.raises(ValidationError):
        event.commission = Decimal("1.00")  # type: ignore[misc]


def test_envelope_generic_type_is_kept() -> None:
    env = parse_envelope(wrap("TradeSettled", TRADE_SETTLED))
    assert isinstance(env, Envelope)
    assert type(env.data) is TradeSettled


# --------------------------------------------------------------------------- issue 16, item 6


def _message(data: dict[str, Any], **envelope: Any) -> bytes:
    return orjson.dumps({**ENVELOPE, "data": data, **envelope})


def test_a_subject_naming_another_customer_is_refused() -> None:
    # The event would be applied to data.customer_id while its subject names someone else.
    with pytest.raises(ValidationError, match=r"subject differs from data\.customer_id"):
        parse_envelope(_message(TRADE_SETTLED, subject="C000124"))
    assert parse_envelope(_message(TRADE_SETTLED, subject="C000123")).subject == "C000123"
    assert parse_envelope(_message(TRADE_SETTLED, subject=None)).data.customer_id == "C000123"


@pytest.mark.parametrize(
    "time",
    [
        "1970-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        "2407-01-01T00:00:00+08:00",
        "2100-01-01T00:00:00Z",
    ],
)
def test_an_envelope_time_outside_2000_to_2100_is_refused(time: str) -> None:
    with pytest.raises(ValidationError, match="timestamp must be from 2000"):
        parse_envelope(_message(TRADE_SETTLED, time=time))


@pytest.mark.parametrize("requested_at", ["1970-01-01T08:00:00+08:00", "2407-11-20T10:00:00+08:00"])
def test_an_event_timestamp_outside_2000_to_2100_is_refused(requested_at: str) -> None:
    data = {**TRANSFER_REQUESTED, "requested_at": requested_at}
    with pytest.raises(ValidationError, match="timestamp must be from 2000"):
        parse_envelope(_message(data, type="CustomerTransferRequested"))


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("CustomerTransferRequested", {**TRANSFER_REQUESTED, "reason": "moving\x00away"}),
        ("TradeSettled", {**TRADE_SETTLED, "trade_id": "T\x00"}),
        ("TradeCancelled", {"customer_id": "C000123", "trade_id": "T1", "reason": "\x00"}),
    ],
)
def test_nul_in_any_text_is_refused(event_type: str, data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="NUL"):
        parse_envelope(_message(data, type=event_type))


def test_nul_is_refused_inside_lists_and_dicts_and_in_the_envelope() -> None:
    from brokerage_common.events import NoNulText, NotificationRequested, refuse_nul

    with pytest.raises(ValidationError, match="NUL"):
        NotificationRequested(
            customer_id="C1", template_code="T", category="service", params={"name": "a\x00"}
        )
    with pytest.raises(ValidationError, match="NUL"):
        parse_envelope(_message(TRADE_SETTLED, source="settle\x00ment"))
    assert refuse_nul(["a", {"b": "c"}]) == ["a", {"b": "c"}]
    assert NoNulText is not None
