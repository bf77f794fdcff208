"""make run's supervisor restarts a process that dies, and make stop still stops exactly
what make run started, the supervisor included (issue 16 item 7). The stack itself is
not started (its fixed ports are one engineer's): a stand-in process is supervised."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.resilience

DEVSTACK = Path(__file__).resolve().parents[2] / "scripts" / "devstack.py"


def load_devstack(data: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"devstack_{data.name}", DEVSTACK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.DATA, module.PIDS, module.LOGS, module.PROCS = (
        data,
        data / "pids",
        data / "logs",
        data / "procs",
    )
    return module


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead: it answers signal 0 until reaped.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def wait_for(condition: Any, within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_killed_process_is_restarted_and_stop_stops_everything(tmp_path: Path) -> None:
    devstack = load_devstack(tmp_path)
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    worker = devstack.spawn("worker", sleeper, dict(os.environ))
    first = worker.pid
    supervisor = subprocess.Popen(
        [sys.executable, str(DEVSTACK), "supervise"],
        env={**os.environ, "DATA_DIR": str(tmp_path)},
        stdout=(tmp_path / "supervisor.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (tmp_path / "pids" / "supervisor.pid").write_text(str(supervisor.pid))
    pid_file = tmp_path / "pids" / "worker.pid"
    restarted: list[int] = []
    try:
        os.kill(first, signal.SIGKILL)
        worker.wait()  # reaped, as init reaps make run's orphans
        wait_for(lambda: int(pid_file.read_text()) != first, 15, "the restart")
        second = int(pid_file.read_text())
        wait_for(lambda: alive(second), 5, "the restarted process")
        restarted.append(second)
        # Killed again at once: restarted again, after a back-off of about a second.
        os.kill(second, signal.SIGKILL)
        wait_for(lambda: int(pid_file.read_text()) != second, 15, "the second restart")
        restarted.append(int(pid_file.read_text()))

        devstack.stop()

        assert supervisor.wait(timeout=15) is not None
        for pid in restarted:
            wait_for(lambda pid=pid: not alive(pid), 15, f"process {pid} to stop")
        assert list((tmp_path / "pids").glob("*.pid")) == []
        # Nothing comes back after the stop.
        time.sleep(2.5)
        assert not pid_file.exists()
    finally:
        for pid in [first, *restarted, supervisor.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    log = (tmp_path / "supervisor.log").read_text()
    assert log.count("supervisor: restarted worker") == 2, log


def test_a_pid_file_is_never_seen_empty_while_it_is_rewritten(tmp_path: Path) -> None:
    """The supervisor and this test read pid files while devstack rewrites them (a restart):
    ``write_text`` truncates first, so a reader could find '' (``int('')`` failed under load)."""
    import threading

    devstack = load_devstack(tmp_path)
    pid_file = tmp_path / "worker.pid"
    devstack.write_atomically(pid_file, "1000")
    seen: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            seen.append(pid_file.read_text())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for pid in range(1001, 3001):
            devstack.write_atomically(pid_file, str(pid))
    finally:
        done.set()
        thread.join()
    assert seen
    assert all(text.isdigit() and 1000 <= int(text) <= 3000 for text in seen)
    assert [p.name for p in tmp_path.iterdir()] == ["worker.pid"]  # no temp file left
