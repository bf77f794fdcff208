"""A pure-ASGI fast path for GET /v1/customers/{id}/offers (ADR 0010, "Offers").

FastAPI's per-request dependency machinery costs more than answering from the read model;
this answers the plain case (a valid token allowed to see a known customer, no query)
before it, and passes every other request, errors included, to the FastAPI route, which
therefore says every refusal exactly as before. Tests hold both to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import HTTPException
from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from brokerage_common import TokenCache

from ..catalogue.rules import Prices
from ..deps import ensure_customer_access
from .answers import kept_answer_json
from .memory import OffersModel

_PREFIX, _SUFFIX = "/v1/customers/", "/offers"
_JSON = (b"content-type", b"application/json")

OFFERS_FAST = Counter(
    "advisory_offers_fast_total", "Offers answered by the fast path (the rest by the route)"
)


class OffersFastPath:
    """Wraps the whole FastAPI app; attribute access falls through to it (``app.state``,
    ``app.dependency_overrides``), so the wrapper stands wherever the app did."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        model: OffersModel,
        tokens: TokenCache,
        prices: Prices,
        today: Callable[[], date],
    ) -> None:
        self.app = app
        self.model = model
        self.tokens = tokens
        self.prices = prices
        self.today = today

    def __getattr__(self, name: str) -> object:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.answer(scope) if scope["type"] == "http" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        OFFERS_FAST.inc()
        # With its length given, uvicorn writes the body as it is, not in chunked framing.
        headers = [_JSON, (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def answer(self, scope: Scope) -> bytes | None:
        """The answer when this is a plain offers request the route would answer 200."""
        path: str = scope["path"]
        if (
            scope["method"] != "GET"
            or scope.get("query_string")
            or not path.startswith(_PREFIX)
            or not path.endswith(_SUFFIX)
            or not self.model.loaded
        ):
            return None
        customer_id = path[len(_PREFIX) : -len(_SUFFIX)]
        if not customer_id or "/" in customer_id:
            return None
        auth = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value
                break
        try:
            principal = self.tokens.principal(auth)
            if principal is None:
                return None
            standing = self.model.get(customer_id)
            if standing is None:
                return None
            # Covers the route's earlier check too: a customer asking about another.
            ensure_customer_access(
                principal, customer_id=customer_id, branch_id=standing.facts.branch_id
            )
        except HTTPException:
            return None
        today = self.today()
        return kept_answer_json(
            self.model,
            customer_id,
            standing.on(today),
            today=today,
            prices=self.prices,
            entrusted_amount=None,
        )
