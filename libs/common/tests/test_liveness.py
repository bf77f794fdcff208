"""A worker's /livez sees a stuck event loop, though the metrics thread still answers."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.error import HTTPError

from brokerage_common.broker import free_port
from brokerage_common.worker import run_until_stopped


def get(port: int, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as response:
            body = response.read()
            status = response.status
    except HTTPError as error:
        body, status = error.read(), error.code
    return status, json.loads(body) if path == "/livez" else body.decode()


async def test_livez_answers_503_while_the_event_loop_is_blocked_and_200_after() -> None:
    port = free_port()
    seen: dict[str, tuple[int, Any]] = {}

    async def blocks_the_loop(_stop: asyncio.Event) -> None:
        await asyncio.sleep(0.2)
        seen["before"] = await asyncio.to_thread(get, port, "/livez")
        with ThreadPoolExecutor(1) as pool:
            during = pool.submit(lambda: (time.sleep(1.8), get(port, "/livez"))[1])
            scrape = pool.submit(get, port, "/metrics")
            # A blocking call on the loop: no task runs, the heartbeat stops.
            time.sleep(2.5)  # noqa: ASYNC251 - the hang under test
            seen["during"], seen["metrics"] = during.result(), scrape.result()
        await asyncio.sleep(0.5)
        seen["after"] = await asyncio.to_thread(get, port, "/livez")

    await asyncio.wait_for(
        run_until_stopped([blocks_the_loop], metrics_port=port, liveness_max_age_s=1.0), timeout=10
    )
    assert seen["before"][0] == 200
    assert seen["before"][1]["status"] == "ok"
    status, body = seen["during"]
    assert status == 503
    assert body["status"] == "event loop stuck"
    assert body["loop_age_s"] > 1.0
    # The metrics thread answered all along: that is why /metrics is no liveness probe.
    assert seen["metrics"][0] == 200
    assert "# HELP" in seen["metrics"][1]
    assert seen["after"][0] == 200
    # The port is free again once the worker has stopped.
    assert _port_closed(port)


def _port_closed(port: int) -> bool:
    try:
        get(port, "/livez")
    except OSError:
        return True
    return False
