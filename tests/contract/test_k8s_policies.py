"""deploy/k8s beyond the single objects (issue #17, item 6): disruption budgets, spreading,
who may reach whom (NetworkPolicies), the SMS callbacks' Ingress, the workers' liveness."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from brokerage_common.liveness import LIVENESS_PATH

ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = ROOT / "deploy" / "k8s"
SERVICES = {
    "profile-svc": 8001,
    "tiering-svc": 8002,
    "advisory-svc": 8003,
    "notify-svc": 8004,
    "ops-assessment-svc": 8005,
}
WORKER_PORT = 9100
CONSOLE_PORT = 8080

# Peers as the checks below name them.
CONSOLE = ("pod", "staff-console")
GATEWAY = ("namespace", "ingress-nginx")
CALL_CENTER = ("namespace", "call-center")
PROMETHEUS = ("namespace+pod", "monitoring", "prometheus")
# Who must reach each API (spec api.md): the console for the staff, the API gateway for the
# mobile app, the call-center software for routing, the SMS provider through the Ingress.
API_CALLERS = {
    "profile-svc": {CONSOLE, GATEWAY, PROMETHEUS},
    "tiering-svc": {CONSOLE, GATEWAY, CALL_CENTER, PROMETHEUS},
    "advisory-svc": {CONSOLE, GATEWAY, PROMETHEUS},
    "notify-svc": {CONSOLE, GATEWAY, PROMETHEUS},
    "ops-assessment-svc": {CONSOLE, PROMETHEUS},
}
# The provider's callbacks (spec sms-gateway.md; Aliyun's push, ADR 0016).
SMS_CALLBACKS = {
    ("/v1/sms/delivery-reports", "Exact"),
    ("/v1/sms/replies", "Exact"),
    ("/v1/sms/aliyun/delivery-reports/", "Prefix"),
}


def documents() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S_DIR.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def of_kind(kind: str, docs: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return [doc for doc in (documents() if docs is None else docs) if doc["kind"] == kind]


def deployment_named(name: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [d for d in of_kind("Deployment", docs) if d["metadata"]["name"] == name]
    return found


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are checked here"
    return dict(selector.get("matchLabels", {})).items() <= labels.items()


# --------------------------------------------------------------------------- availability


def test_every_deployment_has_a_disruption_budget_workers_included() -> None:
    docs = documents()
    budgets = of_kind("PodDisruptionBudget", docs)
    for deployment in of_kind("Deployment", docs):
        labels = pod_labels(deployment)
        covering = [b for b in budgets if selects(b["spec"]["selector"], labels)]
        assert len(covering) == 1, deployment["metadata"]["name"]
        if labels["app.kubernetes.io/component"] == "worker":
            # Two replicas: a drain evicts one at a time, the other keeps consuming.
            assert covering[0]["spec"] == {
                "maxUnavailable": 1,
                "selector": deployment["spec"]["selector"],
            }
            assert deployment["spec"]["replicas"] == 2


def spread_problems(deployment: dict[str, Any]) -> list[str]:
    constraints = deployment["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
    by_key = {c["topologyKey"]: c for c in constraints}
    problems = []
    for key, when in (
        ("kubernetes.io/hostname", "DoNotSchedule"),
        ("topology.kubernetes.io/zone", "ScheduleAnyway"),
    ):
        constraint = by_key.get(key)
        if constraint is None:
            problems.append(f"no spread over {key}")
            continue
        if constraint["whenUnsatisfiable"] != when or constraint["maxSkew"] != 1:
            problems.append(f"spread over {key} is not maxSkew 1, {when}")
        if constraint["labelSelector"] != deployment["spec"]["selector"]:
            problems.append(f"spread over {key} counts other pods than the Deployment's")
        if constraint.get("matchLabelKeys") != ["pod-template-hash"]:
            problems.append(f"spread over {key} mixes a rollout's old and new pods")
    return problems


@pytest.mark.parametrize("name", [d["metadata"]["name"] for d in of_kind("Deployment")])
def test_replicas_spread_over_nodes_and_zones(name: str) -> None:
    deployment = deployment_named(name, documents())
    assert spread_problems(deployment) == []


def test_spread_check_rejects_a_wrong_selector() -> None:
    deployment = copy.deepcopy(of_kind("Deployment")[0])
    constraint = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"][0]
    constraint["labelSelector"] = {"matchLabels": {"app.kubernetes.io/part-of": "brokerage-cs"}}
    assert spread_problems(deployment) != []


@pytest.mark.parametrize("svc", SERVICES)
def test_the_worker_liveness_probe_sees_a_stuck_event_loop(svc: str) -> None:
    worker = deployment_named(f"{svc}-worker", documents())
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    probe = container["livenessProbe"]
    assert probe["httpGet"] == {"path": LIVENESS_PATH, "port": "metrics"}
    assert {"name": "metrics", "containerPort": WORKER_PORT} in container["ports"]
    # Restarted within about a minute of the loop's last turn (30 s, the default max age).
    assert probe["periodSeconds"] * probe["failureThreshold"] <= 60


# --------------------------------------------------------------------------- network policies


def peer_of(peer: dict[str, Any]) -> tuple[str, ...]:
    namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
    pods = peer.get("podSelector", {}).get("matchLabels", {})
    if namespace and pods:
        return (
            "namespace+pod",
            namespace["kubernetes.io/metadata.name"],
            pods["app.kubernetes.io/name"],
        )
    if namespace:
        return ("namespace", namespace["kubernetes.io/metadata.name"])
    if pods:
        return ("pod", pods["app.kubernetes.io/name"])
    return ("anyone",)


def callers(labels: dict[str, str], port: int, docs: list[dict[str, Any]]) -> set[tuple[str, ...]]:
    """Who the namespace's NetworkPolicies let reach a pod with these labels on this port."""
    found: set[tuple[str, ...]] = set()
    for policy in of_kind("NetworkPolicy", docs):
        spec = policy["spec"]
        if "Ingress" not in spec["policyTypes"] or not selects(spec["podSelector"], labels):
            continue
        for rule in spec.get("ingress", []):
            ports = [p["port"] for p in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            found |= {peer_of(peer) for peer in rule.get("from", [{}])}
    return found


def test_ingress_is_denied_by_default_in_the_namespace() -> None:
    policies = of_kind("NetworkPolicy")
    deny = [p for p in policies if p["metadata"]["name"] == "default-deny-ingress"]
    assert [p["spec"] for p in deny] == [{"podSelector": {}, "policyTypes": ["Ingress"]}]
    for policy in policies:
        assert policy["metadata"]["namespace"] == "brokerage-cs"


@pytest.mark.parametrize("svc", SERVICES)
def test_only_what_must_reach_an_api_may(svc: str) -> None:
    docs = documents()
    api = deployment_named(f"{svc}-api", docs)
    assert callers(pod_labels(api), SERVICES[svc], docs) == API_CALLERS[svc]
    # Not on any other port, and no other workload of the namespace (a worker, another API).
    assert callers(pod_labels(api), 5432, docs) == set()
    assert ("pod", "tiering-svc") not in callers(pod_labels(api), SERVICES[svc], docs)


@pytest.mark.parametrize("svc", SERVICES)
def test_a_worker_is_reached_by_prometheus_only(svc: str) -> None:
    docs = documents()
    worker = deployment_named(f"{svc}-worker", docs)
    assert callers(pod_labels(worker), WORKER_PORT, docs) == {PROMETHEUS}


def test_the_console_is_reached_through_the_sso_proxy_and_by_prometheus() -> None:
    docs = documents()
    console = deployment_named("staff-console", docs)
    assert callers(pod_labels(console), CONSOLE_PORT, docs) == {GATEWAY, PROMETHEUS}


def test_the_reachability_check_sees_an_opened_profile_svc() -> None:
    docs = documents()
    for policy in of_kind("NetworkPolicy", docs):
        if policy["metadata"]["name"] == "profile-svc-api":
            policy["spec"]["ingress"][0]["from"].append({"podSelector": {}})
    api = deployment_named("profile-svc-api", docs)
    assert ("anyone",) in callers(pod_labels(api), 8001, docs)


# --------------------------------------------------------------------------- ingress


def test_the_only_ingress_carries_the_sms_providers_callbacks() -> None:
    (ingress,) = of_kind("Ingress")
    assert ingress["metadata"]["name"] == "notify-svc-sms-callbacks"
    (rule,) = ingress["spec"]["rules"]
    paths = rule["http"]["paths"]
    assert {(p["path"], p["pathType"]) for p in paths} == SMS_CALLBACKS
    for path in paths:
        assert path["backend"] == {"service": {"name": "notify-svc", "port": {"number": 8004}}}
    assert [t["hosts"] for t in ingress["spec"]["tls"]] == [[rule["host"]]]
    # Aliyun's path carries its token: the controller must not log it.
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/enable-access-log"] == (
        "false"
    )


def test_the_callback_paths_are_notify_routes() -> None:
    from notify_svc.main import create_app

    routes = set(create_app().openapi()["paths"])
    for path, kind in SMS_CALLBACKS:
        if kind == "Exact":
            assert path in routes
        else:
            assert f"{path}{{token}}" in routes
