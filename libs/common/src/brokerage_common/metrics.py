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
