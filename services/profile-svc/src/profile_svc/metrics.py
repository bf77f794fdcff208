"""profile-svc business counters (request, consumer and outbox metrics come from common)."""

from __future__ import annotations

from prometheus_client import Counter

CUSTOMERS_REGISTERED = Counter(
    "profile_customers_registered_total", "Customer files opened", ["branch_id"]
)
PII_REVEALS = Counter(
    "profile_pii_reveals_total", "Audited unmasked reads of a phone or ID number", ["field"]
)
RISK_ASSESSMENTS = Counter(
    "profile_risk_assessments_total", "Risk questionnaires scored", ["risk_level"]
)
INTERACTIONS_LOGGED = Counter(
    "profile_interactions_logged_total", "CRM contacts logged", ["channel"]
)
TRANSFER_REQUESTS = Counter(
    "profile_transfer_requests_recorded_total",
    "Transfer-away requests recorded (first time seen)",
    ["channel"],
)
