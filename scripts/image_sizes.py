"""`make image-sizes`: what each image adds to its base, estimated without a Docker engine.

For each image (a directory with a Dockerfile), install its requirements.lock with
``--require-hashes`` and then its workspace packages with ``--no-deps`` into an empty
directory, as the Dockerfile's build stage does into /opt/venv, and measure that directory
on disk (bytecode included: pip compiles it, as in the image). The base image,
python:3.11-slim, is the same for every image and is not measured here (no Docker engine on
a development machine). This also proves each image lock installs with its hashes.

    python scripts/image_sizes.py [image-dir ...]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def images() -> list[Path]:
    return sorted(p.parent for p in ROOT.glob("*/*/Dockerfile"))


def workspace_packages(image: Path) -> list[Path]:
    deps = tomllib.loads((image / "pyproject.toml").read_text())["project"]["dependencies"]
    common = any(str(d).startswith("brokerage-common") for d in deps)
    return ([ROOT / "libs" / "common"] if common else []) + [image]


def disk_usage(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            file = Path(dirpath) / name
            if not file.is_symlink():
                total += file.stat().st_blocks * 512
    return total


def pip(*args: str | Path) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-warn-script-location"]
    subprocess.run([*command, *map(str, args)], check=True, stderr=subprocess.DEVNULL)


def measure(image: Path) -> tuple[int, int]:
    """(third-party packages, bytes on disk) of the image's installed runtime."""
    lock = image / "requirements.lock"
    with tempfile.TemporaryDirectory(prefix="image-size-") as target:
        pip("--require-hashes", "--target", target, "-r", lock)
        # Built from a copy: a build in place would leave build/ in the source tree.
        with tempfile.TemporaryDirectory(prefix="image-src-") as src:
            copies = [shutil.copytree(p, Path(src) / p.name) for p in workspace_packages(image)]
            pip("--no-deps", "--target", target, *copies)
        size = disk_usage(Path(target))
    count = sum(1 for line in lock.read_text().splitlines() if "==" in line and " \\" in line)
    return count, size


def main() -> int:
    chosen = [ROOT / arg for arg in sys.argv[1:]] or images()
    print(f"{'image':<22} {'packages':>8} {'installed MB':>13}")
    for image in chosen:
        count, size = measure(image)
        print(f"{image.name:<22} {count:>8} {size / 1e6:>13.1f}", flush=True)
    print("plus the base image python:3.11-slim (not measured: no Docker engine here)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
