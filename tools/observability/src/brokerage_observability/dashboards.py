"""Grafana dashboards: one per service plus a platform overview (issue 17, item 1).

Built with grafana-foundation-sdk; ``build`` writes them to ``deploy/grafana/dashboards``.
A service's dashboard is the shared rows (requests, consumer, outbox) plus its own panels:
adding a service is one small function in ``SERVICES`` (see ``notify_dashboard``).

A service to come, e.g. advisory-svc, once its metrics are in ``metric_names``::

    def advisory_rows() -> list[tuple[str, list[Panel]]]:
        return [("Retention", [graph("Cases open", query(f"sum({m.CASES_OPEN.name})"))])]

    DASHBOARDS["advisory-svc"] = lambda: service_dashboard(
        ServiceDashboard("advisory-svc", "advisory-svc", consumer="advisory-svc",
                         rows=advisory_rows)
    )

Queries use only the metrics' own labels (``service``, ``consumer``, ...), never a scrape
target's, so the same JSON works under compose (static targets) and Kubernetes (PodMonitor).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog import builder as cog
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from . import alerts
from . import metric_names as m

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
TAGS = ["brokerage-cs"]
SERVER_ERROR = 'status=~"5.."'

Panel = cog.Builder[model.Panel]


# ----------------------------------------------------------------------------- panel helpers


def query(expr: str, legend: str = "") -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).datasource(DATASOURCE)
    return q.legend_format(legend) if legend else q


def graph(
    title: str,
    *queries: prometheus.Dataquery,
    unit: str = "short",
    description: str = "",
    threshold: float | None = None,
    width: int = 12,
    stacked: bool = False,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(8)
        .min(0)
        .fill_opacity(10)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
    )
    for ref, q in zip("ABCDEFGH", queries, strict=False):
        panel = panel.with_target(q.ref_id(ref))
    if description:
        panel = panel.description(description)
    if stacked:
        panel = panel.stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL))
    if threshold is not None:
        # The target as a red dashed line on the graph.
        panel = panel.thresholds(_thresholds(threshold)).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphThresholdsStyleMode.DASHED
            )
        )
    return panel


def single(
    title: str,
    expr: str,
    *,
    unit: str = "short",
    description: str = "",
    red_from: float | None = None,
    red_below: float | None = None,
    mappings: Sequence[model.ValueMapping] = (),
    width: int = 6,
    legend: str = "",
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(query(expr, legend).ref_id("A").instant())
        .unit(unit)
        .span(width)
        .height(5)
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]))
    )
    if description:
        panel = panel.description(description)
    if red_from is not None:
        panel = panel.thresholds(_thresholds(red_from))
    if red_below is not None:
        panel = panel.thresholds(
            dash.ThresholdsConfig()
            .mode(model.ThresholdsMode.ABSOLUTE)
            .steps([model.Threshold(None, "red"), model.Threshold(red_below, "green")])
        )
    if mappings:
        panel = panel.mappings(list(mappings))
    return panel


def _thresholds(red_from: float) -> dash.ThresholdsConfig:
    return (
        dash.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(None, "green"), model.Threshold(red_from, "red")])
    )


def rate(
    metric: m.Metric, selector: str = "", by: str = "", window: str = "$__rate_interval"
) -> str:
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (rate({metric.name}{{{selector}}}[{window}]))"


def p99(metric: m.Metric, selector: str, by: str) -> str:
    return (
        f"histogram_quantile(0.99, sum by ({', '.join(('le', by) if by else ('le',))})"
        f" (rate({metric.bucket}{f'{{{selector}}}' if selector else ''}[$__rate_interval])))"
    )


# ----------------------------------------------------------------------------- shared rows


def http_panels(service: str) -> list[Panel]:
    sel = f'service="{service}"'
    return [
        graph(
            "Requests per second by route and status",
            query(rate(m.HTTP_REQUESTS, sel, "route, status"), "{{route}} {{status}}"),
            unit="reqps",
        ),
        graph(
            "Server errors (5xx) share by route",
            query(
                f"{rate(m.HTTP_REQUESTS, f'{sel},{SERVER_ERROR}', 'route')}"
                f" / {rate(m.HTTP_REQUESTS, sel, 'route')}",
                "{{route}}",
            ),
            unit="percentunit",
            threshold=alerts.API_ERROR_SHARE,
            description="The ApiErrors alert fires above the line for 5 minutes.",
        ),
        graph(
            "Latency p99 by route",
            query(p99(m.HTTP_LATENCY, sel, "route"), "{{route}}"),
            unit="s",
            width=24,
        ),
    ]


def consumer_panels(consumer: str) -> list[Panel]:
    sel = f'consumer="{consumer}"'
    return [
        graph(
            "Events applied per second by topic",
            query(rate(m.EVENTS_CONSUMED, sel, "topic"), "{{topic}} applied"),
            query(rate(m.EVENTS_DUPLICATE, sel, "topic"), "{{topic}} duplicate"),
            unit="ops",
        ),
        graph(
            "Consumer lag by topic (messages)",
            query(f"sum by (topic) ({m.CONSUMER_LAG.name}{{{sel}}})", "{{topic}}"),
            threshold=alerts.CONSUMER_LAG_FLOOR,
            description="ConsumerLagGrowing fires above the line while the lag keeps growing"
            " for 15 minutes.",
        ),
        graph(
            "Dead-lettered events by topic (since the worker started)",
            # The count itself, not increase(): a topic's first dead letter is the series'
            # first sample, which increase() cannot see.
            query(f"sum by (topic) ({m.EVENTS_DEAD_LETTERED.name}{{{sel}}})", "{{topic}}"),
            description="Any dead letter pages (EventDeadLettered): its effect is missing"
            " until it is replayed.",
            threshold=1,
        ),
        graph(
            "Failed batch attempts (retried) and batch time p99",
            query(rate(m.EVENTS_FAILED, sel, "topic"), "{{topic}} failed/s"),
            query(p99(m.CONSUMER_BATCH, sel, "consumer"), "batch p99 (s)"),
        ),
    ]


def outbox_panels(service: str) -> list[Panel]:
    sel = f'service="{service}"'
    return [
        graph(
            "Outbox backlog (rows not yet published)",
            query(f"max({m.OUTBOX_BACKLOG.name}{{{sel}}})", "backlog"),
            width=8,
        ),
        graph(
            "Outbox rows published per second",
            query(rate(m.OUTBOX_PUBLISHED, sel), "published"),
            unit="ops",
            width=8,
        ),
        graph(
            "Outbox age when published (p99, commit to broker ack)",
            query(p99(m.OUTBOX_PUBLISH_LATENCY, sel, "service"), "p99"),
            unit="s",
            threshold=alerts.OUTBOX_SLOW_S,
            width=8,
            description="How old rows were when the broker took them.",
        ),
        graph(
            "Oldest outbox row still waiting (age)",
            query(f"max({m.OUTBOX_OLDEST_AGE.name}{{{sel}}})", "oldest"),
            unit="s",
            threshold=alerts.OUTBOX_SLOW_S,
            width=8,
            description="Set by the relay on every attempt, also one that fails to publish:"
            " a stuck relay shows as an age that keeps growing.",
        ),
    ]


# ----------------------------------------------------------------------------- per service


@dataclass(frozen=True)
class ServiceDashboard:
    """What a service's dashboard shows: the shared rows, then ``rows`` of its own."""

    service: str
    title: str
    consumer: str | None = None  # its worker's consumer group (None: it consumes nothing)
    has_outbox: bool = True
    rows: Callable[[], list[tuple[str, list[Panel]]]] = field(default=lambda: [])


def service_dashboard(spec: ServiceDashboard) -> dash.Dashboard:
    rows: list[tuple[str, list[Panel]]] = [*spec.rows(), ("API", http_panels(spec.service))]
    if spec.consumer:
        rows.append((f"Events consumed ({spec.consumer})", consumer_panels(spec.consumer)))
    if spec.has_outbox:
        rows.append(("Outbox", outbox_panels(spec.service)))
    return new_dashboard(spec.service, spec.title, rows)


def profile_rows() -> list[tuple[str, list[Panel]]]:
    return [
        (
            "Customers",
            [
                graph(
                    "Customer files opened by branch",
                    query(rate(m.CUSTOMERS_REGISTERED, by="branch_id"), "{{branch_id}}"),
                    unit="ops",
                    stacked=True,
                ),
                graph(
                    "Risk assessments by level",
                    query(rate(m.RISK_ASSESSMENTS, by="risk_level"), "{{risk_level}}"),
                    unit="ops",
                    stacked=True,
                ),
                graph(
                    "CRM contacts logged and transfer-away requests by channel",
                    query(rate(m.INTERACTIONS_LOGGED, by="channel"), "contact {{channel}}"),
                    query(rate(m.TRANSFER_REQUESTS, by="channel"), "transfer {{channel}}"),
                    unit="ops",
                ),
                graph(
                    "Unmasked reads (audited) by field",
                    query(rate(m.PII_REVEALS, by="field"), "{{field}}"),
                    unit="ops",
                ),
            ],
        )
    ]


def tiering_rows() -> list[tuple[str, list[Panel]]]:
    return [
        (
            "Call-center routing",
            [
                graph(
                    "Routing lookups per second by outcome",
                    query(rate(m.ROUTING_LOOKUPS, by="outcome"), "{{outcome}}"),
                    unit="reqps",
                    stacked=True,
                ),
                graph(
                    "Routing latency p99 against the 5 ms target",
                    query(p99(m.ROUTING_LATENCY, "", ""), "p99"),
                    unit="s",
                    threshold=alerts.ROUTING_TARGET_S,
                    description="Observed by the routing fast path itself (it answers before"
                    " the request middleware): from the request's arrival at the app to its"
                    " last byte handed to the server.",
                ),
            ],
        ),
        (
            "Tiers and points",
            [
                graph(
                    "Tier changes (TierChanged applied by notify-svc)",
                    query(
                        rate(m.EVENTS_CONSUMED, 'consumer="notify-svc",topic="tiering.tiers"'),
                        "tier changes",
                    ),
                    unit="ops",
                    description="tiering-svc counts no tier changes or points itself yet; this"
                    " is the tiering.tiers events notify-svc applies.",
                ),
                graph(
                    "Events published by tiering-svc (tier changes and points)",
                    query(rate(m.OUTBOX_PUBLISHED, 'service="tiering-svc"'), "published"),
                    unit="ops",
                ),
            ],
        ),
    ]


_CIRCUIT = [
    model.ValueMap(
        {
            str(m.CIRCUIT_LEVELS["closed"]): model.ValueMappingResult("closed", "green"),
            str(m.CIRCUIT_LEVELS["half_open"]): model.ValueMappingResult("half-open", "orange"),
            str(m.CIRCUIT_LEVELS["open"]): model.ValueMappingResult("OPEN", "red"),
        }
    )
]


def circuit_level() -> str:
    """The breaker's state set as one number per gateway for a stat panel (closed 0,
    half-open 1, open 2: ``metric_names.CIRCUIT_LEVELS``)."""
    c = m.CIRCUIT_STATE.name
    return " + ".join(
        f'{level} * max by (gateway) ({c}{{state="{state}"}})'
        for state, level in m.CIRCUIT_LEVELS.items()
        if level
    )


def _sms_delivered_share() -> str:
    delivered = f'channel="sms",status="{m.SMS_DELIVERED}"'
    final = 'channel="sms",status=~"{}"'.format("|".join((m.SMS_DELIVERED, *m.SMS_NOT_DELIVERED)))
    return (
        f"{rate(m.NOTIFICATIONS_SENT, delivered, window='30m')}"
        f" / {rate(m.NOTIFICATIONS_SENT, final, window='30m')}"
    )


def notify_rows() -> list[tuple[str, list[Panel]]]:
    return [
        (
            "SMS",
            [
                single(
                    "SMS breaker",
                    circuit_level(),
                    legend="{{gateway}}",
                    mappings=_CIRCUIT,
                    red_from=m.CIRCUIT_LEVELS["open"],
                ),
                single(
                    "SMS delivered (last 30 min)",
                    _sms_delivered_share(),
                    unit="percentunit",
                    red_below=alerts.SMS_DELIVERY_FLOOR,
                ),
                single(
                    "Trading calendar: time left",
                    f"min({m.TRADING_CALENDAR_REMAINING.name})",
                    unit="s",
                    red_below=(alerts.CALENDAR_WARN_DAYS + 1) * alerts.DAY_S,
                    description="Reminders past the calendar's end get 503: set"
                    " XSHG_ANNOUNCED_CLOSURES before it reaches 0.",
                ),
                single(
                    "Opt-outs (selected range)",
                    f"sum(increase({m.OPT_OUTS.name}[$__range]))",
                ),
                graph(
                    "SMS by outcome (sent, delivered, failed, ...)",
                    query(rate(m.NOTIFICATIONS_SENT, 'channel="sms"', "status"), "{{status}}"),
                    unit="ops",
                    stacked=True,
                ),
                graph(
                    "Breaker openings by provider code",
                    query(
                        f"sum by (gateway, code)"
                        f" (increase({m.CIRCUIT_OPENED.name}[$__rate_interval]))",
                        "{{gateway}} {{code}}",
                    ),
                ),
                graph(
                    "Delivery reports by result",
                    query(rate(m.DELIVERY_REPORTS, by="result"), "{{result}}"),
                    unit="ops",
                ),
                graph(
                    "IM and e-mail by outcome",
                    query(
                        rate(m.NOTIFICATIONS_SENT, 'channel!="sms"', "channel, status"),
                        "{{channel}} {{status}}",
                    ),
                    unit="ops",
                ),
            ],
        )
    ]


def notify_dashboard() -> dash.Dashboard:
    return service_dashboard(
        ServiceDashboard("notify-svc", "notify-svc", consumer="notify-svc", rows=notify_rows)
    )


def profile_dashboard() -> dash.Dashboard:
    return service_dashboard(
        ServiceDashboard("profile-svc", "profile-svc", consumer="profile-svc", rows=profile_rows)
    )


def tiering_dashboard() -> dash.Dashboard:
    return service_dashboard(
        ServiceDashboard("tiering-svc", "tiering-svc", consumer="tiering-svc", rows=tiering_rows)
    )


# ----------------------------------------------------------------------------- overview


def overview_dashboard() -> dash.Dashboard:
    rows: list[tuple[str, list[Panel]]] = [
        (
            "Pages",
            [
                single(
                    "Dead-lettered events (since the workers started)",
                    f"sum({m.EVENTS_DEAD_LETTERED.name})",
                    red_from=1,
                ),
                single(
                    "SMS breaker",
                    circuit_level(),
                    legend="{{gateway}}",
                    mappings=_CIRCUIT,
                    red_from=m.CIRCUIT_LEVELS["open"],
                ),
                single(
                    "SMS delivered (last 30 min)",
                    _sms_delivered_share(),
                    unit="percentunit",
                    red_below=alerts.SMS_DELIVERY_FLOOR,
                ),
                single(
                    "Trading calendar: time left",
                    f"min({m.TRADING_CALENDAR_REMAINING.name})",
                    unit="s",
                    red_below=(alerts.CALENDAR_WARN_DAYS + 1) * alerts.DAY_S,
                ),
            ],
        ),
        (
            "Services",
            [
                graph(
                    "Requests per second by service",
                    query(rate(m.HTTP_REQUESTS, by="service"), "{{service}}"),
                    query(rate(m.ROUTING_LOOKUPS), "tiering-svc routing"),
                    unit="reqps",
                ),
                graph(
                    "Server errors (5xx) share by service",
                    query(
                        f"{rate(m.HTTP_REQUESTS, SERVER_ERROR, 'service')}"
                        f" / {rate(m.HTTP_REQUESTS, by='service')}",
                        "{{service}}",
                    ),
                    unit="percentunit",
                    threshold=alerts.API_ERROR_SHARE,
                ),
                graph(
                    "Latency p99 by service",
                    query(p99(m.HTTP_LATENCY, "", "service"), "{{service}}"),
                    unit="s",
                ),
                graph(
                    "Routing lookups by outcome",
                    query(rate(m.ROUTING_LOOKUPS, by="outcome"), "{{outcome}}"),
                    unit="reqps",
                    stacked=True,
                ),
            ],
        ),
        (
            "Events and outboxes",
            [
                graph(
                    "Consumer lag by consumer and topic",
                    query(
                        f"sum by (consumer, topic) ({m.CONSUMER_LAG.name})",
                        "{{consumer}} {{topic}}",
                    ),
                    threshold=alerts.CONSUMER_LAG_FLOOR,
                ),
                graph(
                    "Events applied per second by consumer",
                    query(rate(m.EVENTS_CONSUMED, by="consumer"), "{{consumer}}"),
                    unit="ops",
                ),
                graph(
                    "Outbox backlog by service",
                    query(f"max by (service) ({m.OUTBOX_BACKLOG.name})", "{{service}}"),
                ),
                graph(
                    "Outbox age when published (p99) by service",
                    query(p99(m.OUTBOX_PUBLISH_LATENCY, "", "service"), "{{service}}"),
                    unit="s",
                    threshold=alerts.OUTBOX_SLOW_S,
                ),
            ],
        ),
    ]
    return new_dashboard("overview", "Platform overview", rows)


# ----------------------------------------------------------------------------- assembly


def new_dashboard(slug: str, title: str, rows: list[tuple[str, list[Panel]]]) -> dash.Dashboard:
    board = (
        dash.Dashboard(f"Brokerage CS / {title}")
        .uid(f"brokerage-cs-{slug}")
        .tags(TAGS)
        .refresh("30s")
        .time("now-3h", "now")
        .timezone("browser")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .with_variable(
            dash.DatasourceVariable("datasource").label("Data source").type("prometheus")
        )
        .link(
            dash.DashboardLink("Brokerage CS")
            .type(model.DashboardLinkType.DASHBOARDS)
            .tags(TAGS)
            .as_dropdown(True)
            .keep_time(True)
        )
    )
    for row_title, panels in rows:
        board = board.with_row(dash.Row(row_title))
        for panel in panels:
            board = board.with_panel(panel)
    return board


# name -> builder; the file is deploy/grafana/dashboards/<name>.json. A new service adds
# one line here and one function above (e.g. advisory-svc: its retention cases).
DASHBOARDS: dict[str, Callable[[], dash.Dashboard]] = {
    "overview": overview_dashboard,
    "profile-svc": profile_dashboard,
    "tiering-svc": tiering_dashboard,
    "notify-svc": notify_dashboard,
}


def to_json(board: dash.Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model, panel ids numbered in order."""
    data: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    for number, panel in enumerate(data.get("panels", []), start=1):
        panel["id"] = number
    return data
