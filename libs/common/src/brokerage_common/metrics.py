"""Prometheus metrics every service exposes (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests by route and status",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by route",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)
EVENTS_CONSUMED = Counter("events_consumed_total", "Events applied", ["consumer", "topic"])
EVENTS_DUPLICATE = Counter(
    "events_duplicate_total",
    "Events skipped because their id was already processed",
    ["consumer", "topic"],
)
EVENTS_FAILED = Counter(
    "events_failed_total", "Batch attempts that failed transiently", ["consumer", "topic"]
)
EVENTS_DEAD_LETTERED = Counter(
    "events_dead_lettered_total", "Events sent to the dead-letter topic", ["consumer", "topic"]
)
CONSUMER_LAG = Gauge(
    "consumer_lag", "Messages behind the end of the partition", ["consumer", "topic", "partition"]
)
CONSUMER_LOG_END_BEHIND = Counter(
    "consumer_log_end_behind_total",
    "Times a partition's log ended below the consumer's committed or applied offset (topic"
    " re-created, log truncated, broker restarted empty): the consumer re-read it from the"
    " start. Any increase is an alert.",
    ["consumer", "topic", "partition"],
)
CONSECUTIVE_ERRORS = Gauge(
    "worker_consecutive_errors",
    "Failures in a row of a worker loop; at its limit the process exits to be restarted",
    ["service", "loop"],
)
DEPENDENCY_UP = Gauge(
    "dependency_up",
    "1 if the dependency (database, broker) answered its last check, else 0",
    ["service", "dependency"],
)
HOUSEKEEPING_PRUNED = Counter(
    "housekeeping_pruned_total", "Rows pruned by housekeeping", ["service", "table"]
)
BATCH_SECONDS = Histogram(
    "consumer_batch_duration_seconds",
    "Time to apply one consumer batch",
    ["consumer"],
    buckets=LATENCY_BUCKETS,
)
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published", ["service"])
OUTBOX_PUBLISH_LATENCY = Histogram(
    "outbox_publish_latency_seconds",
    "From outbox commit to broker acknowledgement",
    ["service"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
