"""Builds the platform's AsyncAPI 3 document from the event models and topics."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .event_examples import example_envelope
from .events import EVENT_TYPES, BaseEvent, Envelope
from .kafka import CLOUDEVENTS_CONTENT_TYPE
from .topics import ALL_TOPICS, DLQ_PARTITIONS

# Who produces and who consumes each event (documentation of the flow between services).
PRODUCERS = {
    "TradeSettled": "settlement-system",
    "TradeCancelled": "settlement-system",
    "AssetSnapshotTaken": "settlement-system",
    "CustomerTransferRequested": "branch-counter / mobile-app",
    "CommissionRateSet": "branch-counter",
    "ClosingPricePublished": "market-data",
}

# Who consumes what: each service worker's IdempotentConsumer (consumer group = the service
# name, ``IdempotentConsumer.from_settings``), the topics it subscribes to (its handlers'
# ``TOPICS``) and the event types it applies there (its handler registry; other types on
# the topic are skipped). tests/contract/test_asyncapi.py checks this against the services.
CONSUMERS: dict[str, dict[str, list[str]]] = {
    "profile-svc": {
        "trade.settled": ["TradeSettled", "TradeCancelled"],
        "account.asset-snapshots": ["AssetSnapshotTaken"],
        "customer.transfer-requested": ["CustomerTransferRequested"],
    },
    "tiering-svc": {
        "trade.settled": ["TradeSettled", "TradeCancelled"],
        "account.asset-snapshots": ["AssetSnapshotTaken"],
        "profile.customers": ["CustomerRegistered", "CustomerProfileUpdated"],
        "ops.cases": ["SuggestionAdopted", "CustomerAssigned"],
    },
    "advisory-svc": {
        "account.commission-rates": ["CommissionRateSet"],
        "market.closing-prices": ["ClosingPricePublished"],
        "profile.customers": [
            "CustomerRegistered",
            "CustomerProfileUpdated",
            "RiskProfileAssessed",
        ],
        "tiering.points": ["PointsRedeemed"],
        "tiering.tiers": ["TierChanged"],
        "trade.settled": ["TradeSettled", "TradeCancelled"],
    },
    "notify-svc": {
        "profile.customers": [
            "CustomerRegistered",
            "CustomerProfileUpdated",
            "TransferAwayRecorded",
        ],
        "tiering.tiers": ["TierChanged"],
        "customer.transfer-requested": ["CustomerTransferRequested"],
        "notify.commands": ["NotificationRequested"],
        "advisory.products": ["AdvisoryAgreementSigned", "AdvisoryAgreementRescinded"],
        "advisory.content": ["ContentPublished", "ContentAudienceResolved"],
        "ops.cases": ["ServiceGroupChanged", "CustomerAssigned"],
    },
    "ops-assessment-svc": {
        "account.asset-snapshots": ["AssetSnapshotTaken"],
        "customer.transfer-requested": ["CustomerTransferRequested"],
        "profile.customers": [
            "CustomerRegistered",
            "CustomerProfileUpdated",
            "InteractionLogged",
            "TransferAwayRecorded",
        ],
        "tiering.tiers": ["TierChanged"],
        "trade.settled": ["TradeSettled", "TradeCancelled"],
    },
}

# tiering-svc's API process follows these for the call-center routing read model (ADR 0006):
# no consumer group, every partition assigned and read from its end (routing/read_model.py).
ROUTING_FEED: dict[str, list[str]] = {
    "tiering.tiers": ["TierChanged"],
    "profile.customers": ["CustomerRegistered", "CustomerProfileUpdated"],
    "ops.cases": ["CustomerAssigned"],
}


def _channel_id(topic: str) -> str:
    return topic.replace(".", "_").replace("-", "_")


def _receive_operations() -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for service, topics in CONSUMERS.items():
        for topic, types in topics.items():
            channel_id = _channel_id(topic)
            operations[f"receive_{_channel_id(service)}_{channel_id}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"{service}'s worker consumes {topic} as group {service}",
                "description": (
                    "At-least-once, idempotent by event id (ADR 0002); other event types on "
                    "the topic are skipped; an invalid event, or one its handler refuses for "
                    f"good, goes to `{topic}.dlq`."
                ),
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{t}"} for t in types],
                "bindings": {
                    "kafka": {
                        "groupId": {"type": "string", "enum": [service]},
                        "bindingVersion": "0.5.0",
                    }
                },
                "x-consumer-group": service,
            }
    for topic, types in ROUTING_FEED.items():
        channel_id = _channel_id(topic)
        operations[f"receive_tiering_routing_{channel_id}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"tiering-svc's API follows {topic} for the routing read model",
            "description": (
                "No consumer group: every partition is assigned and read from its end, "
                "after a snapshot of the tiering database (ADR 0006)."
            ),
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{t}"} for t in types],
            "x-consumer-group": None,
        }
    return operations


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(
        mode="serialization", ref_template="#/components/schemas/{model}"
    )


def build_document(version: str = "0.1.0") -> dict[str, Any]:
    """The AsyncAPI 3.0 document: one channel per topic, one message per event type."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic in ALL_TOPICS:
        channel_id = topic.name.replace(".", "_").replace("-", "_")
        types = [t for t, m in EVENT_TYPES.items() if m.TOPIC is topic]
        channels[channel_id] = {
            "address": topic.name,
            "description": topic.description,
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in types},
            "bindings": {"kafka": {"partitions": topic.partitions, "bindingVersion": "0.5.0"}},
        }
        who = "External systems publish" if topic.external else "Published through the outbox"
        operations[f"publish_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"{who} to {topic.name}",
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{t}"} for t in types],
        }
    operations.update(_receive_operations())
    for event_type, model in EVENT_TYPES.items():
        payload = _schema(Envelope[model])  # type: ignore[valid-type]
        defs = payload.pop("$defs", {})
        schemas.update(defs)
        schemas[f"{event_type}Envelope"] = payload
        messages[event_type] = {
            "name": event_type,
            "title": event_type,
            "summary": (model.__doc__ or event_type).strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {
                    "content-type": {
                        "const": CLOUDEVENTS_CONTENT_TYPE,
                        "description": (
                            "CloudEvents Kafka binding, structured mode; sent by the platform's"
                            " outboxes, not required of external producers"
                        ),
                    }
                },
            },
            "payload": {"$ref": f"#/components/schemas/{event_type}Envelope"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": model.KEY_DOC},
                    "bindingVersion": "0.5.0",
                }
            },
            "examples": [
                {
                    "name": f"{event_type}Example",
                    "summary": f"A {event_type} event (fictitious customer C000123)",
                    "headers": {"content-type": CLOUDEVENTS_CONTENT_TYPE},
                    "payload": example_envelope(event_type),
                }
            ],
            "x-external": model.EXTERNAL,
            "x-producer": PRODUCERS.get(event_type, _producer(model)),
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Brokerage branch customer-service platform events",
            "version": version,
            "description": (
                "CloudEvents 1.0 structured-mode JSON on Kafka. The message key and the envelope "
                "subject are the customer id, except where a message's key binding says "
                "otherwise (closing prices: the security code; content: the content id). Money "
                "is a decimal string in CNY. Every topic "
                f"has a dead-letter topic `<topic>.dlq` ({DLQ_PARTITIONS} partition) carrying "
                "the reason in the `dlq.reason` header."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "Tansu (make run)",
            },
            "production": {
                "host": "brokerage-kafka-kafka-bootstrap:9093",
                "protocol": "kafka-secure",
                "description": "Strimzi, TLS listener; one KafkaUser per service (ADR 0017)",
                "security": [{"$ref": "#/components/securitySchemes/scram"}],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
            "securitySchemes": {
                "scram": {
                    "type": "scramSha512",
                    "description": "SASL SCRAM-SHA-512 as the service's KafkaUser, over TLS",
                }
            },
        },
    }


def _producer(model: type[BaseEvent]) -> str:
    prefix = model.TOPIC.name.split(".", 1)[0]
    return {
        "profile": "profile-svc",
        "tiering": "tiering-svc",
        "advisory": "advisory-svc",
        "notify": "notify-svc",
        "ops": "ops-assessment-svc",
    }.get(prefix, "unknown")


def main() -> None:
    """``python -m brokerage_common.asyncapi > docs/asyncapi.yaml``"""
    import sys

    import yaml

    yaml.safe_dump(build_document(), sys.stdout, sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    main()
