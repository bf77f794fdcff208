"""Running a service worker: its consumers and outbox relay until SIGTERM, with a metrics port
that also answers the liveness probe (/livez: the event loop still turns)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from . import metrics
from .liveness import DEFAULT_MAX_AGE_S, HealthServer, Heartbeat

log = logging.getLogger(__name__)

Runner = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class TooManyConsecutiveErrors(RuntimeError):
    """A worker loop failed ``max_consecutive_errors`` times in a row: the process exits."""


async def run_periodic(
    job: Callable[[], Awaitable[Any]],
    *,
    name: str,
    interval_s: float,
    stop: asyncio.Event,
    max_consecutive_errors: int = 10,
    service: str = "",
) -> None:
    """Run ``job`` every ``interval_s`` until ``stop``. A failure is logged and tried again
    at the next interval; ``max_consecutive_errors`` failures in a row raise
    ``TooManyConsecutiveErrors``, which ends the worker (``run_until_stopped``) so its
    orchestrator restarts it, instead of a job failing quietly forever."""
    failures = 0
    gauge = metrics.CONSECUTIVE_ERRORS.labels(service, name)
    while not stop.is_set():
        try:
            await job()
        except Exception as exc:
            failures += 1
            gauge.set(failures)
            log.exception(
                "worker job failed", extra={"job": name, "consecutive_failures": failures}
            )
            if failures >= max_consecutive_errors:
                raise TooManyConsecutiveErrors(
                    f"{name} failed {failures} times in a row; exiting to be restarted"
                ) from exc
        else:
            failures = 0
            gauge.set(0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a batch worker.

    A consumer batch allocates thousands of short-lived objects; CPython's default
    generation-0 threshold (700) then runs the collector hundreds of times per batch,
    re-scanning the long-lived import-time objects each full pass. Freezing those and
    raising the threshold made the tiering ingest about 1.5x faster (bench/ingest.py).
    Reference counting still frees almost everything at once; only cycles wait longer.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def run_main(main: Coroutine[Any, Any, None]) -> None:
    """Run a worker's main coroutine, on uvloop where it is installed (it comes with
    uvicorn[standard] on Linux): the consumer's socket reads and the database driver's
    round trips cost less on it than on the default event loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - every supported platform has it
        asyncio.run(main)
        return
    uvloop.run(main)


async def run_until_stopped(
    runners: Sequence[Runner],
    *,
    metrics_port: int | None = None,
    liveness_max_age_s: float = DEFAULT_MAX_AGE_S,
) -> None:
    """Run every loop until SIGTERM/SIGINT; if one loop crashes, stop the others and re-raise.

    With ``metrics_port``, a thread serves /metrics and /livez there; /livez answers 503
    when the event loop has not turned for ``liveness_max_age_s`` (brokerage_common.liveness).
    """
    tune_gc()
    heartbeat = Heartbeat(max_age_s=liveness_max_age_s)
    health = HealthServer(metrics_port, heartbeat).start() if metrics_port else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    beating = asyncio.create_task(heartbeat.run(stop))
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(r(stop)) for r in runners]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        # Cancelled from outside: do not leave the loops running without an owner.
        stop.set()
        for task in [*tasks, beating]:
            task.cancel()
        for sig in signals:
            loop.remove_signal_handler(sig)
        if health is not None:
            health.close()
    for result in results:
        if isinstance(result, BaseException):
            log.error("worker loop crashed", exc_info=result)
            raise result
