"""Who may ask for routing and how a caller is named (routing/rules.py; api.md, call center).

Both the FastAPI route and the fast path use these; the API tests hold both to the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tiering_svc.routing.rules import BadRoutingQuery, caller_query, may_route


@dataclass(frozen=True)
class Token:
    is_service: bool
    scopes: frozenset[str]


@pytest.mark.parametrize(
    ("token", "allowed"),
    [
        (Token(True, frozenset({"routing:read"})), True),
        (Token(True, frozenset({"routing:read", "tiering:read"})), True),
        (Token(True, frozenset({"tiering:read"})), False),
        (Token(True, frozenset()), False),
        (Token(False, frozenset({"routing:read"})), False),  # staff or customer with the scope
    ],
)
def test_only_a_service_with_routing_read_may_ask(token: Token, allowed: bool) -> None:
    assert may_route(token) is allowed


@pytest.mark.parametrize(
    ("phones", "ids", "asked"),
    [
        (["13900000001"], None, ("13900000001", None)),
        (["+8613900000001"], None, ("13900000001", None)),
        (["8613900000001"], None, ("13900000001", None)),
        (["12345"], None, ("12345", None)),
        (None, ["C500001"], (None, "C500001")),
        (None, ["C" * 32], (None, "C" * 32)),
    ],
)
def test_one_caller_by_phone_or_customer_id(
    phones: list[str] | None, ids: list[str] | None, asked: tuple[str | None, str | None]
) -> None:
    assert caller_query(phones, ids) == asked


@pytest.mark.parametrize(
    ("phones", "ids", "why"),
    [
        (None, None, "exactly one"),
        ([], [], "exactly one"),
        (["13900000001"], ["C500001"], "exactly one"),
        (["13900000001", "13900000002"], None, "exactly one"),
        (None, ["C1", "C2"], "exactly one"),
        (["139-0000-0001"], None, "digits"),
        (["1234"], None, "digits"),
        ([""], None, "digits"),
        (None, ["C" * 33], "too long"),
    ],
)
def test_anything_else_is_refused_with_a_reason(
    phones: list[str] | None, ids: list[str] | None, why: str
) -> None:
    with pytest.raises(BadRoutingQuery, match=why):
        caller_query(phones, ids)
