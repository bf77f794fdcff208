"""A pure-ASGI fast path for GET /v1/routing: the call center asks while the phone rings.

FastAPI's per-request dependency machinery costs more than the lookup itself;
this answers the one hot route before it (ADR 0006). Who may ask and how a caller is
named are checked by the same ``rules`` as the documented route in router.py; what
is its own here is only the framework's work done by hand: the token cache, the admitted
caller remembered, the query split. A call center's plain query for a known caller is one
read of the model's kept answers (``RoutingModel.answers``) by the raw query string.
"""

from __future__ import annotations

from time import perf_counter_ns
from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, FastAPI, HTTPException
from starlette.datastructures import State
from starlette.types import Receive, Scope, Send

from brokerage_common import TokenCache
from brokerage_common.errors import code_for_status, error_body

from .fastmetrics import LoopCounter, LoopHistogram
from .read_model import PLAIN_QUERY, UNKNOWN_JSON, RoutingModel
from .rules import NOT_A_ROUTING_CALLER, BadRoutingQuery, caller_query, may_route

_JSON = [(b"content-type", b"application/json")]


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


# Counted on the event loop's thread in plain integers (fastmetrics: a prometheus_client
# value costs a lock per update). The route answers before the request middleware, so it
# times itself: from the request reaching the app to the last byte handed to the server,
# in buckets fine below the 5 ms target (api.md).
ROUTING_LOOKUPS = LoopCounter(
    "tiering_routing_lookups_total",
    "Call-center routing answers",
    "outcome",
    ("known", "unknown", "refused"),
)
_LOOKUPS = ROUTING_LOOKUPS.counts
_KNOWN, _UNKNOWN, _REFUSED = 0, 1, 2
ROUTING_LATENCY = LoopHistogram(
    "tiering_routing_request_duration_seconds",
    "GET /v1/routing answer time in the app, from the request to the last byte handed over",
    (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1),
)
_OBSERVE_NS = ROUTING_LATENCY.observe_ns


class RoutingFastPath:
    """Wraps the whole FastAPI app: GET /v1/routing is answered here, all else passes through.

    The app's ``state``, ``router`` and ``openapi`` are reachable through the wrapper, so it
    can stand where the FastAPI app did (tests, tools, the OpenAPI document); anything else
    is on ``.app``. Not by ``__getattr__``: a class with one reads every attribute of its
    own through a slower lookup that the interpreter cannot specialise (about 100
    instructions each, several per call; issue 17).
    """

    def __init__(
        self, app: FastAPI, *, model: RoutingModel, tokens: TokenCache, path: str = "/v1/routing"
    ) -> None:
        self.app = app
        self.model = model
        self.tokens = tokens
        self.path = path
        # The principal last let through: the token cache hands back the same one for the
        # same header, so a caller already checked by may_route is not checked again.
        self._admitted: object = _NOBODY

    @property
    def state(self) -> State:
        return self.app.state

    @property
    def router(self) -> APIRouter:
        return self.app.router

    def openapi(self) -> dict[str, Any]:
        return self.app.openapi()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        started = perf_counter_ns()
        status, body = self.handle(scope)
        if status != 200:
            _LOOKUPS[_REFUSED] += 1
        elif body is UNKNOWN_JSON:
            _LOOKUPS[_UNKNOWN] += 1
        else:
            _LOOKUPS[_KNOWN] += 1
        # With its length given, uvicorn writes the body as it is, not in chunked framing.
        headers = [*_JSON, (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        _OBSERVE_NS(perf_counter_ns() - started)

    def handle(self, scope: Scope) -> tuple[int, bytes]:
        auth = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value
                break
        try:
            principal = self.tokens.principal(auth)
        except HTTPException as exc:
            return exc.status_code, orjson.dumps(
                error_body(exc.detail, code_for_status(exc.status_code))
            )
        if principal is not self._admitted:
            if principal is None:
                return 401, _MISSING_TOKEN
            if not may_route(principal):
                return 403, _NOT_A_ROUTING_CALLER
            self._admitted = principal
        raw = scope["query_string"]
        # The call center's own query for a known caller: its answer, as kept by the model.
        body = self.model.answers.get(raw)
        if body is not None:
            return 200, body
        if PLAIN_QUERY(raw):
            return 200, UNKNOWN_JSON  # asked plainly and not kept: not a known caller
        query = parse_query(raw.decode("latin-1"))
        try:
            phone, customer_id = caller_query(query.get("phone"), query.get("customer_id"))
        except BadRoutingQuery as exc:
            return 422, orjson.dumps(error_body(str(exc), code_for_status(422)))
        return 200, self.model.answer_json(phone=phone, customer_id=customer_id)


_NOBODY = object()
# The platform's error shape (ADR 0021), as FastAPI's handlers would answer.
_NOT_A_ROUTING_CALLER = orjson.dumps(error_body(NOT_A_ROUTING_CALLER, code_for_status(403)))
_MISSING_TOKEN = orjson.dumps(error_body("missing bearer token", code_for_status(401)))
