"""Every metric name the dashboards and alert rules use, in one table.

The services register these (``brokerage_common.metrics`` and each service's metrics
module); this table only names them. Renaming a metric (issue 17, item 2) is one edit
here plus regenerating (``build-observability``); ``tests/test_metric_names.py`` fails
while a name here is not registered by the code, or a dashboard or rule uses a name
that is not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["counter", "gauge", "histogram"]


@dataclass(frozen=True)
class Metric:
    """One metric as Prometheus stores it: ``name`` is the exposed name (counters end in
    ``_total``), ``module`` the Python module whose import registers it."""

    name: str
    kind: Kind
    labels: tuple[str, ...]
    module: str

    @property
    def bucket(self) -> str:
        assert self.kind == "histogram", self.name
        return f"{self.name}_bucket"

    @property
    def count(self) -> str:
        assert self.kind == "histogram", self.name
        return f"{self.name}_count"

    def series(self) -> tuple[str, ...]:
        """The series names a scrape of this metric yields."""
        if self.kind == "histogram":
            return (self.bucket, self.count, f"{self.name}_sum")
        return (self.name,)


COMMON = "brokerage_common.metrics"
PROFILE = "profile_svc.metrics"
TIERING_FASTPATH = "tiering_svc.routing.fastpath"
NOTIFY = "notify_svc.metrics"

# --- every service (brokerage_common.metrics) --------------------------------------------
HTTP_REQUESTS = Metric(
    "http_requests_total", "counter", ("service", "method", "route", "status"), COMMON
)
HTTP_LATENCY = Metric(
    "http_request_duration_seconds", "histogram", ("service", "method", "route"), COMMON
)
EVENTS_CONSUMED = Metric("events_consumed_total", "counter", ("consumer", "topic"), COMMON)
EVENTS_DUPLICATE = Metric("events_duplicate_total", "counter", ("consumer", "topic"), COMMON)
EVENTS_FAILED = Metric("events_failed_total", "counter", ("consumer", "topic"), COMMON)
EVENTS_DEAD_LETTERED = Metric(
    "events_dead_lettered_total", "counter", ("consumer", "topic"), COMMON
)
CONSUMER_LAG = Metric("consumer_lag", "gauge", ("consumer", "topic", "partition"), COMMON)
CONSUMER_BATCH = Metric("consumer_batch_duration_seconds", "histogram", ("consumer",), COMMON)
OUTBOX_BACKLOG = Metric("outbox_backlog", "gauge", ("service",), COMMON)
OUTBOX_PUBLISHED = Metric("outbox_published_total", "counter", ("service",), COMMON)
OUTBOX_PUBLISH_LATENCY = Metric("outbox_publish_latency_seconds", "histogram", ("service",), COMMON)

# --- profile-svc --------------------------------------------------------------------------
CUSTOMERS_REGISTERED = Metric("customers_registered_total", "counter", ("branch_id",), PROFILE)
PII_REVEALS = Metric("pii_reveals_total", "counter", ("field",), PROFILE)
RISK_ASSESSMENTS = Metric("risk_assessments_total", "counter", ("risk_level",), PROFILE)
INTERACTIONS_LOGGED = Metric("interactions_logged_total", "counter", ("channel",), PROFILE)
TRANSFER_REQUESTS = Metric("transfer_requests_recorded_total", "counter", ("channel",), PROFILE)

# --- tiering-svc --------------------------------------------------------------------------
ROUTING_LOOKUPS = Metric("routing_lookups_total", "counter", ("outcome",), TIERING_FASTPATH)

# --- notify-svc ---------------------------------------------------------------------------
NOTIFICATIONS_SENT = Metric("notifications_sent_total", "counter", ("channel", "status"), NOTIFY)
CIRCUIT_STATE = Metric("notify_circuit_state", "gauge", ("gateway",), NOTIFY)
CIRCUIT_OPENED = Metric("notify_circuit_opened_total", "counter", ("gateway", "code"), NOTIFY)
DELIVERY_REPORTS = Metric("notify_delivery_reports_total", "counter", ("result",), NOTIFY)
TRADING_CALENDAR_DAYS_LEFT = Metric("notify_trading_calendar_days_left", "gauge", (), NOTIFY)
OPT_OUTS = Metric("notify_opt_outs_total", "counter", (), NOTIFY)

ALL: tuple[Metric, ...] = (
    HTTP_REQUESTS,
    HTTP_LATENCY,
    EVENTS_CONSUMED,
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
    EVENTS_DEAD_LETTERED,
    CONSUMER_LAG,
    CONSUMER_BATCH,
    OUTBOX_BACKLOG,
    OUTBOX_PUBLISHED,
    OUTBOX_PUBLISH_LATENCY,
    CUSTOMERS_REGISTERED,
    PII_REVEALS,
    RISK_ASSESSMENTS,
    INTERACTIONS_LOGGED,
    TRANSFER_REQUESTS,
    ROUTING_LOOKUPS,
    NOTIFICATIONS_SENT,
    CIRCUIT_STATE,
    CIRCUIT_OPENED,
    DELIVERY_REPORTS,
    TRADING_CALENDAR_DAYS_LEFT,
    OPT_OUTS,
)

# --- label values the queries rely on (the code's, not ours) ------------------------------
# notify_svc.metrics.CIRCUIT_LEVELS: the breaker state as a number.
CIRCUIT_LEVELS = {"closed": 0, "half_open": 1, "open": 2}
# tiering-svc's fast path answers GET /v1/routing; the route label it will carry when it
# observes http_request_duration_seconds (today it does not: see ROUTING_ROUTE's users).
ROUTING_ROUTE = "/v1/routing"
# notify-svc's SMS outcomes that end a message: delivered, or not (notify_svc.delivery).
SMS_DELIVERED = "delivered"
SMS_NOT_DELIVERED = ("undelivered", "permanent_failure", "expired")
