"""Paired ingest runs: an earlier commit (A) and the working tree (B), alternately.

This shared 2-core machine's speed drifts by up to 2x within an hour, so an events/s
figure alone says little about a change; runs of A and B back to back under the same
conditions do. A is checked out into a temporary git worktree and imported ahead of the
editable installs (PYTHONPATH), with this tree's bench/ingest.py driving both.

.venv/bin/python bench/ab_ingest.py --baseline 778c38f --events 1000000 --pairs 2
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("libs/common/src", "services/tiering-svc/src", "tools/simulator/src")


def last_result(command: list[str], *, cwd: Path, pythonpath: str | None = None) -> dict[str, Any]:
    """Run a benchmark side in its own process (with ``pythonpath`` first on its path: an
    earlier commit's sources) and read the dict it prints last."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run(
        [sys.executable, *command], env=env, cwd=cwd, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = ast.literal_eval(out.strip().splitlines()[-1])
    return result


def run_ingest(events: int, workers: int, pythonpath: str | None) -> dict[str, object]:
    command = [str(ROOT / "bench" / "ingest.py"), "--events", str(events)]
    return last_result([*command, "--workers", str(workers)], cwd=ROOT, pythonpath=pythonpath)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True, help="the commit to compare against")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ab-ingest-") as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), args.baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            baseline_path = os.pathsep.join(str(tree / s) for s in SOURCES)
            keys = ("events_per_s", "worker_cpu_us_per_event", "postgres_cpu_us_per_event")
            print("run  " + "  ".join(keys) + "  replay_unchanged", flush=True)
            for i in range(args.pairs):
                for name, path in (("A", baseline_path), ("B", None)):
                    r = run_ingest(args.events, args.workers, path)
                    values = "  ".join(str(r[k]) for k in keys)
                    print(f"{name}{i + 1}   {values}  {r['replay_unchanged']}", flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )


if __name__ == "__main__":
    main()
