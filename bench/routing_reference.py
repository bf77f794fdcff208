"""The routing target's yardsticks: a bare FastAPI route and a bare Starlette route returning
a dict (and, for the ceiling, an ASGI app with no framework), under the same load as
bench/routing.py (one uvicorn worker, wrk with 32 connections on the same machine, the
same request mix and Authorization header, nothing checked).

The issue puts them at ~10,000 and ~25,000 requests/s "here"; run beside bench/routing.py
they say how fast this machine is today.

    .venv/bin/python bench/routing_reference.py --seconds 15
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI
from routing import LUA, call_center_token, drive, ensure_wrk
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokerage_common.broker import free_port

HERE = Path(__file__).resolve().parent
ANSWER = {
    "customer_id": "C0000001",
    "tier": "gold",
    "queue": "dedicated",
    "priority": False,
    "group_id": "G01",
}

fastapi_app = FastAPI()


@fastapi_app.get("/v1/routing")
async def fastapi_routing() -> dict[str, object]:
    return ANSWER


async def starlette_routing(_request: Request) -> JSONResponse:
    return JSONResponse(ANSWER)


starlette_app = Starlette(routes=[Route("/v1/routing", starlette_routing)])

_BODY = JSONResponse(ANSWER).body


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """No framework at all: uvicorn's own ceiling on this machine."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(_BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _BODY})


def _lookup_answers(n: int) -> dict[bytes, bytes]:
    """The routing answers of bench/routing.py's customers, keyed by the query that asks for
    each (``phone=137…`` and ``customer_id=C…``), as the bare app below looks them up."""
    tiers = ["standard"] * 70 + ["silver"] * 20 + ["gold"] * 8 + ["platinum"] * 2
    rng = random.Random(1)
    answers: dict[bytes, bytes] = {}
    for i in range(1, n + 1):
        body = orjson.dumps({**ANSWER, "customer_id": f"C{i:07d}", "tier": rng.choice(tiers)})
        answers[b"phone=137%08d" % i] = body
        answers[b"customer_id=C%07d" % i] = body
    return answers


_ANSWERS: dict[bytes, bytes] = {}  # filled on the first request (wrk's warm-up)
_UNKNOWN = b'{"customer_id":null,"tier":null,"queue":"general","priority":false,"group_id":null}'


async def lookup_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """No framework, and the same lookup: the answer for the request's query out of a dict
    of the 200,000 customers' answers, nothing checked."""
    if scope["type"] != "http":
        return
    if not _ANSWERS:
        _ANSWERS.update(_lookup_answers(200_000))
    body = _ANSWERS.get(scope["query_string"], _UNKNOWN)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def measure(app: str, *, seconds: int, connections: int) -> dict[str, float | str]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            f"routing_reference:{app}",
            "--app-dir",
            str(HERE),
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/routing", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            # The same requests as bench/routing.py, Authorization header included.
            f.write(LUA.format(n=200_000, token=call_center_token()))
        return drive(
            port, f.name, connections=connections, seconds=seconds, threads=1, server_pid=server.pid
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    ensure_wrk()
    apps = (
        ("bare FastAPI", "fastapi_app"),
        ("bare Starlette", "starlette_app"),
        ("bare ASGI, no framework", "asgi_app"),
        ("bare ASGI, no framework, the same lookup", "lookup_app"),
    )
    for name, app in apps:
        result = measure(app, seconds=args.seconds, connections=args.connections)
        print(f"{name}: {result}", flush=True)


if __name__ == "__main__":
    main()
