"""Descriptions and examples for the properties of the services' OpenAPI documents (ADR 0021).

A model's own ``Field(description=..., examples=[...])`` wins. A property without them takes
them from ``TERMS`` (``"Model.field"`` first, then ``"field"``): the platform's fields mean
the same in every service (a ``customer_id`` is a customer id everywhere), so they are
written once. An enum's or constant's example is its first value, a date's a trading day.
"""

from __future__ import annotations

import re
from typing import Any

from .glossary_terms import TERMS

_FORMAT_EXAMPLES: dict[str, Any] = {
    "date": "2026-11-20",
    "date-time": "2026-11-20T15:31:07+08:00",
    "email": "zhang.wei@example.com",
    "uuid": "5f0c2b1e-9a53-4c3e-9f1e-2b7d0f3c9a11",
}


def _derived_example(prop: dict[str, Any], schemas: dict[str, Any]) -> Any:
    if "$ref" in prop:
        return _derived_example(schemas.get(prop["$ref"].rsplit("/", 1)[-1], {}), schemas)
    if "const" in prop:
        return prop["const"]
    if prop.get("enum"):
        return prop["enum"][0]
    if prop.get("format") in _FORMAT_EXAMPLES:
        return _FORMAT_EXAMPLES[prop["format"]]
    for option in prop.get("anyOf", []) + prop.get("allOf", []):
        if option.get("type") != "null":
            found = _derived_example(option, schemas)
            if found is not None:
                return found
    return None


def _fits(example: Any, schema: dict[str, Any]) -> bool:
    """False for a string example that breaks the field's pattern (the glossary's masked phone
    for an input that takes the whole number)."""
    patterns = [schema.get("pattern")] + [o.get("pattern") for o in schema.get("anyOf", [])]
    return not isinstance(example, str) or all(
        re.search(p, example) for p in patterns if isinstance(p, str)
    )


def document_properties(schemas: dict[str, Any]) -> None:
    """Fill in each property's missing ``description`` and ``examples`` (in place)."""
    for name, schema in schemas.items():
        for field, prop in (schema.get("properties") or {}).items():
            term = TERMS.get(f"{name}.{field}") or TERMS.get(field)
            if "description" not in prop and term is not None:
                prop["description"] = term[0]
            if "examples" in prop or "example" in prop:
                continue
            if term is not None and len(term) > 1 and _fits(term[1], prop):
                prop["examples"] = [term[1]]
                continue
            derived = _derived_example(prop, schemas)
            if derived is not None:
                prop["examples"] = [derived]


def document_parameters(paths: dict[str, Any]) -> None:
    """Fill in each operation parameter's missing ``description`` and ``example`` (in place)."""
    for item in paths.values():
        for operation in item.values():
            for param in operation.get("parameters", []):
                term = TERMS.get(param["name"])
                if "description" not in param and term is not None:
                    param["description"] = term[0]
                if "example" in param or "examples" in param:
                    continue
                if term is not None and len(term) > 1 and _fits(term[1], param.get("schema", {})):
                    param["example"] = term[1]
                    continue
                derived = _derived_example(param.get("schema", {}), {})
                if derived is not None:
                    param["example"] = derived
