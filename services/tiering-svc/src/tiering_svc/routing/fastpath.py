"""A pure-ASGI fast path for GET /v1/routing: the call center asks while the phone rings.

FastAPI's per-request dependency machinery costs more than the lookup itself;
this answers the one hot route before it (ADR 0006). Who may ask and how a caller is
named are checked by the same ``rules`` as the documented route in router.py; what
is its own here is only the framework's work done by hand: the token cache, the
query split and the precomputed answer bytes.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import orjson
from fastapi import FastAPI, HTTPException
from prometheus_client import Counter
from starlette.types import Receive, Scope, Send

from brokerage_common import Principal, TokenVerifier

from .read_model import RoutingModel
from .rules import NOT_A_ROUTING_CALLER, BadRoutingQuery, caller_query, may_route

_JSON = [(b"content-type", b"application/json")]


class TokenCache:
    """Verified tokens for a short while: a call-center client reuses its token for every call.

    Keyed by the whole Authorization header, so a known caller costs one dict lookup.
    """

    def __init__(
        self, verifier: TokenVerifier, max_entries: int = 10000, ttl_s: float = 60.0
    ) -> None:
        self.verifier = verifier
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._cache: dict[bytes, tuple[Principal, float]] = {}

    def principal(self, authorization: bytes) -> Principal | None:
        """The principal of the header's bearer token; None when it carries none.

        Raises the verifier's 401 for a bad or expired token.
        """
        now = time.monotonic()
        hit = self._cache.get(authorization)
        if hit is not None and hit[1] > now:
            return hit[0]
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        principal = self.verifier.verify(token.strip())  # raises 401
        if len(self._cache) >= self.max_entries:
            self._cache.clear()
        # Re-verify at most ttl_s later, and never trust a token past its own expiry.
        until = now + self.ttl_s
        if principal.expires_at is not None:
            until = min(until, now + (principal.expires_at - time.time()))
        self._cache[authorization] = (principal, until)
        return principal


def parse_query(query: str) -> dict[str, list[str]]:
    """``urllib.parse.parse_qs(query)``, without its per-call overhead when nothing in the
    query needs unquoting (no ``%``, no ``+``): the call center's plain ``phone=…``."""
    if "%" in query or "+" in query:
        return parse_qs(query)
    values: dict[str, list[str]] = {}
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        if eq and value:  # parse_qs drops a part without "=" or with a blank value
            values.setdefault(name, []).append(value)
    return values


ROUTING_LOOKUPS = Counter("routing_lookups_total", "Call-center routing answers", ["outcome"])
_KNOWN = ROUTING_LOOKUPS.labels("known")
_UNKNOWN = ROUTING_LOOKUPS.labels("unknown")
_REFUSED = ROUTING_LOOKUPS.labels("refused")


class RoutingFastPath:
    """Wraps the whole FastAPI app: GET /v1/routing is answered here, all else passes through.

    Attribute access falls through to the wrapped app (``app.state``, ``app.openapi()``),
    so the wrapper can stand wherever the FastAPI app did.
    """

    def __init__(
        self, app: FastAPI, *, model: RoutingModel, tokens: TokenCache, path: str = "/v1/routing"
    ) -> None:
        self.app = app
        self.model = model
        self.tokens = tokens
        self.path = path

    def __getattr__(self, name: str) -> object:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        status, body = self.handle(scope)
        if status != 200:
            _REFUSED.inc()
        elif body.startswith(b'{"customer_id":null'):
            _UNKNOWN.inc()
        else:
            _KNOWN.inc()
        # With its length given, uvicorn writes the body as it is, not in chunked framing.
        headers = [*_JSON, (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def handle(self, scope: Scope) -> tuple[int, bytes]:
        auth = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value
                break
        try:
            principal = self.tokens.principal(auth)
        except HTTPException as exc:
            return exc.status_code, orjson.dumps({"detail": exc.detail})
        if principal is None:
            return 401, b'{"detail":"missing bearer token"}'
        if not may_route(principal):
            return 403, _NOT_A_ROUTING_CALLER
        query = parse_query(scope.get("query_string", b"").decode("latin-1"))
        try:
            phone, customer_id = caller_query(query.get("phone"), query.get("customer_id"))
        except BadRoutingQuery as exc:
            return 422, orjson.dumps({"detail": str(exc)})
        return 200, self.model.answer_json(phone=phone, customer_id=customer_id)


_NOT_A_ROUTING_CALLER = orjson.dumps({"detail": NOT_A_ROUTING_CALLER})
