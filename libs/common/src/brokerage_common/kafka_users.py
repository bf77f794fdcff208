"""Which Kafka topics and consumer groups each service may use, and its Strimzi ``KafkaUser``.

``python -m brokerage_common.kafka_users > deploy/k8s/kafka-users.yaml`` writes the
manifests. The table is kept by hand beside the code it describes; tests/contract checks
it against each service's ``handlers.TOPICS``, its consumer group and the events it
constructs, so a service that starts publishing a topic fails the contract until its row
says so. Each service gets only what it uses (ADR 0017): read its consumed topics with its
own group, write the topics it publishes and the dead-letter topics of what it consumes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .topics import (
    ADVISORY_CONTENT,
    ADVISORY_PRODUCTS,
    ASSET_SNAPSHOTS,
    CLOSING_PRICES,
    COMMISSION_RATES,
    NOTIFY_COMMANDS,
    NOTIFY_OUTCOMES,
    OPS_CASES,
    PROFILE_CUSTOMERS,
    TIERING_POINTS,
    TIERING_TIERS,
    TRADE_SETTLED,
    TRANSFER_REQUESTED,
    Topic,
)

STRIMZI_API = "kafka.strimzi.io/v1"
CLUSTER = "brokerage-kafka"
NAMESPACE = "brokerage-cs"
CLUSTER_CA_SECRET = f"{CLUSTER}-cluster-ca-cert"
"""The Secret holding the cluster CA certificate (key ``ca.crt``) that Strimzi creates."""
PASSWORD_KEY = "password"  # noqa: S105 - the name of a key, not a password
"""The key of the SCRAM password in the Secret the User Operator creates for a KafkaUser
(named as the user)."""


@dataclass(frozen=True)
class ServiceAccess:
    user: str
    """The KafkaUser, the SASL user name and the Secret with its password."""
    groups: tuple[str, ...]
    consumes: tuple[Topic, ...]
    """Read with its consumer group(s); it writes their dead-letter topics."""
    publishes: tuple[Topic, ...]
    follows: tuple[Topic, ...] = ()
    """Read without a consumer group (assigned partitions, no committed offsets)."""


ACCESS: tuple[ServiceAccess, ...] = (
    ServiceAccess(
        "profile-svc",
        groups=("profile-svc",),
        consumes=(TRADE_SETTLED, ASSET_SNAPSHOTS, TRANSFER_REQUESTED),
        # Transfer requests taken at the counter are published as the external ones are.
        publishes=(PROFILE_CUSTOMERS, TRANSFER_REQUESTED),
    ),
    ServiceAccess(
        "tiering-svc",
        groups=("tiering-svc",),
        consumes=(TRADE_SETTLED, ASSET_SNAPSHOTS, PROFILE_CUSTOMERS, OPS_CASES),
        publishes=(TIERING_TIERS, TIERING_POINTS),
        # The API's routing read model follows tier changes, registrations and group
        # assignments (ADR 0006).
        follows=(TIERING_TIERS, PROFILE_CUSTOMERS, OPS_CASES),
    ),
    ServiceAccess(
        "advisory-svc",
        groups=("advisory-svc",),
        consumes=(
            PROFILE_CUSTOMERS,
            TIERING_TIERS,
            TIERING_POINTS,
            TRADE_SETTLED,
            COMMISSION_RATES,
            CLOSING_PRICES,
        ),
        publishes=(ADVISORY_PRODUCTS, ADVISORY_CONTENT, NOTIFY_COMMANDS),
    ),
    ServiceAccess(
        "notify-svc",
        groups=("notify-svc",),
        consumes=(
            PROFILE_CUSTOMERS,
            TIERING_TIERS,
            TRANSFER_REQUESTED,
            NOTIFY_COMMANDS,
            ADVISORY_PRODUCTS,
            ADVISORY_CONTENT,
            OPS_CASES,
        ),
        publishes=(NOTIFY_OUTCOMES,),
    ),
    ServiceAccess(
        "ops-assessment-svc",
        groups=("ops-assessment-svc",),
        consumes=(
            TRADE_SETTLED,
            ASSET_SNAPSHOTS,
            PROFILE_CUSTOMERS,
            TIERING_TIERS,
            TRANSFER_REQUESTED,
        ),
        # Its cases, assignments and assessments; a data-leak complaint's alert to compliance.
        publishes=(OPS_CASES, NOTIFY_COMMANDS),
    ),
)

READ = ("Describe", "Read")
WRITE = ("Describe", "Write")


def _acl(kind: str, name: str, operations: Iterable[str]) -> dict[str, Any]:
    return {
        "resource": {"type": kind, "name": name, "patternType": "literal"},
        "operations": sorted(set(operations)),
    }


def topic_operations(access: ServiceAccess) -> dict[str, set[str]]:
    """Topic name -> the operations the service needs on it."""
    needs: dict[str, set[str]] = {}
    for topic in (*access.consumes, *access.follows):
        needs.setdefault(topic.name, set()).update(READ)
    for name in [t.name for t in access.publishes] + [t.dlq for t in access.consumes]:
        needs.setdefault(name, set()).update(WRITE)
    return needs


def kafka_user(access: ServiceAccess) -> dict[str, Any]:
    """The service's KafkaUser: SCRAM-SHA-512, simple ACLs of exactly what it uses.

    Writing with an idempotent producer needs no cluster ``IdempotentWrite`` on Kafka 3
    and later (KIP-679): ``Write`` on the topic implies it.
    """
    acls = [_acl("topic", name, ops) for name, ops in sorted(topic_operations(access).items())]
    acls += [_acl("group", group, READ) for group in access.groups]
    return {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaUser",
        "metadata": {
            "name": access.user,
            "namespace": NAMESPACE,
            "labels": {"strimzi.io/cluster": CLUSTER, "app.kubernetes.io/part-of": NAMESPACE},
        },
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }


HEADER = """\
# Generated by `python -m brokerage_common.kafka_users > deploy/k8s/kafka-users.yaml`
# from the table in libs/common/src/brokerage_common/kafka_users.py; do not edit here.
# One KafkaUser per service (SCRAM-SHA-512), allowed exactly the topics and consumer
# group it uses (ADR 0017). The User Operator creates a Secret of the same name whose
# key `password` the service's Kafka clients read as KAFKA_SASL_PASSWORD.
"""


def render() -> str:
    import yaml

    documents = [kafka_user(access) for access in ACCESS]
    body: str = yaml.safe_dump_all(documents, sort_keys=False, explicit_start=True)
    return HEADER + body


def main() -> None:
    import sys

    sys.stdout.write(render())


if __name__ == "__main__":
    main()
