"""advisory-svc business counters (request, consumer and outbox metrics come from common)."""

from __future__ import annotations

from prometheus_client import Counter

SUBSCRIPTIONS_STARTED = Counter(
    "advisory_subscriptions_started_total", "Subscriptions started", ["product", "payment"]
)
SUBSCRIPTIONS_ENDED = Counter(
    "advisory_subscriptions_ended_total", "Subscriptions ended", ["product", "reason"]
)
AGREEMENTS = Counter(
    "advisory_agreements_total", "Advisory agreements signed or rescinded", ["action"]
)
CONTENT_PUBLISHED = Counter("advisory_content_published_total", "Content published", ["kind"])
AUDIENCE_HANDED_OFF = Counter(
    "advisory_audience_customers_total", "Customers handed to notify-svc as content audience"
)
TIER_DROP_NOTICES = Counter(
    "advisory_tier_drop_notices_total", "Customers told their bundle runs out after a tier drop"
)
