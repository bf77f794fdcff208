"""Deployment files keep the platform's contract: compose, Kubernetes, Kafka topics, images."""

from __future__ import annotations

import ast
import copy
import importlib
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from brokerage_common import kafka_users
from brokerage_common.events import EVENT_TYPES
from brokerage_common.kafka import KafkaConnection
from brokerage_common.settings import CommonSettings
from brokerage_common.topics import all_topic_specs

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus" / "prometheus.yml"
K8S_DIR = ROOT / "deploy" / "k8s"

# Every manifest validates (strictly) at both: the newest schema set kubernetes-validate
# 1.37 ships, and an older release clusters still run (issue #17).
K8S_VERSIONS = ("1.33", "1.37")
NAMESPACE = "brokerage-cs"
STRIMZI_CLUSTER = "brokerage-kafka"
# Strimzi 1.0 serves only v1 (v1beta2 is gone); its fields are checked below by our own
# strict schemas of what we use, written from Strimzi's v1 CRDs (KafkaTopic: unchanged
# fields, spec required; KafkaUser: ACL `operations` lists, the singular `operation` gone).
STRIMZI_API = "kafka.strimzi.io/v1"
KAFKA_TLS_PORT = 9093
WORKER_METRICS_PORT = 9100

# Local ports from docs (api.md); the ones not deployed yet come later.
PORTS = {
    "profile-svc": 8001,
    "tiering-svc": 8002,
    "advisory-svc": 8003,
    "notify-svc": 8004,
    "ops-assessment-svc": 8005,
}
DEPLOYED = ["profile-svc", "tiering-svc", "advisory-svc", "notify-svc", "ops-assessment-svc"]

COMMON_ENV = {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "LOG_LEVEL"}
EXTRA_ENV = {
    "notify-svc": {
        "SMS_GATEWAY_URL",
        "SMS_GATEWAY_KEY",
        "SMTP_HOST",
        "SMTP_PORT",
        "IM_WEBHOOK_URL",
        "IM_GROUP_WEBHOOKS",
        "COMPLIANCE_WEBHOOK",
    },
}
# Keys each <svc>-secrets Secret must hold in production.
SECRET_KEYS = {
    "profile-svc": {"DATABASE_URL", "AUTH_JWT_PUBLIC_KEY", "ID_NUMBER_HASH_KEY"},
    "tiering-svc": {"DATABASE_URL", "AUTH_JWT_PUBLIC_KEY"},
    "advisory-svc": {"DATABASE_URL", "AUTH_JWT_PUBLIC_KEY"},
    "notify-svc": {
        "DATABASE_URL",
        "AUTH_JWT_PUBLIC_KEY",
        "SMS_GATEWAY_KEY",
        "IM_WEBHOOK_URL",
        "IM_GROUP_WEBHOOKS",
        "COMPLIANCE_WEBHOOK",
    },
    "ops-assessment-svc": {"DATABASE_URL", "AUTH_JWT_PUBLIC_KEY"},
}

# The topic table of the code (brokerage_common.topics) is the single source; the
# manifests must mirror it exactly, and these literals pin the partition counts.
EVENT_TOPICS = {
    "trade.settled": 12,
    "account.asset-snapshots": 12,
    "customer.transfer-requested": 6,
    "profile.customers": 12,
    "tiering.tiers": 12,
    "tiering.points": 12,
    "notify.commands": 12,
    "notify.outcomes": 6,
    "ops.cases": 6,
    "advisory.products": 6,
    "account.commission-rates": 12,
    "market.closing-prices": 6,
    "advisory.content": 6,
}
DLQ_TOPICS = {f"{topic}.dlq": 1 for topic in EVENT_TOPICS}
TOPICS = {**EVENT_TOPICS, **DLQ_TOPICS}
assert all_topic_specs() == TOPICS, "brokerage_common.topics and this table disagree"
DAY_MS = 24 * 60 * 60 * 1000
EVENT_RETENTION_MS = 7 * DAY_MS
DLQ_RETENTION_MS = 30 * DAY_MS

KAFKA_TOPIC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": STRIMZI_API},
        "kind": {"const": "KafkaTopic"},
        "metadata": {
            "type": "object",
            "required": ["name", "namespace", "labels"],
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
                    "maxLength": 253,
                },
                "namespace": {"const": NAMESPACE},
                "labels": {
                    "type": "object",
                    "required": ["strimzi.io/cluster"],
                    "properties": {"strimzi.io/cluster": {"const": STRIMZI_CLUSTER}},
                },
            },
        },
        "spec": {
            "type": "object",
            "required": ["partitions", "replicas", "config"],
            "additionalProperties": False,
            "properties": {
                "topicName": {"type": "string", "minLength": 1},
                "partitions": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                "config": {
                    "type": "object",
                    "required": ["retention.ms", "min.insync.replicas"],
                    "properties": {
                        "retention.ms": {"type": "integer", "minimum": 1},
                        "min.insync.replicas": {"type": "integer", "minimum": 1},
                    },
                },
            },
        },
    },
}

STRIMZI_METADATA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "namespace", "labels"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
        "namespace": {"const": NAMESPACE},
        "labels": {
            "type": "object",
            "required": ["strimzi.io/cluster"],
            "properties": {"strimzi.io/cluster": {"const": STRIMZI_CLUSTER}},
        },
    },
}
ACL_OPERATIONS = [
    "Read",
    "Write",
    "Create",
    "Delete",
    "Alter",
    "Describe",
    "ClusterAction",
    "AlterConfigs",
    "DescribeConfigs",
    "IdempotentWrite",
    "All",
]
KAFKA_USER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": STRIMZI_API},
        "kind": {"const": "KafkaUser"},
        "metadata": STRIMZI_METADATA,
        "spec": {
            "type": "object",
            "required": ["authentication", "authorization"],
            "additionalProperties": False,
            "properties": {
                "authentication": {
                    "type": "object",
                    "required": ["type"],
                    "additionalProperties": False,
                    # The CRD also has tls and tls-external; the services use SCRAM.
                    "properties": {"type": {"const": "scram-sha-512"}},
                },
                "authorization": {
                    "type": "object",
                    "required": ["type", "acls"],
                    "additionalProperties": False,
                    "properties": {
                        "type": {"const": "simple"},
                        "acls": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["resource", "operations"],
                                "additionalProperties": False,
                                "properties": {
                                    "type": {"enum": ["allow", "deny"]},
                                    "host": {"type": "string"},
                                    "resource": {
                                        "type": "object",
                                        "required": ["type", "name", "patternType"],
                                        "additionalProperties": False,
                                        "properties": {
                                            "type": {
                                                "enum": [
                                                    "topic",
                                                    "group",
                                                    "cluster",
                                                    "transactionalId",
                                                ]
                                            },
                                            "name": {"type": "string", "minLength": 1},
                                            "patternType": {"enum": ["literal", "prefix"]},
                                        },
                                    },
                                    "operations": {
                                        "type": "array",
                                        "minItems": 1,
                                        "uniqueItems": True,
                                        "items": {"enum": ACL_OPERATIONS},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}
STRIMZI_SCHEMAS = {"KafkaTopic": KAFKA_TOPIC_SCHEMA, "KafkaUser": KAFKA_USER_SCHEMA}


def package(svc: str) -> str:
    return svc.replace("-", "_")


def database(svc: str) -> str:
    return svc.removesuffix("-svc").replace("-", "_")


# Every API runs without uvicorn's access log: a line per call-center lookup would cost
# more than the lookup (ADR 0006), an offers request is on a fast path too (ADR 0010), and
# a request line can carry what a log must not (a customer search's name and phone digits,
# ADR 0018; the SMS provider's report token in its callback path, ADR 0016). Requests are
# counted and timed by the HTTP metrics instead.
NO_ACCESS_LOG = set(DEPLOYED)


def api_command(svc: str) -> list[str]:
    return [
        "uvicorn", "--factory", f"{package(svc)}.main:create_app",
        "--host", "0.0.0.0", "--port", str(PORTS[svc]),
    ] + (["--no-access-log"] if svc in NO_ACCESS_LOG else [])  # fmt: skip


def worker_command(svc: str) -> list[str]:
    return ["python", "-m", f"{package(svc)}.worker"]


def migrate_command(svc: str) -> list[str]:
    return ["alembic", "-c", f"services/{svc}/alembic.ini", "upgrade", "head"]


def as_argv(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


# --------------------------------------------------------------------------- compose


@cache
def _compose_text() -> str:
    return COMPOSE_FILE.read_text()


def load_compose() -> dict[str, Any]:
    """A fresh copy each call, so a test may mutate it."""
    compose: dict[str, Any] = yaml.safe_load(_compose_text())
    return compose


def interpolate_defaults(value: str) -> str:
    """A value as compose sees it when the caller sets nothing: ${X:-default} -> default."""
    value = re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", value)
    return value.replace("$$", "$")


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {
        key: "" if value is None else interpolate_defaults(str(value)) for key, value in env.items()
    }


def depends_condition(service: dict[str, Any], other: str) -> str | None:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return "service_started" if other in depends else None
    if other not in depends:
        return None
    return str((depends[other] or {}).get("condition", "service_started"))


def compose_service_problems(compose: dict[str, Any], svc: str) -> list[str]:
    services = compose.get("services", {})
    names = {kind: f"{svc}-{kind}" for kind in ("migrate", "api", "worker")}
    missing = [name for name in names.values() if name not in services]
    if missing:
        return [f"missing compose services {missing}"]
    migrate, api, worker = (services[names[kind]] for kind in ("migrate", "api", "worker"))
    problems = []

    for kind, service, expected in (
        ("migrate", migrate, migrate_command(svc)),
        ("api", api, api_command(svc)),
        ("worker", worker, worker_command(svc)),
    ):
        if as_argv(service.get("command")) != expected:
            problems.append(f"{kind} command is {service.get('command')!r}, expected {expected}")
        build = service.get("build") or {}
        if build.get("context") != "." or build.get("dockerfile") != f"services/{svc}/Dockerfile":
            problems.append(
                f"{kind} is not built from services/{svc}/Dockerfile with the repo root as context"
            )
        env = compose_env(service)
        required = COMMON_ENV | {"AUTH_JWT_SECRET"} | EXTRA_ENV.get(svc, set())
        if missing_env := required - env.keys():
            problems.append(f"{kind} lacks env {sorted(missing_env)}")
        url = urlsplit(env.get("DATABASE_URL", ""))
        if (
            url.scheme != "postgresql+asyncpg"
            or url.hostname != "postgres"
            or url.path != f"/{database(svc)}"
        ):
            problems.append(
                f"{kind} DATABASE_URL {env.get('DATABASE_URL')!r} is not database {database(svc)}"
            )
        if kind != "migrate" and service.get("restart") not in (
            "always",
            "unless-stopped",
            "on-failure",
        ):
            problems.append(f"{kind} is not restarted when it exits")

    if depends_condition(migrate, "postgres") != "service_healthy":
        problems.append("migrate does not wait for a healthy postgres")
    for kind, service in (("api", api), ("worker", worker)):
        if depends_condition(service, names["migrate"]) != "service_completed_successfully":
            problems.append(f"{kind} does not wait for {names['migrate']} to complete successfully")
    if depends_condition(api, "kafka") not in (
        "service_healthy",
        "service_completed_successfully",
    ) and (depends_condition(api, "kafka-init") != "service_completed_successfully"):
        problems.append("api does not wait for kafka")
    if depends_condition(worker, "kafka-init") != "service_completed_successfully":
        problems.append("worker does not wait for the topics (kafka-init)")

    port = PORTS[svc]
    # Published on the host's loopback only (issue #17): nothing on 0.0.0.0.
    if f"127.0.0.1:{port}:{port}" not in [str(p) for p in api.get("ports", [])]:
        problems.append(f"api does not publish port {port}: {api.get('ports')}")
    return problems


@pytest.mark.parametrize("svc", DEPLOYED)
def test_compose_runs_migrate_api_and_worker_per_service(svc: str) -> None:
    assert compose_service_problems(load_compose(), svc) == []


@pytest.mark.parametrize("svc", DEPLOYED)
def test_compose_processes_of_a_service_share_one_configuration(svc: str) -> None:
    services = load_compose()["services"]
    envs = [compose_env(services[f"{svc}-{kind}"]) for kind in ("migrate", "api", "worker")]
    images = {services[f"{svc}-{kind}"].get("image") for kind in ("migrate", "api", "worker")}
    assert envs[0] == envs[1] == envs[2]
    assert len(images) == 1
    assert None not in images


def test_compose_gives_each_service_its_own_database_created_by_init_sql() -> None:
    services = load_compose()["services"]
    urls = {svc: urlsplit(compose_env(services[f"{svc}-api"])["DATABASE_URL"]) for svc in DEPLOYED}
    databases = {svc: url.path.lstrip("/") for svc, url in urls.items()}
    assert len(set(databases.values())) == len(DEPLOYED), databases
    assert len({url.username for url in urls.values()}) == len(DEPLOYED), (
        "each service logs in as its own role"
    )

    sql = INIT_SQL.read_text()
    created = dict(
        re.findall(r"CREATE DATABASE\s+(\w+)\s+OWNER\s+(\w+)\s*;", sql, flags=re.IGNORECASE)
    )
    assert set(created) == set(databases.values())
    for svc, url in urls.items():
        assert created[databases[svc]] == url.username
        assert re.search(rf"CREATE ROLE\s+{url.username}\s+LOGIN", sql, flags=re.IGNORECASE)

    postgres = services["postgres"]
    assert str(postgres["image"]).startswith("postgres:16")
    assert any(
        str(volume).startswith("./deploy/postgres/init.sql:/docker-entrypoint-initdb.d/")
        for volume in postgres.get("volumes", [])
    )


def test_compose_infrastructure_has_healthchecks() -> None:
    services = load_compose()["services"]
    for name in ("postgres", "kafka"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    kafka = services["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.0"
    env = compose_env(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}, (
        "single-node KRaft"
    )
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert depends_condition(services["kafka-init"], "kafka") == "service_healthy"


def kafka_init_topics(compose: dict[str, Any]) -> dict[str, tuple[int, int]]:
    script = "\n".join(as_argv_lines(compose["services"]["kafka-init"].get("command")))
    assert "kafka-topics.sh" in script
    assert "--create" in script
    found = re.findall(r"^\s*create\s+(\S+)\s+(\d+)\s+(\d+)\s*$", script, flags=re.MULTILINE)
    return {name: (int(partitions), int(retention)) for name, partitions, retention in found}


def as_argv_lines(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return [command] if isinstance(command, str) else [str(part) for part in command]


def test_compose_kafka_init_creates_every_topic() -> None:
    created = kafka_init_topics(load_compose())
    assert {name: partitions for name, (partitions, _) in created.items()} == TOPICS
    for name, (_, retention) in created.items():
        assert retention == (DLQ_RETENTION_MS if name.endswith(".dlq") else EVENT_RETENTION_MS), (
            name
        )


def test_compose_runs_sms_gateway_standin_for_notify_svc() -> None:
    services = load_compose()["services"]
    standin = services["sms-gateway-standin"]
    assert standin["build"] == {
        "context": ".",
        "dockerfile": "tools/sms-gateway-standin/Dockerfile",
    }
    assert "127.0.0.1:9300:9300" in standin["ports"]
    dockerfile = (ROOT / "tools" / "sms-gateway-standin" / "Dockerfile").read_text()
    assert re.search(
        r'^CMD \["python", "-m", "sms_gateway_standin"\]', dockerfile, flags=re.MULTILINE
    )
    for kind in ("api", "worker"):
        url = urlsplit(compose_env(services[f"notify-svc-{kind}"])["SMS_GATEWAY_URL"])
        assert (url.hostname, url.port) == ("sms-gateway-standin", 9300)


def test_prometheus_scrapes_every_api_and_worker() -> None:
    config = yaml.safe_load(PROMETHEUS_FILE.read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for group in job.get("static_configs", [])
        for target in group["targets"]
    }
    for svc in DEPLOYED:
        assert f"{svc}-api:{PORTS[svc]}" in targets
        assert f"{svc}-worker:{WORKER_METRICS_PORT}" in targets
    compose_services = load_compose()["services"]
    for target in targets:
        assert target.split(":")[0] in compose_services, f"{target} is not a compose service"
    assert str(compose_services["prometheus"]["volumes"][0]).startswith(
        "./deploy/prometheus/prometheus.yml:"
    )


def test_every_service_directory_is_deployed() -> None:
    """A new service under services/ needs compose, k8s and Prometheus entries (copy a block)."""
    present = {path.name for path in (ROOT / "services").iterdir() if path.is_dir()}
    assert present <= set(DEPLOYED), (
        f"add deployment files and DEPLOYED entries for {sorted(present - set(DEPLOYED))}"
    )


# --------------------------------------------------------------------------- Dockerfiles


def dockerfile_problems(text: str, svc: str) -> list[str]:
    problems = []
    instructions = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not any(line == "FROM python:3.11-slim" for line in instructions):
        problems.append("base image is not python:3.11-slim")
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("runs as root")
    froms = [line for line in instructions if line.startswith("FROM ")]
    if not froms or froms[-1] != "FROM python:3.11-slim":
        problems.append("the runtime stage is not a bare python:3.11-slim")
    # ADR 0020: exactly the image's lock, hashes checked; then the workspace, no dependencies.
    lock = f"COPY services/{svc}/requirements.lock /tmp/requirements.lock"
    if lock not in instructions or (
        "RUN /opt/venv/bin/pip install --require-hashes -r /tmp/requirements.lock"
        not in instructions
    ):
        problems.append("does not install the service's requirements.lock with --require-hashes")
    if (
        f"RUN /opt/venv/bin/pip install --no-deps /src/libs/common /src/services/{svc}"
        not in instructions
    ):
        problems.append("does not install libs/common and the service without dependencies")
    if "COPY --from=build /opt/venv /opt/venv" not in instructions:
        problems.append("the runtime stage does not take the built environment")
    for path in (f"services/{svc}/alembic.ini", f"services/{svc}/migrations"):
        if not re.search(
            rf"^COPY {re.escape(path)} \./{re.escape(path)}$", text, flags=re.MULTILINE
        ):
            problems.append(f"does not copy {path}")
    exposed = {
        port for line in instructions if line.startswith("EXPOSE ") for port in line.split()[1:]
    }
    if str(PORTS[svc]) not in exposed:
        problems.append(f"does not expose {PORTS[svc]}")
    cmd = [line for line in instructions if line.startswith("CMD ")]
    if not cmd or yaml.safe_load(cmd[-1].removeprefix("CMD ")) != api_command(svc):
        problems.append("default command is not the API")
    return problems


@pytest.mark.parametrize("svc", DEPLOYED)
def test_dockerfile_builds_a_non_root_api_image(svc: str) -> None:
    assert dockerfile_problems((ROOT / "services" / svc / "Dockerfile").read_text(), svc) == []


# --------------------------------------------------------------------------- Kubernetes


def k8s_files() -> list[Path]:
    return sorted(path for path in K8S_DIR.glob("*.yaml") if path.name != "kustomization.yaml")


@cache
def _k8s_text(path: Path) -> str:
    return path.read_text()


def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, doc)
        for path in k8s_files()
        for doc in yaml.safe_load_all(_k8s_text(path))
        if doc
    ]


def find(kind: str, name: str) -> dict[str, Any]:
    matches = [
        doc for _, doc in k8s_documents() if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def validate_manifest(doc: dict[str, Any]) -> None:
    """Raise if doc is not a valid object of its kind (CRDs we use included)."""
    if doc.get("kind") in STRIMZI_SCHEMAS:
        jsonschema.validate(doc, STRIMZI_SCHEMAS[doc["kind"]])
    else:
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == NAMESPACE
    assert sorted(kustomization["resources"]) == sorted(path.name for path in k8s_files())


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(doc, id=f"{name}:{doc['kind']}/{doc['metadata']['name']}")
        for name, doc in k8s_documents()
    ],
)
def test_k8s_manifest_is_valid(doc: dict[str, Any]) -> None:
    validate_manifest(doc)
    assert doc["metadata"].get("namespace") == NAMESPACE or doc["kind"] == "Namespace"


def test_k8s_commits_no_secret_values() -> None:
    kinds = {doc["kind"] for _, doc in k8s_documents()}
    assert "Secret" not in kinds
    for path in k8s_files():
        assert "AUTH_JWT_SECRET" not in _k8s_text(path), (
            "production verifies tokens with AUTH_JWT_PUBLIC_KEY"
        )


def port_number(container: dict[str, Any], port: int | str) -> int | None:
    if isinstance(port, int):
        return port
    return next(
        (p["containerPort"] for p in container.get("ports", []) if p.get("name") == port), None
    )


def container_env(
    container: dict[str, Any], configmap: dict[str, Any]
) -> tuple[set[str], dict[str, tuple[str, str]]]:
    """Plain variable names a container sees, and those from a Secret: name -> (secret, key)."""
    plain, secret = set(), {}
    for source in container.get("envFrom", []):
        if source.get("configMapRef", {}).get("name") == configmap["metadata"]["name"]:
            plain |= set(configmap.get("data", {}))
    for item in container.get("env", []):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            secret[item["name"]] = (ref["name"], ref["key"])
        else:
            plain.add(item["name"])
    return plain, secret


def env_problems(
    container: dict[str, Any], svc: str, configmap: dict[str, Any], *, needs_auth: bool
) -> list[str]:
    plain, secret = container_env(container, configmap)
    problems = []
    required = (
        COMMON_ENV | EXTRA_ENV.get(svc, set()) | ({"AUTH_JWT_PUBLIC_KEY"} if needs_auth else set())
    )
    if missing := required - plain - secret.keys():
        problems.append(f"{container['name']} lacks env {sorted(missing)}")
    for key in SECRET_KEYS[svc] & required:
        if secret.get(key) != (f"{svc}-secrets", key):
            problems.append(f"{container['name']} does not read {key} from Secret {svc}-secrets")
    return problems


# Containers without a CPU limit: routing's API (tiering-svc), whose p99 a CFS quota's
# throttling would eat (deploy/README.md, "CPU"); the request still reserves its share.
NO_CPU_LIMIT = {("tiering-svc-api", "api")}


def pod_problems(deployment: dict[str, Any], metrics_port: int) -> list[str]:
    problems = []
    template = deployment["spec"]["template"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    if not selector.items() <= template["metadata"].get("labels", {}).items():
        problems.append("selector does not match the pod labels")
    annotations = template["metadata"].get("annotations", {})
    expected = {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(metrics_port),
        "prometheus.io/path": "/metrics",
    }
    if not expected.items() <= annotations.items():
        problems.append(f"scrape annotations {annotations} are not {expected}")
    pod = template["spec"]
    for container in pod.get("initContainers", []) + pod["containers"]:
        non_root = container.get("securityContext", {}).get(
            "runAsNonRoot", pod.get("securityContext", {}).get("runAsNonRoot")
        )
        if non_root is not True:
            problems.append(f"{container['name']} may run as root")
        resources = container.get("resources", {})
        if not {"cpu", "memory"} <= set(resources.get("requests", {})):
            problems.append(f"{container['name']} has no cpu/memory requests")
        unlimited_cpu = (deployment["metadata"]["name"], container["name"]) in NO_CPU_LIMIT
        limits = {"memory"} if unlimited_cpu else {"cpu", "memory"}
        if not limits <= set(resources.get("limits", {})):
            problems.append(f"{container['name']} has no {'/'.join(sorted(limits))} limits")
        if unlimited_cpu and "cpu" in resources.get("limits", {}):
            problems.append(f"{container['name']} has a CPU limit (throttling, deploy/README.md)")
    return problems


def api_deployment_problems(
    deployment: dict[str, Any], svc: str, configmap: dict[str, Any]
) -> list[str]:
    port = PORTS[svc]
    problems = pod_problems(deployment, port)
    pod = deployment["spec"]["template"]["spec"]
    api = next((c for c in pod["containers"] if c["name"] == "api"), None)
    if api is None:
        return [*problems, "no container named api"]
    if not api["image"].startswith(f"brokerage-cs/{svc}:"):
        problems.append(f"api image {api['image']} is not brokerage-cs/{svc}")
    if as_argv(api.get("command")) + as_argv(api.get("args")) != api_command(svc):
        problems.append(f"api command {api.get('command')} is not {api_command(svc)}")
    if port not in [p["containerPort"] for p in api.get("ports", [])]:
        problems.append(f"api does not declare containerPort {port}")
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        http = api.get(probe, {}).get("httpGet")
        if not http or http.get("path") != path or port_number(api, http.get("port")) != port:
            problems.append(f"api {probe} is not GET {path} on {port}")
    problems += env_problems(api, svc, configmap, needs_auth=True)

    migrations = [
        c
        for c in pod.get("initContainers", [])
        if as_argv(c.get("command")) == migrate_command(svc)
    ]
    if len(migrations) != 1:
        problems.append("no initContainer runs the alembic migration")
    else:
        if migrations[0]["image"] != api["image"]:
            problems.append("the migration runs another image than the api")
        problems += env_problems(migrations[0], svc, configmap, needs_auth=True)
    return problems


def worker_deployment_problems(
    deployment: dict[str, Any], svc: str, configmap: dict[str, Any]
) -> list[str]:
    problems = pod_problems(deployment, WORKER_METRICS_PORT)
    if deployment["spec"].get("replicas") != 2:
        problems.append(f"worker replicas {deployment['spec'].get('replicas')} != 2")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    if len(containers) != 1:
        return [*problems, "worker pod should have exactly one container"]
    (worker,) = containers
    if as_argv(worker.get("command")) + as_argv(worker.get("args")) != worker_command(svc):
        problems.append(f"worker command {worker.get('command')} is not {worker_command(svc)}")
    if WORKER_METRICS_PORT not in [p["containerPort"] for p in worker.get("ports", [])]:
        problems.append(f"worker does not declare containerPort {WORKER_METRICS_PORT}")
    problems += env_problems(worker, svc, configmap, needs_auth=False)
    return problems


def service_problems(service: dict[str, Any], api: dict[str, Any], svc: str) -> list[str]:
    problems = []
    pod_labels = api["spec"]["template"]["metadata"]["labels"]
    if not service["spec"]["selector"].items() <= pod_labels.items():
        problems.append("Service selector does not select the api pods")
    if service["spec"].get("type", "ClusterIP") != "ClusterIP":
        problems.append("Service is exposed outside the cluster")
    container = next(c for c in api["spec"]["template"]["spec"]["containers"] if c["name"] == "api")
    ports = service["spec"]["ports"]
    if not any(
        p["port"] == PORTS[svc]
        and port_number(container, p.get("targetPort", p["port"])) == PORTS[svc]
        for p in ports
    ):
        problems.append(f"Service does not route port {PORTS[svc]} to the api")
    return problems


def hpa_problems(hpa: dict[str, Any], svc: str) -> list[str]:
    problems = []
    spec = hpa["spec"]
    if hpa["apiVersion"] != "autoscaling/v2":
        problems.append("HPA is not autoscaling/v2")
    target = spec["scaleTargetRef"]
    if (target.get("kind"), target.get("name")) != ("Deployment", f"{svc}-api"):
        problems.append(f"HPA scales {target}, not Deployment {svc}-api")
    if (spec.get("minReplicas"), spec.get("maxReplicas")) != (2, 10):
        problems.append("HPA bounds are not 2..10")
    cpu = [
        m
        for m in spec.get("metrics", [])
        if m.get("type") == "Resource" and m["resource"]["name"] == "cpu"
    ]
    if [m["resource"]["target"] for m in cpu] != [
        {"type": "Utilization", "averageUtilization": 70}
    ]:
        problems.append("HPA does not target 70% CPU")
    return problems


def configmap_problems(configmap: dict[str, Any], svc: str) -> list[str]:
    data = configmap.get("data", {})
    problems = []
    if any(key in data for key in SECRET_KEYS[svc] | {"AUTH_JWT_SECRET"}):
        problems.append("a secret sits in the ConfigMap")
    if data.get("KAFKA_BOOTSTRAP_SERVERS") != f"{STRIMZI_CLUSTER}-kafka-bootstrap:{KAFKA_TLS_PORT}":
        problems.append("KAFKA_BOOTSTRAP_SERVERS is not the Strimzi bootstrap's TLS listener")
    if any(key.startswith(("KAFKA_SASL", "KAFKA_SECURITY")) for key in data):
        # Only the containers that build Kafka clients get the credentials (see below).
        problems.append("Kafka security settings sit in the ConfigMap")
    return problems


@pytest.mark.parametrize("svc", DEPLOYED)
def test_k8s_service_has_its_resources(svc: str) -> None:
    configmap = find("ConfigMap", f"{svc}-config")
    api = find("Deployment", f"{svc}-api")
    problems = (
        configmap_problems(configmap, svc)
        + api_deployment_problems(api, svc, configmap)
        + worker_deployment_problems(find("Deployment", f"{svc}-worker"), svc, configmap)
        + service_problems(find("Service", svc), api, svc)
        + hpa_problems(find("HorizontalPodAutoscaler", f"{svc}-api"), svc)
    )
    assert problems == []


def test_kafka_topics_match_the_table() -> None:
    topics = [doc for _, doc in k8s_documents() if doc["kind"] == "KafkaTopic"]
    for topic in topics:
        jsonschema.validate(topic, KAFKA_TOPIC_SCHEMA)
    names = [topic["spec"].get("topicName", topic["metadata"]["name"]) for topic in topics]
    assert len(names) == len(set(names)), "duplicate topic"
    assert {
        name: topic["spec"]["partitions"] for name, topic in zip(names, topics, strict=True)
    } == TOPICS
    for name, topic in zip(names, topics, strict=True):
        spec = topic["spec"]
        assert spec["replicas"] == 3, name
        assert spec["config"]["min.insync.replicas"] == 2, name
        expected = DLQ_RETENTION_MS if name.endswith(".dlq") else EVENT_RETENTION_MS
        assert spec["config"]["retention.ms"] == expected, name


# --------------------------------------------------------------------------- the checks can fail


def _api_with(mutate: Any) -> list[str]:
    configmap = find("ConfigMap", "profile-svc-config")
    api = copy.deepcopy(find("Deployment", "profile-svc-api"))
    mutate(api["spec"]["template"]["spec"]["containers"][0], api)
    return api_deployment_problems(api, "profile-svc", configmap)


BROKEN_API = {
    "no readiness probe": lambda c, d: c.pop("readinessProbe"),
    "liveness on the wrong path": lambda c, d: c["livenessProbe"]["httpGet"].update(path="/"),
    "wrong port": lambda c, d: c["ports"][0].update(containerPort=8080),
    "root allowed": lambda c, d: d["spec"]["template"]["spec"]["securityContext"].update(
        runAsNonRoot=False
    ),
    "no limits": lambda c, d: c["resources"].pop("limits"),
    "no scrape annotation": lambda c, d: d["spec"]["template"]["metadata"]["annotations"].clear(),
    "no migration": lambda c, d: d["spec"]["template"]["spec"].pop("initContainers"),
    "secret inline": lambda c, d: c["env"].__setitem__(
        0, {"name": "DATABASE_URL", "value": "postgresql://x"}
    ),
}


@pytest.mark.parametrize("mutation", BROKEN_API.values(), ids=list(BROKEN_API))
def test_api_check_rejects_a_broken_deployment(mutation: Any) -> None:
    assert _api_with(mutation) != []


def test_schema_checks_reject_broken_manifests() -> None:
    deployment = copy.deepcopy(find("Deployment", "profile-svc-worker"))
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_manifest(deployment)
    typo = copy.deepcopy(find("Deployment", "profile-svc-api"))
    container = typo["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_manifest(typo)
    for partitions in (0, "12", None):
        topic = copy.deepcopy(find("KafkaTopic", "trade.settled"))
        topic["spec"]["partitions"] = partitions
        with pytest.raises(jsonschema.ValidationError):
            validate_manifest(topic)


def test_compose_check_rejects_a_broken_stack() -> None:
    compose = load_compose()
    del compose["services"]["tiering-svc-api"]["depends_on"]["tiering-svc-migrate"]
    compose["services"]["tiering-svc-api"]["ports"] = ["8003:8002"]
    problems = compose_service_problems(compose, "tiering-svc")
    assert any("tiering-svc-migrate" in p for p in problems)
    assert any("port 8002" in p for p in problems)
    compose = load_compose()
    del compose["services"]["notify-svc-worker"]
    assert compose_service_problems(compose, "notify-svc") != []


# --------------------------------------------------------------------------- Kafka users and ACLs

KAFKA_CA_SECRET = f"{STRIMZI_CLUSTER}-cluster-ca-cert"
# Containers that build Kafka clients: every worker, and tiering's API (its routing
# follower reads tier changes and registrations, ADR 0006).
KAFKA_CLIENT_CONTAINERS = [(f"{svc}-worker", "worker", svc) for svc in DEPLOYED] + [
    ("tiering-svc-api", "api", "tiering-svc")
]
# Topics read without a consumer group, by the module that reads them.
FOLLOWERS = {"tiering-svc": "tiering_svc/routing/read_model.py"}


def access(svc: str) -> kafka_users.ServiceAccess:
    (row,) = [row for row in kafka_users.ACCESS if row.user == svc]
    return row


def _event_class_names(path: Path, *, called: bool) -> set[str]:
    """Event classes constructed in a file (``called``), or whose ``.TOPIC`` it reads."""
    names = {cls.__name__ for cls in EVENT_TYPES.values()}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if called and isinstance(node, ast.Call):
            target = node.func
        elif not called and isinstance(node, ast.Attribute) and node.attr == "TOPIC":
            target = node.value
        else:
            continue
        name = getattr(target, "id", getattr(target, "attr", None))
        if name in names:
            found.add(name)
    return found


def topics_of(class_names: set[str]) -> set[str]:
    by_name = {cls.__name__: cls for cls in EVENT_TYPES.values()}
    return {by_name[name].TOPIC.name for name in class_names}


def published_topics(svc: str) -> set[str]:
    """The topics of every event a service's code constructs (what its outbox can carry)."""
    src = ROOT / "services" / svc / "src"
    return topics_of(set().union(*(_event_class_names(p, called=True) for p in src.rglob("*.py"))))


def test_kafka_users_are_generated_from_the_table() -> None:
    assert (K8S_DIR / "kafka-users.yaml").read_text() == kafka_users.render(), (
        "deploy/k8s/kafka-users.yaml is stale: run "
        "`.venv/bin/python -m brokerage_common.kafka_users > deploy/k8s/kafka-users.yaml`"
    )
    users = [doc for _, doc in k8s_documents() if doc["kind"] == "KafkaUser"]
    assert sorted(user["metadata"]["name"] for user in users) == sorted(DEPLOYED)


@pytest.mark.parametrize("svc", DEPLOYED)
def test_the_access_table_is_what_the_code_uses(svc: str) -> None:
    row = access(svc)
    handlers = importlib.import_module(f"{package(svc)}.handlers")
    assert {t.name for t in row.consumes} == set(handlers.TOPICS)
    config = importlib.import_module(f"{package(svc)}.config")
    # IdempotentConsumer.from_settings: the group is the service name.
    assert row.groups == (config.Settings.model_fields["service_name"].default,) == (svc,)
    assert {t.name for t in row.publishes} == published_topics(svc)
    follower = FOLLOWERS.get(svc)
    followed = (
        topics_of(_event_class_names(ROOT / "services" / svc / "src" / follower, called=False))
        if follower
        else set()
    )
    assert {t.name for t in row.follows} == followed


def user_acls(svc: str) -> dict[tuple[str, str], set[str]]:
    user = find("KafkaUser", svc)
    return {
        (acl["resource"]["type"], acl["resource"]["name"]): set(acl["operations"])
        for acl in user["spec"]["authorization"]["acls"]
    }


@pytest.mark.parametrize("svc", DEPLOYED)
def test_a_service_may_use_only_its_topics_and_its_group(svc: str) -> None:
    acls = user_acls(svc)
    row = access(svc)
    read = {t.name for t in row.consumes + row.follows}
    written = {t.name for t in row.publishes} | {t.dlq for t in row.consumes}
    expected = {("topic", name): set() for name in read | written}
    for name in read:
        expected["topic", name] |= {"Describe", "Read"}
    for name in written:
        expected["topic", name] |= {"Describe", "Write"}
    expected["group", svc] = {"Describe", "Read"}
    assert acls == expected
    assert {name for kind, name in acls if kind == "topic"} <= set(TOPICS)
    user = find("KafkaUser", svc)
    assert all(
        a["resource"]["patternType"] == "literal" for a in user["spec"]["authorization"]["acls"]
    )


def test_the_acls_follow_the_event_flow() -> None:
    """Spot checks from events.md: who sends commands to notify-svc and who reads them."""
    assert user_acls("notify-svc")["topic", "notify.commands"] == {"Describe", "Read"}
    assert user_acls("advisory-svc")["topic", "notify.commands"] == {"Describe", "Write"}
    assert ("topic", "notify.commands") not in user_acls("tiering-svc")
    assert user_acls("tiering-svc")["topic", "tiering.tiers"] == {"Describe", "Read", "Write"}
    assert ("topic", "tiering.tiers") not in user_acls("profile-svc")
    assert user_acls("profile-svc")["topic", "trade.settled.dlq"] == {"Describe", "Write"}
    # No service reads another's consumer group: the offsets are its own.
    for svc in DEPLOYED:
        assert [name for kind, name in user_acls(svc) if kind == "group"] == [svc]


def kafka_client_problems(deployment: dict[str, Any], container_name: str, svc: str) -> list[str]:
    pod = deployment["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == container_name]
    env = {item["name"]: item for item in container.get("env", [])}
    problems = []
    plain = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": find("KafkaUser", svc)["metadata"]["name"],
    }
    for name, value in plain.items():
        if env.get(name, {}).get("value") != value:
            problems.append(f"{container_name}: {name} is not {value}")
    ref = env.get("KAFKA_SASL_PASSWORD", {}).get("valueFrom", {}).get("secretKeyRef")
    # The Secret the User Operator creates for the KafkaUser: same name, key "password".
    if ref != {"name": svc, "key": kafka_users.PASSWORD_KEY}:
        problems.append(f"{container_name}: KAFKA_SASL_PASSWORD is not from Secret {svc}")
    cafile = Path(env.get("KAFKA_SSL_CAFILE", {}).get("value", "/none"))
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    secret = volumes.get(mounts.get(str(cafile.parent), ""), {}).get("secret", {})
    if secret.get("secretName") != KAFKA_CA_SECRET or {
        "key": "ca.crt",
        "path": cafile.name,
    } not in (secret.get("items", [])):
        problems.append(f"{container_name}: KAFKA_SSL_CAFILE is not the cluster CA's ca.crt")
    if problems:
        return problems
    # What these settings make in production: a SCRAM connection over TLS, accepted.
    values = {name.lower(): item["value"] for name, item in env.items() if "value" in item}
    settings = CommonSettings(
        **values,
        environment="production",
        database_url="postgresql+asyncpg://svc@db/svc",
        auth_jwt_public_key="-----BEGIN PUBLIC KEY-----",
        kafka_sasl_password="p" * 32,
        kafka_bootstrap_servers=find("ConfigMap", f"{svc}-config")["data"][
            "KAFKA_BOOTSTRAP_SERVERS"
        ],
    )
    connection = KafkaConnection.from_settings(settings)
    if not (connection.uses_tls and connection.uses_sasl):
        problems.append(f"{container_name}: the connection is not SASL over TLS")
    return problems


@pytest.mark.parametrize(("deployment", "container", "svc"), KAFKA_CLIENT_CONTAINERS)
def test_kafka_clients_authenticate_as_their_user_over_tls(
    deployment: str, container: str, svc: str
) -> None:
    assert kafka_client_problems(find("Deployment", deployment), container, svc) == []


def test_only_kafka_clients_get_the_kafka_password() -> None:
    clients = {(deployment, container) for deployment, container, _ in KAFKA_CLIENT_CONTAINERS}
    for _, doc in k8s_documents():
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        for c in pod.get("initContainers", []) + pod["containers"]:
            names = {item["name"] for item in c.get("env", [])}
            if (doc["metadata"]["name"], c["name"]) not in clients:
                assert "KAFKA_SASL_PASSWORD" not in names, (doc["metadata"]["name"], c["name"])


def _worker_with(mutate: Any) -> list[str]:
    deployment = copy.deepcopy(find("Deployment", "notify-svc-worker"))
    pod = deployment["spec"]["template"]["spec"]
    (worker,) = pod["containers"]
    mutate({item["name"]: item for item in worker["env"]}, pod)
    return kafka_client_problems(deployment, "worker", "notify-svc")


BROKEN_KAFKA_CLIENT = {
    "plaintext": lambda env, pod: env["KAFKA_SECURITY_PROTOCOL"].update(value="PLAINTEXT"),
    "SASL PLAIN": lambda env, pod: env["KAFKA_SASL_MECHANISM"].update(value="PLAIN"),
    "another user": lambda env, pod: env["KAFKA_SASL_USERNAME"].update(value="tiering-svc"),
    "password inline": lambda env, pod: env["KAFKA_SASL_PASSWORD"].update(
        value="x" * 32, valueFrom={}
    ),
    "another user's password": lambda env, pod: env["KAFKA_SASL_PASSWORD"]["valueFrom"][
        "secretKeyRef"
    ].update(name="tiering-svc"),
    "no CA mounted": lambda env, pod: pod["volumes"].pop(
        next(i for i, v in enumerate(pod["volumes"]) if v["name"] == "kafka-ca")
    ),
    "CA from the clients' CA": lambda env, pod: next(
        v for v in pod["volumes"] if v["name"] == "kafka-ca"
    )["secret"].update(secretName=f"{STRIMZI_CLUSTER}-clients-ca-cert"),
}


@pytest.mark.parametrize("mutation", BROKEN_KAFKA_CLIENT.values(), ids=list(BROKEN_KAFKA_CLIENT))
def test_kafka_client_check_rejects_a_broken_worker(mutation: Any) -> None:
    assert _worker_with(mutation) != []


BROKEN_USER = {
    "v1beta2": lambda u: u.update(apiVersion="kafka.strimzi.io/v1beta2"),
    "singular operation (gone in v1)": lambda u: u["spec"]["authorization"]["acls"][0].update(
        operation="Read"
    ),
    "no operations": lambda u: u["spec"]["authorization"]["acls"][0].pop("operations"),
    "unknown operation": lambda u: u["spec"]["authorization"]["acls"][0].update(
        operations=["Reed"]
    ),
    "tls authentication": lambda u: u["spec"]["authentication"].update(type="tls"),
    "no spec": lambda u: u.pop("spec"),
    "other cluster": lambda u: u["metadata"]["labels"].update({"strimzi.io/cluster": "other"}),
    "wildcard pattern": lambda u: u["spec"]["authorization"]["acls"][0]["resource"].update(
        patternType="wildcard"
    ),
}


@pytest.mark.parametrize("mutation", BROKEN_USER.values(), ids=list(BROKEN_USER))
def test_kafka_user_schema_rejects_a_broken_user(mutation: Any) -> None:
    user = copy.deepcopy(find("KafkaUser", "profile-svc"))
    validate_manifest(user)
    mutation(user)
    with pytest.raises(jsonschema.ValidationError):
        validate_manifest(user)


def test_kafka_topic_schema_rejects_v1beta2() -> None:
    topic = copy.deepcopy(find("KafkaTopic", "trade.settled"))
    topic["apiVersion"] = "kafka.strimzi.io/v1beta2"
    with pytest.raises(jsonschema.ValidationError):
        validate_manifest(topic)
