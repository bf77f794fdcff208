"""A worker's liveness that sees a stuck event loop (ADR 0020's companion in deploy/README).

The worker's metrics port is served by a thread, so it answers even when the event loop is
hung in a blocking call: a probe on /metrics keeps such a pod alive forever. Instead the
loop stamps a heartbeat every second, and ``GET /livez`` on the same port (same thread)
answers 503 once the last stamp is older than ``max_age_s``: the kubelet restarts the pod.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

LIVENESS_PATH = "/livez"
# A consumer batch or a periodic job may hold the loop for a few seconds of CPU work; half a
# minute without a single turn of the loop is a hang (a blocking call, a deadlock).
DEFAULT_MAX_AGE_S = 30.0

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class Heartbeat:
    """The event loop's last turn, stamped by ``run`` and read from any thread."""

    def __init__(self, *, max_age_s: float = DEFAULT_MAX_AGE_S, interval_s: float = 1.0) -> None:
        self.max_age_s = max_age_s
        self.interval_s = interval_s
        self._last = time.monotonic()

    def age(self) -> float:
        return time.monotonic() - self._last

    def alive(self) -> bool:
        return self.age() <= self.max_age_s

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._last = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line per probe or scrape."""


class HealthServer:
    """/metrics (Prometheus) and /livez (the heartbeat) on one port, served by a thread."""

    def __init__(self, port: int, heartbeat: Heartbeat, *, addr: str = "0.0.0.0") -> None:
        self.heartbeat = heartbeat
        self._metrics = make_wsgi_app()
        self._server = make_server(
            addr, port, self._app, ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.port = int(self._server.server_port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health-server", daemon=True
        )

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != LIVENESS_PATH:
            body: Iterable[bytes] = self._metrics(environ, start_response)
            return body
        age = self.heartbeat.age()
        alive = age <= self.heartbeat.max_age_s
        payload = {"status": "ok" if alive else "event loop stuck", "loop_age_s": round(age, 3)}
        data = json.dumps(payload).encode()
        status = "200 OK" if alive else "503 Service Unavailable"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        start_response(status, headers)
        return [data]

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
