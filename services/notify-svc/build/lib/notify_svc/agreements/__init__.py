"""Advisory agreements (投资顾问协议): a read model of advisory-svc's agreement events, the
source of the advisory suppression rule (ADR 0010)."""
