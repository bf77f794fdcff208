"""notify-svc business metrics (the platform ones live in brokerage_common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

NOTIFICATIONS_SENT = Counter(
    "notify_notifications_sent_total",
    "Messages by channel and outcome (accepted, delivered, undelivered, failed, retry, ...)",
    ["channel", "status"],
)
# The breaker's state as a state set: one series per state, exactly one of them 1.
CIRCUIT_STATES = ("closed", "half_open", "open")
CIRCUIT_STATE = Gauge(
    "notify_circuit_state",
    "Circuit breaker per gateway: 1 for the state it is in (closed, half_open, open), else 0",
    ["gateway", "state"],
)
CIRCUIT_OPENED = Counter(
    "notify_circuit_opened_total",
    "Times a gateway circuit opened, by error code",
    ["gateway", "code"],
)
DELIVERY_REPORTS = Counter(
    "notify_delivery_reports_total", "Delivery reports by what became of them", ["result"]
)
TRADING_CALENDAR_REMAINING = Gauge(
    "notify_trading_calendar_remaining_seconds",
    "Time until the trading calendar's known closures end, in whole days"
    " (XSHG_ANNOUNCED_CLOSURES extends it)",
)
SMS_SEGMENTS = Counter(
    "notify_sms_segments_total",
    "Billed SMS (条: 70 characters, 67 per part when split) the provider accepted, by provider",
    ["provider"],
)
OPT_OUTS = Counter("notify_opt_outs_total", "Opt-out replies (T / TD / 退订) recorded")


def set_circuit_state(gateway: str, state: str) -> None:
    """Mark ``state`` 1 and the other states 0 for ``gateway``."""
    if state not in CIRCUIT_STATES:
        raise ValueError(f"unknown circuit state {state!r}")
    for each in CIRCUIT_STATES:
        CIRCUIT_STATE.labels(gateway, each).set(1 if each == state else 0)
