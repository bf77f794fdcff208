"""Prometheus metrics every service exposes (one registry per process).

Names follow one scheme (ADR 0014, addendum): ``<namespace>_<subsystem>_<name>_<unit>``,
counters ending in ``_total``, base units (seconds, bytes; ``messages`` for a count of
queued messages). The platform's metrics, defined here, take the namespace ``brokerage``;
a service's own take its short name (``profile``, ``tiering``, ``advisory``, ``notify``,
``ops``). ``tools/observability/tests/test_metric_names.py`` scrapes every process and fails
on any other name.
"""

from __future__ import annotations

import prometheus_client
from prometheus_client import Counter, Gauge, Histogram

# No ``<name>_created`` series beside every counter and histogram: it doubles the series
# count for a timestamp nobody queries (issue 17). Done at import, before any metric below
# is created, so every process that imports the platform gets it.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_REQUESTS = Counter(
    "brokerage_http_requests_total",
    "HTTP requests by route and status",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "brokerage_http_request_duration_seconds",
    "HTTP request latency by route",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)
EVENTS_CONSUMED = Counter(
    "brokerage_consumer_events_total", "Events applied", ["consumer", "topic"]
)
EVENTS_DUPLICATE = Counter(
    "brokerage_consumer_events_duplicate_total",
    "Events skipped because their id was already processed",
    ["consumer", "topic"],
)
EVENTS_FAILED = Counter(
    "brokerage_consumer_batch_failures_total",
    "Batch attempts that failed (transiently, then retried; or finally)",
    ["consumer", "topic"],
)
EVENTS_DEAD_LETTERED = Counter(
    "brokerage_consumer_events_dead_lettered_total",
    "Events sent to the dead-letter topic",
    ["consumer", "topic"],
)
CONSUMER_LAG = Gauge(
    "brokerage_consumer_lag_messages",
    "Messages behind the end of the partition",
    ["consumer", "topic", "partition"],
)
CONSUMER_LOG_END_BEHIND = Counter(
    "brokerage_consumer_log_end_behind_total",
    "Times a partition's log ended below the consumer's committed or applied offset (topic"
    " re-created, log truncated, broker restarted empty): the consumer re-read it from the"
    " start. Any increase is an alert.",
    ["consumer", "topic", "partition"],
)
CONSECUTIVE_ERRORS = Gauge(
    "brokerage_worker_consecutive_errors",
    "Failures in a row of a worker loop; at its limit the process exits to be restarted",
    ["service", "loop"],
)
DEPENDENCY_UP = Gauge(
    "brokerage_dependency_up",
    "1 if the dependency (database, broker) answered its last check, else 0",
    ["service", "dependency"],
)
HOUSEKEEPING_PRUNED = Counter(
    "brokerage_housekeeping_pruned_rows_total", "Rows pruned by housekeeping", ["service", "table"]
)
BATCH_SECONDS = Histogram(
    "brokerage_consumer_batch_duration_seconds",
    "Time to apply one consumer batch",
    ["consumer"],
    buckets=LATENCY_BUCKETS,
)
OUTBOX_BACKLOG = Gauge(
    "brokerage_outbox_backlog_messages", "Outbox rows not yet published", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "brokerage_outbox_oldest_age_seconds",
    "Age of the oldest outbox row not yet published, at the relay's last look (0: none waits)",
    ["service"],
)
OUTBOX_PUBLISHED = Counter("brokerage_outbox_published_total", "Outbox rows published", ["service"])
OUTBOX_PUBLISH_LATENCY = Histogram(
    "brokerage_outbox_publish_latency_seconds",
    "From outbox commit to broker acknowledgement",
    ["service"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

# Metric-name prefixes a process may expose: the platform's, each service's, and the
# default collectors of prometheus_client (process_*, python_*).
NAMESPACES = ("brokerage_", "profile_", "tiering_", "advisory_", "notify_", "ops_")
DEFAULT_COLLECTOR_PREFIXES = ("process_", "python_")
