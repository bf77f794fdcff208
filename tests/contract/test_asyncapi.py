"""The AsyncAPI document: generated from the event models, kept in docs/, fixed external shapes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from brokerage_common.asyncapi import build_document
from brokerage_common.events import EVENT_TYPES, parse_envelope
from brokerage_common.topics import ALL_TOPICS

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"

# The external events exactly as events.md fixes them (field names are not ours to change).
ENVELOPE = {
    "specversion": "1.0",
    "id": "5f0c2b1e-9a53-4c3e-9f1e-2b7d0f3c9a11",
    "source": "settlement-system",
    "time": "2026-11-20T15:31:07+08:00",
    "subject": "C000123",
    "datacontenttype": "application/json",
}
EXTERNAL_EXAMPLES: dict[str, dict[str, Any]] = {
    "TradeSettled": {
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
    },
    "TradeCancelled": {
        "trade_id": "T20261120-000918",
        "customer_id": "C000123",
        "reason": "error correction",
    },
    "AssetSnapshotTaken": {
        "customer_id": "C000123",
        "as_of": "2026-11-20",
        "total_assets": "812345.67",
        "cash": "12345.67",
        "securities_value": "800000.00",
        "net_inflow": "50000.00",
    },
    "CustomerTransferRequested": {
        "request_id": "R20261120-0042",
        "customer_id": "C000123",
        "kind": "custody_transfer",
        "market": "SZ",
        "reason": "friend works at another broker",
        "requested_at": "2026-11-20T10:12:00+08:00",
    },
    "CommissionRateSet": {
        "customer_id": "C000123",
        "rate": "0.00025",
        "effective_from": "2026-11-23",
    },
    # Keyed by the security code: no customer id at all.
    "ClosingPricePublished": {
        "security_code": "600519",
        "market": "SH",
        "kind": "stock",
        "trade_date": "2026-11-20",
        "close": "1520.00",
        "prev_close": "1498.50",
    },
}
EXTERNAL_TOPICS = {
    "TradeSettled": "trade.settled",
    "TradeCancelled": "trade.settled",
    "AssetSnapshotTaken": "account.asset-snapshots",
    "CustomerTransferRequested": "customer.transfer-requested",
    "CommissionRateSet": "account.commission-rates",
    "ClosingPricePublished": "market.closing-prices",
}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))


def validator_for(doc: dict[str, Any], event_type: str) -> Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{event_type}Envelope", "components": doc["components"]}
    return Draft202012Validator(schema)


def test_committed_document_is_the_generated_one(doc: dict[str, Any]) -> None:
    assert doc == yaml.safe_load(yaml.safe_dump(build_document())), (
        "docs/asyncapi.yaml is stale: run "
        "`.venv/bin/python -m brokerage_common.asyncapi > docs/asyncapi.yaml`"
    )


def test_document_is_asyncapi_3_with_every_topic_and_event(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"] == "3.0.0"
    addresses = {c["address"]: c for c in doc["channels"].values()}
    assert set(addresses) == {t.name for t in ALL_TOPICS}
    for topic in ALL_TOPICS:
        assert addresses[topic.name]["bindings"]["kafka"]["partitions"] == topic.partitions
    assert set(doc["components"]["messages"]) == set(EVENT_TYPES)
    for event_type, model in EVENT_TYPES.items():
        assert event_type in addresses[model.TOPIC.name]["messages"]
    for op in doc["operations"].values():
        assert op["action"] in ("send", "receive")
        assert op["channel"]["$ref"].removeprefix("#/channels/") in doc["channels"]


@pytest.mark.parametrize("event_type", sorted(EXTERNAL_EXAMPLES))
def test_external_event_shape_is_fixed(doc: dict[str, Any], event_type: str) -> None:
    data = EXTERNAL_EXAMPLES[event_type]
    # events.md: the subject is the event's key (the customer, or a close's security code)
    subject = data.get("customer_id", data.get("security_code"))
    envelope = {**ENVELOPE, "type": event_type, "subject": subject, "data": data}
    validator_for(doc, event_type).validate(envelope)
    parsed = parse_envelope(__import__("json").dumps(envelope))
    assert parsed.data.model_dump(mode="json") == data  # nothing renamed, nothing added
    assert EVENT_TYPES[event_type].TOPIC.name == EXTERNAL_TOPICS[event_type]
    assert EVENT_TYPES[event_type].EXTERNAL
    data_schema = doc["components"]["schemas"][event_type]
    assert set(data_schema["properties"]) == set(data)


@pytest.mark.parametrize("event_type", sorted(EXTERNAL_EXAMPLES))
def test_external_event_rejects_float_money_and_renamed_fields(
    doc: dict[str, Any], event_type: str
) -> None:
    data = copy.deepcopy(EXTERNAL_EXAMPLES[event_type])
    renamed = "customer_id" if "customer_id" in data else "security_code"
    data[renamed.replace("_id", "Id").replace("_code", "Code")] = data.pop(renamed)
    envelope = {**ENVELOPE, "type": event_type, "data": data}
    assert not validator_for(doc, event_type).is_valid(envelope)


def test_money_is_a_string_in_the_contract(doc: dict[str, Any]) -> None:
    envelope = {
        **ENVELOPE,
        "type": "TradeSettled",
        "data": {**EXTERNAL_EXAMPLES["TradeSettled"], "commission": 38.0},
    }
    assert not validator_for(doc, "TradeSettled").is_valid(envelope)


def _sample(event_type: str) -> dict[str, Any]:
    """A minimal valid payload for an internal event, built from its JSON schema."""
    samples = {
        "string": "x",
        "integer": 1,
        "boolean": True,
        "number": 1,
    }
    model = EVENT_TYPES[event_type]
    schema = model.model_json_schema(mode="serialization")
    out: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        if name == "customer_id":
            out[name] = "C000001"
        elif "enum" in prop:
            out[name] = prop["enum"][0]
        elif "const" in prop:
            out[name] = prop["const"]
        elif prop.get("format") == "date":
            out[name] = "2026-11-20"
        elif prop.get("format") == "date-time":
            out[name] = "2026-11-20T10:00:00+08:00"
        elif "pattern" in prop and name == "phone":
            out[name] = "13800001234"
        elif "pattern" in prop and "month" in name:
            out[name] = "11-20" if name == "birth_month_day" else "2026-11"
        elif prop.get("type") == "array":
            out[name] = []
        elif prop.get("type") == "object":
            out[name] = {}
        elif name in ("points", "amount"):
            out[name] = "10.00"
        elif "examples" in prop:
            out[name] = prop["examples"][0]
        else:
            out[name] = samples.get(prop.get("type", "string"), "x")
    return out


@pytest.mark.parametrize("event_type", sorted(set(EVENT_TYPES) - set(EXTERNAL_EXAMPLES)))
def test_internal_events_round_trip_through_the_document(
    doc: dict[str, Any], event_type: str
) -> None:
    model = EVENT_TYPES[event_type]
    data = model.model_validate(_sample(event_type))
    envelope = {
        **ENVELOPE,
        "type": event_type,
        "source": "test",
        "subject": data.key,  # events.md: the subject is the customer id (the key)
        "data": data.model_dump(mode="json"),
    }
    validator_for(doc, event_type).validate(envelope)
    assert parse_envelope(__import__("json").dumps(envelope)).data == data


# ------------------------------------------------------------------ consumers and examples

CONSUMER_PACKAGES = {
    "profile-svc": "profile_svc",
    "tiering-svc": "tiering_svc",
    "advisory-svc": "advisory_svc",
    "notify-svc": "notify_svc",
    "ops-assessment-svc": "ops_assessment_svc",
}


def _handled(package: str) -> tuple[set[str], set[str], str]:
    """The topics, the handled event types and the consumer group of a service's worker."""
    import importlib

    config = importlib.import_module(f"{package}.config")
    handlers = importlib.import_module(f"{package}.handlers")
    settings = config.Settings(
        database_url="sqlite+aiosqlite:///unused.db",
        kafka_bootstrap_servers="127.0.0.1:1",
        environment="test",
    )
    registry: dict[str, Any] = {
        "profile_svc": lambda: dict(handlers.HANDLERS),
        "tiering_svc": lambda: handlers.build_handlers(settings),
        "advisory_svc": lambda: handlers.registry(settings.service_name),
        "notify_svc": lambda: dict(handlers.HANDLERS),
        "ops_assessment_svc": lambda: handlers.handlers(settings),
    }[package]()
    return set(handlers.TOPICS), set(registry), settings.service_name


@pytest.mark.parametrize("service", sorted(CONSUMER_PACKAGES))
def test_receive_operations_are_what_each_worker_consumes(
    doc: dict[str, Any], service: str
) -> None:
    topics, handled, group = _handled(CONSUMER_PACKAGES[service])
    assert group == service  # IdempotentConsumer.from_settings: the group is the service name
    receives = [
        op
        for op in doc["operations"].values()
        if op["action"] == "receive" and op.get("x-consumer-group") == service
    ]
    channels = {op["channel"]["$ref"].removeprefix("#/channels/"): op for op in receives}
    assert {doc["channels"][c]["address"] for c in channels} == topics
    documented = {m["$ref"].rsplit("/", 1)[-1] for op in receives for m in op["messages"]}
    assert documented == handled
    for op in receives:
        assert op["bindings"]["kafka"]["groupId"]["enum"] == [service]
        channel = doc["channels"][op["channel"]["$ref"].removeprefix("#/channels/")]
        for message in op["messages"]:
            assert message["$ref"].rsplit("/", 1)[-1] in channel["messages"]


def test_every_topic_someone_consumes_has_a_receive_operation(doc: dict[str, Any]) -> None:
    received = {
        op["channel"]["$ref"] for op in doc["operations"].values() if op["action"] == "receive"
    }
    sent = {op["channel"]["$ref"] for op in doc["operations"].values() if op["action"] == "send"}
    assert len(received) >= 10
    assert received <= sent


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_message_has_an_example_valid_against_its_schema(
    doc: dict[str, Any], event_type: str
) -> None:
    examples = doc["components"]["messages"][event_type]["examples"]
    assert examples
    envelope = examples[0]["payload"]
    assert envelope["type"] == event_type
    validator_for(doc, event_type).validate(envelope)
    parsed = parse_envelope(__import__("json").dumps(envelope))
    assert parsed.data.model_dump(mode="json") == envelope["data"]
    assert envelope["subject"] == parsed.data.key
    # Every field of the event is shown, not only the required ones.
    data_schema = doc["components"]["schemas"][event_type]
    assert set(envelope["data"]) == set(data_schema["properties"])
