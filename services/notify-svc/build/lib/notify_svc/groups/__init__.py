"""Read model of ops-assessment-svc's service groups and customer assignments: who owns a
customer's staff alerts (ADR 0011, notify's part)."""
