"""`make lock`: regenerate every lock file of the workspace with uv, hashes and all (ADR 0020).

Three kinds, all for CPython 3.11 on linux x86_64 (manylinux_2_28: the python:3.11-slim
images and this machine):

* ``requirements-dev.lock``: what ``make install`` and CI install: the tools of
  ``requirements-dev.in`` and every workspace package with its ``test`` extra (the local
  broker, the pytest plugin's pytest). Resolved first; the others are slices of it.
* ``requirements.lock``: the runtime of every image together, constrained to the dev lock's
  versions, so production runs what the tests ran.
* ``<package>/requirements.lock`` beside each Dockerfile: that image's runtime closure alone,
  constrained to ``requirements.lock`` (tiering's image carries no pandas, notify's does).

The workspace's own packages are never in a lock (they are not on PyPI and have no hash):
``make install`` and the Dockerfiles install them with ``--no-deps`` after the lock.
An existing lock's pins are kept unless a requirement changed (uv prefers them); delete a
lock file, or pass ``--upgrade``, to move to newer releases.

    python scripts/lock.py [--upgrade]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-manylinux_2_28"
DEV_IN = ROOT / "requirements-dev.in"
DEV_LOCK = ROOT / "requirements-dev.lock"
RUNTIME_LOCK = ROOT / "requirements.lock"
COMMON = ROOT / "libs" / "common"


def workspace() -> dict[Path, str]:
    """Every installable package of the repository: its directory and its distribution name."""
    dirs = [COMMON, *sorted(ROOT.glob("services/*")), *sorted(ROOT.glob("tools/*"))]
    dirs += sorted(ROOT.glob("apps/*"))
    found = {}
    for path in dirs:
        pyproject = path / "pyproject.toml"
        if pyproject.exists():
            found[path] = str(tomllib.loads(pyproject.read_text())["project"]["name"])
    return found


def extras(path: Path) -> list[str]:
    data = tomllib.loads((path / "pyproject.toml").read_text())
    return sorted(data["project"].get("optional-dependencies", {}))


def images() -> list[Path]:
    """The package directory of every image (each has a Dockerfile)."""
    return sorted(p.parent for p in ROOT.glob("*/*/Dockerfile"))


def image_packages(image: Path) -> list[Path]:
    """What an image installs from the workspace: libs/common when the package uses it."""
    data = tomllib.loads((image / "pyproject.toml").read_text())
    needs_common = any(d.startswith("brokerage-common") for d in data["project"]["dependencies"])
    return [COMMON, image] if needs_common else [image]


def _relative(path: Path) -> str:
    return "./" + str(path.relative_to(ROOT))


def compile_lock(requirements: list[str], output: Path, *, constraint: Path | None,
                 upgrade: bool) -> None:  # fmt: skip
    names = sorted(set(workspace().values()))
    with tempfile.NamedTemporaryFile("w", suffix=".in", dir=ROOT, delete=False) as source:
        source.write("\n".join(requirements) + "\n")
    try:
        command = [
            str(Path(sys.executable).with_name("uv")), "pip", "compile", "--quiet",
            "--generate-hashes", "--python-version", PYTHON_VERSION, "--python-platform", PLATFORM,
            "--custom-compile-command", "make lock", "--no-annotate",
            *[arg for name in names for arg in ("--no-emit-package", name)],
            *(["--constraint", str(constraint)] if constraint else []),
            *(["--upgrade"] if upgrade else []),
            source.name, "--output-file", str(output),
        ]  # fmt: skip
        subprocess.run(command, cwd=ROOT, check=True)
    finally:
        Path(source.name).unlink()
    # uv names the temporary input in the header; say what it was instead.
    text = output.read_text().replace(
        "#    make lock\n", f"#    make lock  ({', '.join(requirements)})\n"
    )
    output.write_text(text)


def main() -> int:
    upgrade = "--upgrade" in sys.argv[1:]
    dev = [f"-r {DEV_IN.name}"]
    for path in workspace():
        extra = ",".join(extras(path))
        dev.append(_relative(path) + (f"[{extra}]" if extra else ""))
    compile_lock(dev, DEV_LOCK, constraint=None, upgrade=upgrade)
    runtime = sorted({_relative(p) for image in images() for p in image_packages(image)})
    compile_lock(runtime, RUNTIME_LOCK, constraint=DEV_LOCK, upgrade=False)
    for image in images():
        packages = [_relative(p) for p in image_packages(image)]
        compile_lock(packages, image / "requirements.lock", constraint=RUNTIME_LOCK, upgrade=False)
    print(f"locked {DEV_LOCK.name}, {RUNTIME_LOCK.name} and {len(images())} image locks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
