"""Every name a process exposes follows the naming scheme (ADR 0014, addendum; issue 17 item 2).

Each service's API is scraped through its own ``/metrics``; a worker serves the same
process registry on its metrics port (``start_http_server``), so the workers' names are
the registry's once every worker module is imported. A name fails when it has no known
prefix, when a ``_created`` series doubles a counter, or when it looks like a duration
or a size without its unit.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from brokerage_common import metrics

SERVICES = {
    "profile-svc": "profile_svc",
    "tiering-svc": "tiering_svc",
    "advisory-svc": "advisory_svc",
    "notify-svc": "notify_svc",
    "ops-assessment-svc": "ops_assessment_svc",
}
PREFIXES = metrics.NAMESPACES + metrics.DEFAULT_COLLECTOR_PREFIXES
# A word that says "this is a time or a size" must come with the base unit.
DURATION_OR_SIZE = re.compile(
    r"_(?:duration|latency|age|time|elapsed|delay|wait|timeout|size|length|remaining)(?:_|$)"
)
UNITS = re.compile(r"_(?:seconds|bytes|messages|rows|ratio)(?:_total|_bucket|_count|_sum)?$")


def problems(exposition: str) -> list[str]:
    found = []
    for family in text_string_to_metric_families(exposition):
        name = family.name
        if not name.startswith(PREFIXES):
            found.append(f"{name}: no service or subsystem prefix")
        if DURATION_OR_SIZE.search(name) and not UNITS.search(name):
            found.append(f"{name}: a duration or size without its unit")
        for sample in family.samples:
            if sample.name.endswith("_created"):
                found.append(f"{sample.name}: a _created series")
    return sorted(set(found))


def test_the_check_catches_each_kind_of_bad_name() -> None:
    bad = (
        "# TYPE consumer_lag gauge\nconsumer_lag 1\n"
        "# TYPE brokerage_x_total counter\nbrokerage_x_total 1\nbrokerage_x_created 1.7e9\n"
        "# TYPE notify_send_duration histogram\nnotify_send_duration_count 1\n"
        'notify_send_duration_sum 1\nnotify_send_duration_bucket{le="+Inf"} 1\n'
        "# TYPE tiering_payload_size gauge\ntiering_payload_size 3\n"
    )
    assert problems(bad) == [
        "brokerage_x_created: a _created series",
        "consumer_lag: no service or subsystem prefix",
        "notify_send_duration: a duration or size without its unit",
        "tiering_payload_size: a duration or size without its unit",
    ]
    good = (
        "# TYPE brokerage_consumer_lag_messages gauge\nbrokerage_consumer_lag_messages 1\n"
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1\n"
    )
    assert problems(good) == []


def _settings(module: str, tmp_path: Path) -> Any:
    config = importlib.import_module(f"{module}.config")
    return config.Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / module}.db",
        environment="test",
        kafka_bootstrap_servers="127.0.0.1:9",
    )


@pytest.mark.parametrize("module", SERVICES.values(), ids=list(SERVICES))
async def test_each_api_exposes_only_well_named_metrics(module: str, tmp_path: Path) -> None:
    main = importlib.import_module(f"{module}.main")
    app = main.create_app(_settings(module, tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        # A request first, so a counter has a sample that a _created series would double.
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert "brokerage_http_requests_total{" in text
    assert problems(text) == []


def test_the_workers_expose_only_well_named_metrics() -> None:
    for module in SERVICES.values():
        importlib.import_module(f"{module}.worker")
    # What a worker's metrics port serves: the process registry.
    text = generate_latest(REGISTRY).decode()
    for name in (
        "brokerage_consumer_events_total",
        "brokerage_consumer_lag_messages",
        "brokerage_outbox_backlog_messages",
        "notify_circuit_state",
        "tiering_routing_request_duration_seconds",
    ):
        assert f"# TYPE {name} " in text, name
    assert problems(text) == []
