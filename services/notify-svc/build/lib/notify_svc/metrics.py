"""notify-svc business metrics (the platform ones live in brokerage_common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

NOTIFICATIONS_SENT = Counter(
    "notifications_sent_total",
    "Messages by channel and outcome (accepted, delivered, undelivered, failed, retry, ...)",
    ["channel", "status"],
)
CIRCUIT_STATE = Gauge(
    "notify_circuit_state",
    "Circuit breaker per gateway: 0 closed, 1 half-open, 2 open",
    ["gateway"],
)
CIRCUIT_OPENED = Counter(
    "notify_circuit_opened_total",
    "Times a gateway circuit opened, by error code",
    ["gateway", "code"],
)
DELIVERY_REPORTS = Counter(
    "notify_delivery_reports_total", "Delivery reports by what became of them", ["result"]
)
TRADING_CALENDAR_DAYS_LEFT = Gauge(
    "notify_trading_calendar_days_left",
    "Days until the trading calendar's known closures end (XSHG_ANNOUNCED_CLOSURES extends it)",
)
SMS_SEGMENTS = Counter(
    "notify_sms_segments_total",
    "Billed SMS (条: 70 characters, 67 per part when split) the provider accepted, by provider",
    ["provider"],
)
OPT_OUTS = Counter("notify_opt_outs_total", "Opt-out replies (T / TD / 退订) recorded")

CIRCUIT_LEVELS = {"closed": 0, "half_open": 1, "open": 2}
