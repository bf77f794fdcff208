"""An example envelope for every event type, built from its pydantic model (AsyncAPI examples).

Values come from ``VALUES`` by field name (the same fictitious customer C000123 of branch
B001 throughout, money as CNY decimal strings), else from the field's enum, format or
pattern; the data is then validated by the model, so an example is always a valid event.
"""

from __future__ import annotations

from typing import Any

from .events import EVENT_TYPES, BaseEvent

# Fictitious, consistent values; a phone in an event is the full number the model requires.
VALUES: dict[str, Any] = {
    "customer_id": "C000123",
    "account_id": "A0000123",
    "branch_id": "B001",
    "staff_id": "S001",
    "author_id": "S001",
    "owner_id": "S001",
    "referrer_id": "C000077",
    "group_id": "G1",
    "previous_group_id": None,
    "trade_id": "T20261120-000918",
    "request_id": "R20261120-0042",
    "agreement_id": "AG-1",
    "agreement_no": "TG2026110001",
    "assessment_id": "RA-000042",
    "case_id": "RC-000042",
    "complaint_id": "CP-1",
    "content_id": "P1",
    "entry_id": "LE-000042",
    "interaction_id": "I1",
    "message_id": "M000001",
    "redemption_id": "RD-000042",
    "subscription_id": "SUB1",
    "suggestion_id": "SG-1",
    "source_ref": "T20261120-000918",
    "template_code": "SEMINAR_INVITE",
    "name": "张伟",
    "phone": "13900005678",
    "email": "zhang.wei@example.com",
    "birth_month_day": "03-15",
    "security_code": "600519",
    "quantity": 100,
    "price": "1520.00",
    "close": "1520.00",
    "prev_close": "1498.50",
    "amount": "152000.00",
    "commission": "38.00",
    "cash": "12345.67",
    "securities_value": "800000.00",
    "total_assets": "812345.67",
    "net_inflow": "50000.00",
    "points": "120.00",
    "refund": "3000.00",
    "monthly_fee": "30.00",
    "rate": "0.00025",
    "base_rate": "0.00025",
    "commission_rate": "0.0002",
    "month": "2026-11",
    "title": "十一月市场展望",
    "body": "市场情绪回暖，关注消费板块。",
    "topic": "年度资产配置",
    "outcome": "agreed",
    "reason": "friend works at another broker",
    "risk_disclosure_version": "RD2026-01",
    "alert_channel": "im:G1",
    "customer_ids": ["C000123"],
    "preferred_channels": ["sms"],
    "params": {"date": "11月22日"},
    "term_months": 12,
    "months": 2,
    "rank": 1,
    "groups_ranked": 12,
    "capacity_score": 42,
    "tolerance_score": 35,
    "audience_size": 1200,
    "chunk_count": 2,
    "chunk_no": 1,
    "evaluation": 4,
    "restatement": 0,
    "total_score": "86.5",
}

_FORMATS = {"date": "2026-11-20", "date-time": "2026-11-20T15:31:07+08:00"}
_SIMPLE = {"integer": 1, "number": 1, "boolean": False, "string": "示例"}


# Where a field name means something else in one event ("Model.field").
OVERRIDES: dict[str, Any] = {
    "ServiceGroupChanged.name": "金牛组",
    "ServiceGroupChanged.reason": "formed",
    "CustomerAssigned.reason": "monthly assignment",
    "PointsEarned.reason": "trade commission",
}


def _value(name: str, prop: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "const" in prop:
        return prop["const"]
    if prop.get("enum"):
        return prop["enum"][0]
    if "$ref" in prop:
        return _object(defs[prop["$ref"].rsplit("/", 1)[-1]], defs)
    if "$ref" in prop.get("items", {}):
        return [_value(name, prop["items"], defs)]
    if name in VALUES:
        return VALUES[name]
    if prop.get("format") in _FORMATS:
        return _FORMATS[prop["format"]]
    options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
    if options:
        return _value(name, options[0], defs)
    kind = prop.get("type", "string")
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if kind == "string" and "\\d{1,16}" in prop.get("pattern", ""):
        return "100.00"
    return _SIMPLE.get(kind, "示例")


def _object(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    model = schema.get("title", "")
    return {
        n: OVERRIDES[f"{model}.{n}"] if f"{model}.{n}" in OVERRIDES else _value(n, p, defs)
        for n, p in schema.get("properties", {}).items()
    }


def example_data(model: type[BaseEvent]) -> dict[str, Any]:
    """Every field of ``model`` with an example value, validated and as JSON would carry it."""
    schema = model.model_json_schema(mode="validation")
    data = _object(schema, schema.get("$defs", {}))
    result: dict[str, Any] = model.model_validate(data).model_dump(mode="json")
    return result


def example_envelope(event_type: str) -> dict[str, Any]:
    """The CloudEvents envelope of an example ``event_type`` event, as it travels on Kafka."""
    model = EVENT_TYPES[event_type]
    data = model.model_validate(example_data(model))
    return {
        "specversion": "1.0",
        "id": "5f0c2b1e-9a53-4c3e-9f1e-2b7d0f3c9a11",
        "type": event_type,
        "source": _source(model),
        "time": "2026-11-20T15:31:07+08:00",
        "subject": data.key,
        "datacontenttype": "application/json",
        "data": data.model_dump(mode="json"),
    }


def _source(model: type[BaseEvent]) -> str:
    if model.EXTERNAL:
        return "settlement-system"
    prefix = model.TOPIC.name.split(".", 1)[0]
    return {"ops": "ops-assessment-svc"}.get(prefix, f"{prefix}-svc")
