"""Who may ask for routing and how a ringing phone is asked about: one home for the
FastAPI route and the fast path (ADR 0006). Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

ROUTING_SCOPE = "routing:read"
NOT_A_ROUTING_CALLER = f"requires a service token with scope {ROUTING_SCOPE}"
PHONE_PATTERN = r"^\+?\d{5,15}$"
CUSTOMER_ID_MAX_LENGTH = 32
_PHONE = re.compile(PHONE_PATTERN)

GROUP_TIERS = frozenset({"gold", "platinum"})
"""Tiers whose answer names the customer's service group (客户服务小组): gold and platinum
customers are served one-on-one by a branch service team (domain.md §2, §5)."""


class Caller(Protocol):
    """What routing needs of a verified token (``brokerage_common.Principal``)."""

    @property
    def is_service(self) -> bool: ...
    @property
    def scopes(self) -> frozenset[str]: ...


def may_route(caller: Caller) -> bool:
    """Only the call-center software asks: a service token with scope ``routing:read``."""
    return caller.is_service and ROUTING_SCOPE in caller.scopes


class BadRoutingQuery(ValueError):
    """The query does not name one caller; the message says why (a 422)."""


def caller_query(
    phones: Sequence[str] | None, customer_ids: Sequence[str] | None
) -> tuple[str | None, str | None]:
    """(phone, customer id) asked about, exactly one of them given, the phone normalised
    (``normalize_caller``); ``BadRoutingQuery`` otherwise."""
    if bool(phones) == bool(customer_ids) or (phones and len(phones) > 1):
        raise BadRoutingQuery("give exactly one of phone or customer_id")
    if customer_ids and len(customer_ids) > 1:
        raise BadRoutingQuery("give exactly one of phone or customer_id")
    if phones:
        if not _PHONE.match(phones[0]):
            raise BadRoutingQuery("phone must be digits")
        return normalize_caller(phones[0]), None
    assert customer_ids  # one of the two, by the first check
    if len(customer_ids[0]) > CUSTOMER_ID_MAX_LENGTH:
        raise BadRoutingQuery("customer_id too long")
    return None, customer_ids[0]


def normalize_caller(phone: str) -> str:
    """Caller ids arrive as 13800001234, +8613800001234 or 8613800001234."""
    digits = phone.lstrip("+")
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    return digits
