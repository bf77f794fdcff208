"""Issue 16 item 7: the daily jobs end the worker after N failures in a row (so it restarts)."""

from __future__ import annotations

import asyncio

import pytest

from brokerage_common import Database, TooManyConsecutiveErrors
from tiering_svc.config import Settings
from tiering_svc.worker import run_daily_jobs


async def test_daily_jobs_exit_after_consecutive_failures(settings: Settings, tmp_path) -> None:
    # A database without tiering's tables: every run fails at its first query.
    empty = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    failing = settings.model_copy(
        update={"max_consecutive_errors": 3, "daily_jobs_interval_s": 0.01}
    )
    try:
        with pytest.raises(TooManyConsecutiveErrors):
            await asyncio.wait_for(run_daily_jobs(failing, empty, asyncio.Event()), timeout=10)
    finally:
        await empty.dispose()


async def test_daily_jobs_run_and_stop_when_asked(settings: Settings, db: Database) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_daily_jobs(settings.model_copy(update={"daily_jobs_interval_s": 0.01}), db, stop)
    )
    await asyncio.sleep(0.2)
    assert not task.done()  # healthy runs keep it going
    stop.set()
    await asyncio.wait_for(task, timeout=5)
