"""Every metric name the dashboards and alerts use is in the table, and the code registers it.

A rename in the code (issue 17, item 2) that forgets the dashboards fails here.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from prometheus_client import REGISTRY

from brokerage_observability import alerts, build, dashboards
from brokerage_observability import metric_names as m

PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan",
}  # fmt: skip


def metric_names_in(expr: str) -> set[str]:
    """The metric (series) names a PromQL expression reads."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "", expr)  # matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges, Grafana's $__rate_interval
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set(re.findall(r"(?<![\w.$])([a-zA-Z_:][\w:]*)(?!\w*\s*\()", expr))
    return {n for n in names if n.lower() not in PROMQL_WORDS and not re.fullmatch(r"\d+\w*", n)}


def used_expressions() -> list[str]:
    exprs = [rule["expr"] for group in alerts.rule_groups() for rule in group["rules"]]
    for builder in dashboards.DASHBOARDS.values():
        for panel in dashboards.to_json(builder()).get("panels", []):
            exprs += [target["expr"] for target in panel.get("targets", [])]
    return exprs


def registered() -> dict[str, Any]:
    for module in sorted({metric.module for metric in m.ALL}):
        importlib.import_module(module)
    # prometheus_client has no public lookup by name: its registry's own index is the map
    # from every exposed series name (x_total, x_bucket, ...) to the metric object.
    return dict(REGISTRY._names_to_collectors)


def test_the_scanner_finds_metric_names_and_only_them() -> None:
    expr = (
        'sum by (service, route) (rate(http_requests_total{status=~"5.."}[5m]))'
        " / on (service) group_left max(outbox_backlog offset 10m) > 1 / 60"
        ' and histogram_quantile(0.99, rate(x_bucket{le="0.005"}[$__rate_interval]))'
    )
    assert metric_names_in(expr) == {"http_requests_total", "outbox_backlog", "x_bucket"}


def test_every_expression_uses_only_names_from_the_table() -> None:
    table = {series for metric in m.ALL for series in metric.series()}
    used = {name for expr in used_expressions() for name in metric_names_in(expr)}
    assert used, "no metric found: the scanner is broken"
    assert used - table == set()


def problems(metric: m.Metric, collectors: dict[str, Any]) -> list[str]:
    """How the code disagrees with the table about one metric (nothing when it agrees)."""
    missing = [series for series in metric.series() if series not in collectors]
    if missing:
        return [f"{series} is not registered by the code" for series in missing]
    collector = collectors[metric.series()[0]]
    found = []
    if collector._type != metric.kind:
        found.append(f"{metric.name} is a {collector._type}, not a {metric.kind}")
    if tuple(collector._labelnames) != metric.labels:
        found.append(f"{metric.name} has labels {collector._labelnames}, not {metric.labels}")
    module = importlib.import_module(metric.module)
    if not any(value is collector for value in vars(module).values()):
        found.append(f"{metric.name} is not defined in {metric.module}")
    return found


@pytest.mark.parametrize("metric", m.ALL, ids=[metric.name for metric in m.ALL])
def test_the_code_registers_each_metric_with_its_kind_and_labels(metric: m.Metric) -> None:
    assert problems(metric, registered()) == []


def test_a_renamed_relabelled_retyped_or_moved_metric_is_caught() -> None:
    collectors = registered()
    renamed = m.Metric("customers_registered_total", "counter", ("branch_id",), m.PROFILE)
    relabelled = m.Metric("notify_circuit_state", "gauge", ("gateway",), m.NOTIFY)
    retyped = m.Metric("brokerage_outbox_backlog_messages", "counter", ("service",), m.COMMON)
    moved = m.Metric("brokerage_outbox_backlog_messages", "gauge", ("service",), m.NOTIFY)
    for metric in (renamed, relabelled, retyped, moved):
        assert problems(metric, collectors) != [], metric


def test_the_label_values_the_queries_rely_on_are_the_codes() -> None:
    from notify_svc import metrics as notify_metrics
    from notify_svc.rules import State

    assert notify_metrics.CIRCUIT_STATES == m.CIRCUIT_STATES
    assert set(m.CIRCUIT_LEVELS) == set(m.CIRCUIT_STATES)
    assert State.DELIVERED.value == m.SMS_DELIVERED
    states = {s.value for s in State}
    # permanent_failure is a send outcome (SendOutcome), the others message states.
    assert {"undelivered", "expired"} <= states


def test_histogram_bounds_the_rules_use_are_real_buckets() -> None:
    collectors = registered()
    for metric, bound in (
        (m.ROUTING_LATENCY, alerts.ROUTING_TARGET_S),
        (m.OUTBOX_PUBLISH_LATENCY, alerts.OUTBOX_SLOW_S),
    ):
        assert bound in collectors[metric.bucket]._upper_bounds, (metric.name, bound)
    text = build.render()[build.RULES_FILE]
    assert 'le="0.005"' in text
    assert 'le="30.0"' in text
