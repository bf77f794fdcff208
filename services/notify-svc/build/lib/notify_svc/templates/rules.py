"""Pure template rules: placeholders, rendering and the texts the law requires.

Nothing here does I/O.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from ..rules import Category

OPT_OUT_TEXT = "回T退订"
RISK_DISCLOSURE = "投资有风险，入市需谨慎"

_SENTENCE_ENDS = ("。", "！", "？", "!", "?", ".", "，", ",", "；", ";")


def _append_once(text: str, suffix: str) -> str:
    if suffix in text:
        return text
    body = text.rstrip()
    if not body:
        return suffix
    separator = "" if body.endswith(_SENTENCE_ENDS) else "，"
    return f"{body}{separator}{suffix}"


def with_opt_out(text: str) -> str:
    """Marketing text with the mandatory opt-out ``回T退订`` appended once."""
    return _append_once(text, OPT_OUT_TEXT)


def with_risk_disclosure(text: str) -> str:
    """Advisory text with the risk disclosure (风险提示) appended once."""
    return _append_once(text, RISK_DISCLOSURE)


# --- placeholders and rendering ----------------------------------------------------------


def template_fields(text: str) -> set[str]:
    """The ``{placeholder}`` names of a template text; ValueError when the braces are malformed."""
    names: set[str] = set()
    for _literal, field_name, format_spec, conversion in string.Formatter().parse(text):
        if field_name is None:
            continue
        if not field_name.isidentifier() or format_spec or conversion:
            raise ValueError(f"placeholders are plain names, not {{{field_name}}}")
        names.add(field_name)
    return names


def missing_params(text: str, params: Mapping[str, Any]) -> set[str]:
    return template_fields(text) - set(params)


def render(text: str, params: Mapping[str, Any]) -> str:
    """The template text with its placeholders filled; KeyError names a missing parameter."""
    return text.format_map({k: params[k] for k in template_fields(text)})


def content_for(category: Category, text: str) -> str:
    """The mandatory additions: 回T退订 on marketing, the risk disclosure on advisory content."""
    if category == Category.MARKETING:
        return with_opt_out(text)
    if category == Category.ADVISORY:
        return with_risk_disclosure(text)
    return text
