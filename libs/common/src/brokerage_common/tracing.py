"""Request ids and W3C trace context, carried in contextvars for the log lines (ADR 0019).

An HTTP request gets a request id (its ``X-Request-ID``, else its trace id) and a trace
context (its W3C ``traceparent``, else a fresh trace), both echoed back as
``X-Request-ID``; every log line written while it is handled carries them
(``logging.ContextFilter``). The outbox writes the request's trace context into the
events it stages as the CloudEvents distributed-tracing extension attribute
``traceparent``, and a consumer logs it, with the event id, on every line written while
it handles the event. Nothing is exported: there is no tracing backend (ADR 0019).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any, NamedTuple

# ASGI's shapes, spelled here so that this module (which the event contract imports for
# ``valid_traceparent``) depends on no web framework.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# version-traceid-parentid-flags; an all-zero trace or parent id is invalid (W3C).
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
# A request id a client may choose: short, and nothing a log line could be forged with.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


class TraceContext(NamedTuple):
    trace_id: str
    span_id: str
    flags: str = "01"

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


class RequestContext(NamedTuple):
    request_id: str
    trace: TraceContext


def parse_traceparent(value: str | None) -> TraceContext | None:
    """The trace context of a W3C ``traceparent`` value, None if it is absent or invalid
    (then the caller starts a trace of its own, as the W3C spec says)."""
    if not value:
        return None
    found = _TRACEPARENT.fullmatch(value.strip().lower())
    if found is None or found[1] == _ZERO_TRACE or found[2] == _ZERO_SPAN:
        return None
    return TraceContext(found[1], found[2], found[3])


def valid_traceparent(value: Any) -> str | None:
    """``value`` if it is a valid ``traceparent``, else None: an envelope's malformed
    extension attribute is dropped, never a reason to refuse the event."""
    if isinstance(value, str) and parse_traceparent(value) is not None:
        return value
    return None


def new_span_id() -> str:
    return secrets.token_hex(8)


def child_of(parent: TraceContext | None) -> TraceContext:
    """A new span in ``parent``'s trace, or the first span of a new trace."""
    if parent is None:
        return TraceContext(secrets.token_hex(16), new_span_id())
    return TraceContext(parent.trace_id, new_span_id(), parent.flags)


current_request: ContextVar[RequestContext | None] = ContextVar("current_request", default=None)
"""The HTTP request being handled (set by ``RequestContextMiddleware``)."""

current_events: ContextVar[Any] = ContextVar("current_events", default=None)
"""What a consumer is handling: one envelope, or a batch (a list of envelopes or of
items with an ``envelope``). Set per batch; resolved to ids only when a line is logged."""


def current_traceparent() -> str | None:
    """The trace context an event staged now should carry: the request's, else that of
    the one event being handled (an event published while handling another)."""
    request = current_request.get()
    if request is not None:
        return request.trace.traceparent
    env = _single_envelope(current_events.get())
    return getattr(env, "traceparent", None) if env is not None else None


def outgoing_headers() -> dict[str, str]:
    """Headers that carry the current request's id and trace context to a service it calls
    (the staff console's calls): the callee's lines share the id, its trace continues."""
    request = current_request.get()
    if request is None:
        return {}
    return {"traceparent": request.trace.traceparent, "X-Request-ID": request.request_id}


def _envelope_of(item: Any) -> Any:
    return getattr(item, "envelope", item)


def _single_envelope(handling: Any) -> Any:
    if handling is None:
        return None
    if isinstance(handling, list):
        return _envelope_of(handling[0]) if len(handling) == 1 else None
    return _envelope_of(handling)


MAX_LOGGED_IDS = 20


def event_fields(handling: Any) -> dict[str, Any]:
    """The log fields for what a consumer handles: ``event_id`` and ``trace_id`` for one
    event; for a batch ``event_count`` and ``event_ids`` (the first ``MAX_LOGGED_IDS``)
    and the distinct ``trace_ids`` among them."""
    env = _single_envelope(handling)
    if env is not None:
        fields: dict[str, Any] = {"event_id": env.id}
        trace = parse_traceparent(getattr(env, "traceparent", None))
        if trace is not None:
            fields["trace_id"] = trace.trace_id
        return fields
    if not handling:
        return {}
    envs = [_envelope_of(item) for item in handling[:MAX_LOGGED_IDS]]
    traces = {
        t.trace_id
        for t in (parse_traceparent(getattr(e, "traceparent", None)) for e in envs)
        if t is not None
    }
    fields = {"event_count": len(handling), "event_ids": [e.id for e in envs]}
    if traces:
        fields["trace_ids"] = sorted(traces)
    return fields


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Gives every HTTP request a request id and a trace context for its log lines.

    The request id is the client's ``X-Request-ID`` when it is a plain token (letters,
    digits, ``._:-``, at most 128), else the trace id; the trace continues the client's
    ``traceparent`` when it is valid, else starts anew. ``X-Request-ID`` is echoed in
    the response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace = child_of(parse_traceparent(_header(scope, b"traceparent")))
        asked = _header(scope, b"x-request-id")
        request_id = asked if asked and _REQUEST_ID.fullmatch(asked) else trace.trace_id
        echoed = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        token = current_request.set(RequestContext(request_id, trace))
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request.reset(token)


def install_request_context(app: Any) -> None:
    """Add ``RequestContextMiddleware`` as the app's outermost middleware (call it last)."""
    app.add_middleware(RequestContextMiddleware)
