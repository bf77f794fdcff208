"""Teach aiokafka InitProducerId v3, so its idempotent producer works on every broker we use.

aiokafka only speaks InitProducerId v0, which has no producer id/epoch fields.
Apache Kafka accepts v0, but Tansu (our local broker) answers v0 with an
error. v3 (Kafka 2.5+, flexible encoding, producer id/epoch -1 for a new
producer) is accepted by both, and aiokafka's version negotiation picks the
highest version both sides support. See docs/decisions/0004-local-broker.md.

Also: our clients never ask the broker to create a topic on first use. aiokafka's
metadata requests ask for it by default; after a restart Tansu then re-created every
topic with its default 4 partitions as soon as a worker reconnected, before
``kafka.ensure_topics`` could create it with its declared count (issue 16). Topics are
declared (``topics.py``) and created by ``ensure_topics`` or the deployment.
"""

from __future__ import annotations

from typing import Any

from aiokafka.protocol import metadata as _md
from aiokafka.protocol import transaction as _tx
from aiokafka.protocol.api import RequestStruct, Response
from aiokafka.protocol.types import CompactString, Int16, Int32, Int64, Schema, TaggedFields


class InitProducerIdResponse_v3(Response):  # type: ignore[misc]
    API_KEY = 22
    API_VERSION = 3
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("producer_id", Int64),
        ("producer_epoch", Int16),
        ("tags", TaggedFields),
    )


class InitProducerIdRequest_v3(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 22
    API_VERSION = 3
    RESPONSE_TYPE = InitProducerIdResponse_v3
    SCHEMA = Schema(
        ("transactional_id", CompactString("utf-8")),
        ("transaction_timeout_ms", Int32),
        ("producer_id", Int64),
        ("producer_epoch", Int16),
        ("tags", TaggedFields),
    )


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    original_build = _tx.InitProducerIdRequest.build

    def build(self: Any, request_struct_class: Any) -> Any:
        if request_struct_class is InitProducerIdRequest_v3:
            return InitProducerIdRequest_v3(
                self._transactional_id, self._transaction_timeout_ms, -1, -1, {}
            )
        return original_build(self, request_struct_class)

    _tx.InitProducerIdRequest._CLASSES = (_tx.InitProducerIdRequest_v0, InitProducerIdRequest_v3)
    _tx.InitProducerIdRequest.build = build

    original_init = _md.MetadataRequest.__init__

    def metadata_init(
        self: Any, topics: list[str] | None = None, allow_auto_topic_creation: bool | None = None
    ) -> None:
        original_init(
            self, topics, False if allow_auto_topic_creation is None else allow_auto_topic_creation
        )

    _md.MetadataRequest.__init__ = metadata_init
    _installed = True
