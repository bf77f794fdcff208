"""ops-assessment-svc business counters (request, consumer and outbox metrics come from common).

Counted where the change is staged; a transaction that then rolls back is rare enough
(the consumer retries it) that the counters stay a fair picture for the dashboards.
"""

from __future__ import annotations

from prometheus_client import Counter

RETENTION_CASES_OPENED = Counter(
    "ops_retention_cases_opened_total", "Retention cases opened (one per transfer request)"
)
RETENTION_CASES_CLOSED = Counter(
    "ops_retention_cases_closed_total", "Retention cases closed, by outcome", ["outcome"]
)
COMPLAINTS_FILED = Counter(
    "ops_complaints_filed_total", "Complaints taken, by category and intake", ["category", "intake"]
)
SUGGESTIONS_ADOPTED = Counter("ops_suggestions_adopted_total", "Suggestions adopted")
ASSESSMENTS_PUBLISHED = Counter(
    "ops_assessments_published_total",
    "Group scorecards published, first publications and restatements",
    ["kind"],
)
FIGURE_EVENTS_APPLIED = Counter(
    "ops_figure_events_applied_total", "Trades and snapshots applied to monthly figures", ["kind"]
)
