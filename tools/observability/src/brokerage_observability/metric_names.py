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
    "brokerage_http_requests_total", "counter", ("service", "method", "route", "status"), COMMON
)
HTTP_LATENCY = Metric(
    "brokerage_http_request_duration_seconds", "histogram", ("service", "method", "route"), COMMON
)
EVENTS_CONSUMED = Metric(
    "brokerage_consumer_events_total", "counter", ("consumer", "topic"), COMMON
)
EVENTS_DUPLICATE = Metric(
    "brokerage_consumer_events_duplicate_total", "counter", ("consumer", "topic"), COMMON
)
EVENTS_FAILED = Metric(
    "brokerage_consumer_batch_failures_total", "counter", ("consumer", "topic"), COMMON
)
EVENTS_DEAD_LETTERED = Metric(
    "brokerage_consumer_events_dead_lettered_total", "counter", ("consumer", "topic"), COMMON
)
CONSUMER_LAG = Metric(
    "brokerage_consumer_lag_messages", "gauge", ("consumer", "topic", "partition"), COMMON
)
CONSUMER_BATCH = Metric(
    "brokerage_consumer_batch_duration_seconds", "histogram", ("consumer",), COMMON
)
OUTBOX_BACKLOG = Metric("brokerage_outbox_backlog_messages", "gauge", ("service",), COMMON)
OUTBOX_OLDEST_AGE = Metric("brokerage_outbox_oldest_age_seconds", "gauge", ("service",), COMMON)
OUTBOX_PUBLISHED = Metric("brokerage_outbox_published_total", "counter", ("service",), COMMON)
OUTBOX_PUBLISH_LATENCY = Metric(
    "brokerage_outbox_publish_latency_seconds", "histogram", ("service",), COMMON
)

# --- profile-svc --------------------------------------------------------------------------
CUSTOMERS_REGISTERED = Metric(
    "profile_customers_registered_total", "counter", ("branch_id",), PROFILE
)
PII_REVEALS = Metric("profile_pii_reveals_total", "counter", ("field",), PROFILE)
RISK_ASSESSMENTS = Metric("profile_risk_assessments_total", "counter", ("risk_level",), PROFILE)
INTERACTIONS_LOGGED = Metric("profile_interactions_logged_total", "counter", ("channel",), PROFILE)
TRANSFER_REQUESTS = Metric(
    "profile_transfer_requests_recorded_total", "counter", ("channel",), PROFILE
)

# --- tiering-svc --------------------------------------------------------------------------
ROUTING_LOOKUPS = Metric("tiering_routing_lookups_total", "counter", ("outcome",), TIERING_FASTPATH)
# GET /v1/routing is answered before the request middleware (ADR 0006): its own histogram.
ROUTING_LATENCY = Metric(
    "tiering_routing_request_duration_seconds", "histogram", (), TIERING_FASTPATH
)

# --- notify-svc ---------------------------------------------------------------------------
NOTIFICATIONS_SENT = Metric(
    "notify_notifications_sent_total", "counter", ("channel", "status"), NOTIFY
)
CIRCUIT_STATE = Metric("notify_circuit_state", "gauge", ("gateway", "state"), NOTIFY)
CIRCUIT_OPENED = Metric("notify_circuit_opened_total", "counter", ("gateway", "code"), NOTIFY)
DELIVERY_REPORTS = Metric("notify_delivery_reports_total", "counter", ("result",), NOTIFY)
TRADING_CALENDAR_REMAINING = Metric(
    "notify_trading_calendar_remaining_seconds", "gauge", (), NOTIFY
)
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
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISHED,
    OUTBOX_PUBLISH_LATENCY,
    CUSTOMERS_REGISTERED,
    PII_REVEALS,
    RISK_ASSESSMENTS,
    INTERACTIONS_LOGGED,
    TRANSFER_REQUESTS,
    ROUTING_LOOKUPS,
    ROUTING_LATENCY,
    NOTIFICATIONS_SENT,
    CIRCUIT_STATE,
    CIRCUIT_OPENED,
    DELIVERY_REPORTS,
    TRADING_CALENDAR_REMAINING,
    OPT_OUTS,
)

# --- label values the queries rely on (the code's, not ours) ------------------------------
# notify_svc.metrics.CIRCUIT_STATES: the breaker's state set, one series per state.
CIRCUIT_STATES = ("closed", "half_open", "open")
# The dashboards' stat panels show the state as one number per gateway (closed 0,
# half-open 1, open 2), computed from the state set: see dashboards.circuit_level().
CIRCUIT_LEVELS = {"closed": 0, "half_open": 1, "open": 2}
# notify-svc's SMS outcomes that end a message: delivered, or not (notify_svc.delivery).
SMS_DELIVERED = "delivered"
SMS_NOT_DELIVERED = ("undelivered", "permanent_failure", "expired")
