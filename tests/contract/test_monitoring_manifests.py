"""Monitoring deploy files: the Prometheus Operator resources, compose's Grafana and rules.

kubernetes-validate has no schemas for custom resources, so the PodMonitors and the
PrometheusRule are validated against our own schema of the Prometheus Operator's
`monitoring.coreos.com/v1` fields we use (written from its API reference), strict as
`kubectl --validate=strict` is: an unknown field is an error. A field we start using must be
added here first, which is the point: nobody ships a typo the operator would ignore.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING_DIR = ROOT / "deploy" / "k8s" / "monitoring"
K8S_DIR = ROOT / "deploy" / "k8s"
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus" / "prometheus.yml"
RULES_DIR = ROOT / "deploy" / "prometheus" / "rules"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
NAMESPACE = "brokerage-cs"
# Prometheus duration, as the operator's CRDs pattern it.
DURATION = {
    "type": "string",
    "pattern": (
        r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?"
        r"(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
    ),
}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
LABEL_SELECTOR = {
    "type": "object",
    "properties": {
        "matchLabels": STRING_MAP,
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
SPEC_SCHEMAS: dict[str, dict[str, Any]] = {
    "PodMonitor": {
        "type": "object",
        "required": ["selector", "podMetricsEndpoints"],
        "properties": {
            "selector": LABEL_SELECTOR,
            "namespaceSelector": {
                "type": "object",
                "properties": {
                    "any": {"type": "boolean"},
                    "matchNames": {"type": "array", "items": {"type": "string"}},
                },
            },
            "podMetricsEndpoints": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "port": {"type": "string"},
                        "path": {"type": "string", "pattern": "^/"},
                        "interval": DURATION,
                        "scrapeTimeout": DURATION,
                        "scheme": {"enum": ["http", "https"]},
                        "honorLabels": {"type": "boolean"},
                    },
                },
            },
            "podTargetLabels": {"type": "array", "items": {"type": "string"}},
            "jobLabel": {"type": "string"},
        },
    },
    "PrometheusRule": {
        "type": "object",
        "required": ["groups"],
        "properties": {
            "groups": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "rules"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "interval": DURATION,
                        "rules": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["expr"],
                                "properties": {
                                    "alert": {"type": "string"},
                                    "record": {"type": "string"},
                                    "expr": {"type": ["string", "integer"]},
                                    "for": DURATION,
                                    "keep_firing_for": DURATION,
                                    "labels": STRING_MAP,
                                    "annotations": STRING_MAP,
                                },
                                "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                            },
                        },
                    },
                },
            }
        },
    },
}
METADATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "namespace"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "namespace": {"const": NAMESPACE},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def strict(schema: Any) -> Any:
    """The schema with unknown fields refused wherever it lists the known ones."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if isinstance(out.get("pattern"), str) and "(?i)" in out["pattern"]:
        # Go's regexp takes a flag group anywhere; Python's only at the start.
        out["pattern"] = "(?i)" + out["pattern"].replace("(?i)", "")
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@cache
def crd_schema(kind: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": kind},
            "metadata": METADATA_SCHEMA,
            "spec": strict(copy.deepcopy(SPEC_SCHEMAS[kind])),
        },
    }


def validate(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, crd_schema(doc["kind"]))


def monitoring_documents() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, doc)
        for path in sorted(MONITORING_DIR.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def find(kind: str, name: str) -> dict[str, Any]:
    (doc,) = [
        d for _, d in monitoring_documents() if d["kind"] == kind and d["metadata"]["name"] == name
    ]
    return copy.deepcopy(doc)


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(doc, id=f"{name}:{doc['kind']}/{doc['metadata']['name']}")
        for name, doc in monitoring_documents()
    ],
)
def test_monitoring_resource_is_valid_against_its_crd(doc: dict[str, Any]) -> None:
    validate(doc)


def test_monitoring_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((MONITORING_DIR / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == NAMESPACE
    listed = sorted(kustomization["resources"])
    assert listed == sorted(
        p.name for p in MONITORING_DIR.glob("*.yaml") if p.name != "kustomization.yaml"
    )
    assert {doc["kind"] for _, doc in monitoring_documents()} == {"PodMonitor", "PrometheusRule"}


def test_the_crd_checks_reject_broken_resources() -> None:
    typo = find("PodMonitor", "brokerage-cs-api")
    typo["spec"]["podMetricEndpoints"] = typo["spec"].pop("podMetricsEndpoints")
    bad_rule = find("PrometheusRule", "brokerage-cs-alerts")
    bad_rule["spec"]["groups"][0]["rules"][0]["for"] = "five minutes"
    no_name = find("PrometheusRule", "brokerage-cs-alerts")
    del no_name["spec"]["groups"][0]["name"]
    elsewhere = find("PodMonitor", "brokerage-cs-worker")
    elsewhere["metadata"]["namespace"] = "default"
    for doc in (typo, bad_rule, no_name, elsewhere):
        with pytest.raises(jsonschema.ValidationError):
            validate(doc)


def deployments() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S_DIR.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc.get("kind") == "Deployment"
    ]


def scraped_ports(deployment: dict[str, Any]) -> list[tuple[str, str]]:
    """(PodMonitor, port name) pairs that scrape this Deployment's pods."""
    template = deployment["spec"]["template"]
    labels = template["metadata"].get("labels", {})
    ports = {p.get("name") for c in template["spec"]["containers"] for p in c.get("ports", [])}
    found = []
    for _, monitor in monitoring_documents():
        if monitor["kind"] != "PodMonitor":
            continue
        selector = monitor["spec"]["selector"]
        if not selector.get("matchLabels", {}).items() <= labels.items():
            continue
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            if endpoint.get("port") in ports and endpoint.get("path", "/metrics") == "/metrics":
                found.append((monitor["metadata"]["name"], endpoint["port"]))
    return found


def test_every_api_and_worker_is_scraped_exactly_once() -> None:
    deployed = deployments()
    assert {d["metadata"]["name"] for d in deployed} >= {
        f"{svc}-{kind}"
        for svc in ("profile-svc", "tiering-svc", "notify-svc")
        for kind in ("api", "worker")
    }
    for deployment in deployed:
        assert len(scraped_ports(deployment)) == 1, deployment["metadata"]["name"]


def test_a_pod_without_the_named_port_is_not_scraped() -> None:
    (worker,) = [d for d in deployments() if d["metadata"]["name"] == "profile-svc-worker"]
    worker = copy.deepcopy(worker)
    worker["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"] = "prom"
    assert scraped_ports(worker) == []


def test_monitors_and_rules_are_found_by_the_same_prometheus() -> None:
    labels = [doc["metadata"]["labels"] for _, doc in monitoring_documents()]
    assert all(label.get("release") == labels[0].get("release") for label in labels)


# --------------------------------------------------------------------------- compose


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path (relative to the repository) of bind mounts."""
    found = {}
    for volume in service.get("volumes", []):
        host, container, *_ = str(volume).split(":")
        if host.startswith("./"):
            found[container] = host.removeprefix("./")
    return found


def test_compose_prometheus_loads_the_alert_rules() -> None:
    prometheus = compose()["services"]["prometheus"]
    config = yaml.safe_load(PROMETHEUS_FILE.read_text())
    container_mounts = mounts(prometheus)
    assert container_mounts["/etc/prometheus/prometheus.yml"] == "deploy/prometheus/prometheus.yml"
    assert config["rule_files"], "no rule_files"
    for rule_file in config["rule_files"]:
        directory, _, name = rule_file.rpartition("/")
        host_dir = container_mounts.get(directory)
        assert host_dir, f"{directory} is not mounted into prometheus"
        assert (ROOT / host_dir / name).is_file(), rule_file


def test_compose_grafana_is_pinned_and_provisioned() -> None:
    services = compose()["services"]
    grafana = services["grafana"]
    assert re.fullmatch(r"grafana/grafana:\d+\.\d+\.\d+", grafana["image"]), grafana["image"]
    container_mounts = mounts(grafana)
    assert container_mounts["/etc/grafana/provisioning"] == "deploy/grafana/provisioning"
    providers = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "dashboards" / "brokerage-cs.yml").read_text()
    )["providers"]
    for provider in providers:
        host_dir = ROOT / container_mounts[provider["options"]["path"]]
        assert host_dir == GRAFANA_DIR / "dashboards"
        assert sorted(p.name for p in host_dir.glob("*.json")) == [
            "notify-svc.json",
            "overview.json",
            "profile-svc.json",
            "tiering-svc.json",
        ]
    (datasource,) = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert "prometheus" in services
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (ROOT / container_mounts[home.rpartition("/")[0]] / home.rpartition("/")[2]).is_file()
    assert all(str(p).startswith("127.0.0.1:") for p in grafana.get("ports", [])), (
        "Grafana is published on the loopback only"
    )
