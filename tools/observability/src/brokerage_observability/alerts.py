"""Alert rules: the conditions an on-call person must wake for (issue 17, item 1).

One list of groups feeds both the compose rules file and the Kubernetes PrometheusRule.
Every query names its metrics through ``metric_names``. Each rule has ``for:``, a
severity (``critical`` pages, ``warning`` waits for working hours), a summary and a
runbook line; ``deploy/prometheus/rules/brokerage-cs.test.yml`` fires and holds each one
on synthetic series (``promtool test rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from . import metric_names as m

Severity = Literal["critical", "warning"]

# Thresholds from the spec and the issue; one place to tune them.
ROUTING_TARGET_S = 0.005  # api.md: routing answers within 5 ms at p99
ROUTING_SLOW_SHARE = 0.01  # p99 above target == more than 1% of answers slower than it
API_ERROR_SHARE = 0.05
ROUTING_REFUSED_SHARE = 0.10
CONSUMER_LAG_FLOOR = 1000  # messages: below this a growing lag is a burst being absorbed
OUTBOX_SLOW_S = 30.0  # an outbox row older than this when the broker took it is late
SMS_DELIVERY_FLOOR = 0.90
SMS_MIN_OUTCOMES = 100  # per 30 minutes: fewer is too few to judge a ratio
CALENDAR_WARN_DAYS = 30  # notify-svc's CALENDAR_WARN_DAYS default: it logs from here on
CALENDAR_CRITICAL_DAYS = 7
DAY_S = 86_400  # the calendar gauge is in seconds (base units), whole days of them


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    for_: str
    severity: Severity
    summary: str
    description: str
    runbook: str

    def rule(self) -> dict[str, Any]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"severity": self.severity, "team": "brokerage-cs"},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook": self.runbook,
            },
        }


def _le(seconds: float) -> str:
    """A bucket bound as prometheus_client writes it in the ``le`` label (30 -> "30.0")."""
    return repr(float(seconds))


def _share_slower(metric: m.Metric, selector: str, bound: float, by: str, window: str) -> str:
    """Share of observations above ``bound`` (a bucket edge, so the answer is exact: no
    interpolation as histogram_quantile would do)."""
    bucket_selector = ",".join(s for s in (selector, f'le="{_le(bound)}"') if s)
    count = f"sum by ({by}) (rate({metric.count}{{{selector}}}[{window}]))"
    fast = f"sum by ({by}) (rate({metric.bucket}{{{bucket_selector}}}[{window}]))"
    return f"({count} - {fast}) / {count}"


_SMS_SENT = m.NOTIFICATIONS_SENT.name
_SMS_DELIVERED = f'channel="sms",status="{m.SMS_DELIVERED}"'
_SMS_ENDED = 'channel="sms",status=~"{}"'.format("|".join((m.SMS_DELIVERED, *m.SMS_NOT_DELIVERED)))


def platform_alerts() -> list[Alert]:
    return [
        Alert(
            "RoutingLatencyAboveTarget",
            f"{_share_slower(m.ROUTING_LATENCY, '', ROUTING_TARGET_S, '', '5m')}"
            f" > {ROUTING_SLOW_SHARE}",
            "5m",
            "critical",
            "Call-center routing p99 is above 5 ms",
            "More than {{ $value | humanizePercentage }} of GET /v1/routing answers took over"
            " 5 ms for 5 minutes; the call center's priority queues wait on it.",
            "Check tiering-svc API CPU (throttling), pod count and the routing read model's"
            " size; scale the API out (HPA) and see ADR 0006.",
        ),
        Alert(
            "ApiErrors",
            f'sum by (service, route) (rate({m.HTTP_REQUESTS.name}{{status=~"5.."}}[5m]))'
            f" / sum by (service, route) (rate({m.HTTP_REQUESTS.name}[5m])) > {API_ERROR_SHARE}"
            # At least one request a minute: one failed call on an idle route is no page.
            f" and sum by (service, route) (rate({m.HTTP_REQUESTS.name}[5m])) > 1 / 60",
            "5m",
            "critical",
            "{{ $labels.service }} {{ $labels.route }} answers 5xx",
            "{{ $value | humanizePercentage }} of requests to {{ $labels.route }} failed with"
            " a server error for 5 minutes.",
            "Read the service's JSON logs for the route (status >= 500); check /readyz, the"
            " database and Kafka; roll back the last release if it started with it.",
        ),
        Alert(
            "RoutingRefusals",
            f'sum(rate({m.ROUTING_LOOKUPS.name}{{outcome="refused"}}[10m]))'
            f" / sum(rate({m.ROUTING_LOOKUPS.name}[10m])) > {ROUTING_REFUSED_SHARE}",
            "10m",
            "critical",
            "Routing refuses the call center's lookups",
            "{{ $value | humanizePercentage }} of routing lookups got 401/403/422 for 10"
            " minutes: callers are not being prioritised.",
            "Usually the call center's service token expired or lost scope routing:read:"
            " issue a new one; otherwise its query changed (422: exactly one of phone or"
            " customer_id, phone digits only).",
        ),
        Alert(
            "ConsumerLagGrowing",
            f"sum by (consumer, topic) ({m.CONSUMER_LAG.name}) > {CONSUMER_LAG_FLOOR}"
            f" and sum by (consumer, topic) (delta({m.CONSUMER_LAG.name}[10m])) > 0",
            "15m",
            "critical",
            "{{ $labels.consumer }} falls behind on {{ $labels.topic }}",
            "{{ $value }} messages behind and still growing for 15 minutes.",
            f"Check the worker's logs and {m.EVENTS_FAILED.name} (a failing batch is retried, not"
            " skipped); if it is only slow, scale the worker up to the topic's partition"
            " count (deploy/k8s/kafka-topics.yaml).",
        ),
        Alert(
            "EventDeadLettered",
            # A counter series is born at 1 with its first dead letter, which increase()
            # cannot see; the second half catches that series.
            f"sum by (consumer, topic) (increase({m.EVENTS_DEAD_LETTERED.name}[10m]) > 0)"
            f" or sum by (consumer, topic) ({m.EVENTS_DEAD_LETTERED.name}"
            f" unless {m.EVENTS_DEAD_LETTERED.name} offset 10m)",
            "1m",
            "critical",
            "{{ $labels.consumer }} dead-lettered an event from {{ $labels.topic }}",
            "An event could not be applied and went to {{ $labels.topic }}.dlq: its effect"
            " (points, a notification, a profile change) is missing until it is replayed.",
            "Read the reason in the consumer's dead_letter table (or the .dlq message's"
            " dlq.reason header), fix the data or the code, then republish the event to"
            " its topic: consumers apply it once.",
        ),
        Alert(
            "OutboxNotDraining",
            f"max by (service) ({m.OUTBOX_BACKLOG.name}) > 0"
            f" unless on (service) sum by (service) (rate({m.OUTBOX_PUBLISHED.name}[10m])) > 0",
            "10m",
            "critical",
            "{{ $labels.service }}'s outbox is not being published",
            "{{ $value }} outbox rows wait and none was published for 10 minutes: other"
            " services do not hear of this service's changes.",
            "Check the service's worker (it runs the relay): its logs, Kafka reachability"
            " and the outbox table's oldest unpublished row.",
        ),
        Alert(
            "OutboxLate",
            f"{_share_slower(m.OUTBOX_PUBLISH_LATENCY, '', OUTBOX_SLOW_S, 'service', '10m')}"
            " > 0.01",
            "10m",
            "warning",
            "{{ $labels.service }}'s outbox publishes late",
            "More than 1% of outbox rows took over 30 s from commit to the broker's"
            " acknowledgement for 10 minutes.",
            "Check the worker's CPU and the relay's batch size (OUTBOX_BATCH_SIZE,"
            " OUTBOX_POLL_INTERVAL_S) and the broker's health.",
        ),
        Alert(
            "SmsCircuitOpen",
            f'max by (gateway) ({m.CIRCUIT_STATE.name}{{state="open"}}) == 1',
            "1m",
            "critical",
            "SMS gateway {{ $labels.gateway }} circuit is open: no SMS goes out",
            "notify-svc stopped sending through {{ $labels.gateway }} after an account or"
            " configuration error; messages wait and are retried after the cooldown.",
            f"See {m.CIRCUIT_OPENED.name}'s code label (or the circuit table's reason);"
            " fix the account (balance, signature, key) with the provider; the breaker"
            " half-opens by itself after CIRCUIT_COOLDOWN_S.",
        ),
        Alert(
            "SmsDeliveryRatioLow",
            f"sum(rate({_SMS_SENT}{{{_SMS_DELIVERED}}}[30m]))"
            f" / sum(rate({_SMS_SENT}{{{_SMS_ENDED}}}[30m])) < {SMS_DELIVERY_FLOOR}"
            f" and sum(increase({_SMS_SENT}{{{_SMS_ENDED}}}[30m])) > {SMS_MIN_OUTCOMES}",
            "15m",
            "critical",
            "Fewer than 90% of SMS are delivered",
            "Only {{ $value | humanizePercentage }} of the SMS that reached an end in the"
            " last 30 minutes were delivered.",
            "Compare the undelivered reasons (message.reason) by provider code; check the"
            " provider's status page and our sending signature and templates.",
        ),
        Alert(
            "TradingCalendarEndingSoon",
            f"min({m.TRADING_CALENDAR_REMAINING.name}) <= {CALENDAR_WARN_DAYS * DAY_S}",
            "1h",
            "warning",
            "The trading calendar ends in {{ $value | humanizeDuration }}",
            "Reminders dated past the calendar's end are refused with 503.",
            "Set XSHG_ANNOUNCED_CLOSURES in notify-svc's config to the Shanghai exchange's"
            " announced closures (休市安排) for next year, or upgrade exchange-calendars"
            " (deploy/README.md).",
        ),
        Alert(
            "TradingCalendarRunningOut",
            f"min({m.TRADING_CALENDAR_REMAINING.name}) <= {CALENDAR_CRITICAL_DAYS * DAY_S}",
            "1h",
            "critical",
            "The trading calendar ends in {{ $value | humanizeDuration }}",
            "Within a week reminders for dates past the calendar's end are refused with 503.",
            "Set XSHG_ANNOUNCED_CLOSURES in notify-svc's config to the Shanghai exchange's"
            " announced closures (休市安排) now (deploy/README.md).",
        ),
    ]


def rule_groups() -> list[dict[str, Any]]:
    """The rule groups, as both a Prometheus rules file and a PrometheusRule spec hold them."""
    return [
        {
            "name": "brokerage-cs",
            "rules": [alert.rule() for alert in platform_alerts()],
        }
    ]
