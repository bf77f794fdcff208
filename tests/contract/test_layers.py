"""The import-linter contracts of `make lint` hold on the tree, and they bite.

Each probe writes one import that breaks a contract into a copy of the service's package,
runs lint-imports on the copy with the repository's configuration, and requires that
contract to fail naming that very import. A contract that no probe can break guards nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = {"profile_svc": ROOT / "services" / "profile-svc" / "src" / "profile_svc"}


def lint_imports(
    *, cwd: Path, pythonpath: Path | None = None, contract: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        # Ahead of the editable installs, so the graph is built from the probed copy.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    command = [str(LINT_IMPORTS), "--config", str(CONFIG), "--no-cache", "--no-logo"]
    if contract is not None:
        command += ["--contract", contract]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_imports(cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


# (contract id, package, module file to add the import to, the import, what lint-imports says)
PROBES = [
    (
        "profile-layers",
        "profile_svc",
        "customers/service.py",
        "from profile_svc.customers import router",
        "profile_svc.customers.service is not allowed to import profile_svc.customers.router",
    ),
    (
        "profile-layers",
        "profile_svc",
        "segments/rules.py",
        "from profile_svc.segments import service",
        "profile_svc.segments.rules is not allowed to import profile_svc.segments.service",
    ),
    (
        "profile-layers",
        "profile_svc",
        "router.py",
        "from profile_svc import handlers",
        "profile_svc.router is not allowed to import profile_svc.handlers",
    ),
    (
        "profile-layers",
        "profile_svc",
        "handlers.py",
        "from profile_svc import worker",
        "profile_svc.handlers is not allowed to import profile_svc.worker",
    ),
    (
        "profile-layers",
        "profile_svc",
        "risk/models.py",
        "from profile_svc.risk import rules",
        "profile_svc.risk.models is not allowed to import profile_svc.risk.rules",
    ),
    (
        "profile-no-upward-imports",
        "profile_svc",
        "transfers/service.py",
        "from profile_svc.customers import router",
        "profile_svc.transfers.service is not allowed to import profile_svc.customers.router",
    ),
    (
        "profile-below-use-cases",
        "profile_svc",
        "segments/schemas.py",
        "from profile_svc.customers.service import get_customer",
        "profile_svc.segments.schemas is not allowed to import profile_svc.customers.service",
    ),
    (
        "pure-rules",
        "profile_svc",
        "risk/rules.py",
        "import sqlalchemy",
        "profile_svc.risk.rules is not allowed to import sqlalchemy",
    ),
    (
        "pure-rules",
        "profile_svc",
        "crm/rules.py",
        "from sqlmodel import select",
        "profile_svc.crm.rules is not allowed to import sqlmodel",
    ),
    (
        "pure-rules",
        "profile_svc",
        "customers/rules.py",
        "from brokerage_common.outbox import Outbox",
        "profile_svc.customers.rules is not allowed to import brokerage_common.outbox",
    ),
    (
        # Indirect: the table module imports SQLAlchemy, so a rule may not import a table.
        "pure-rules",
        "profile_svc",
        "segments/rules.py",
        "from profile_svc.segments.models import CustomerSegment",
        "profile_svc.segments.rules is not allowed to import sqlalchemy",
    ),
    (
        "tables-off-the-bus",
        "profile_svc",
        "crm/models.py",
        "import aiokafka",
        "profile_svc.crm.models is not allowed to import aiokafka",
    ),
]


@pytest.mark.parametrize(
    ("contract", "package", "module", "probe", "message"),
    PROBES,
    ids=[f"{p[0]}:{p[1]}/{p[2]}" for p in PROBES],
)
def test_an_import_that_breaks_a_contract_fails_lint(
    tmp_path: Path, contract: str, package: str, module: str, probe: str, message: str
) -> None:
    copy = tmp_path / package
    shutil.copytree(PACKAGES[package], copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    assert target.is_file(), f"the probe's module {module} is gone: move the probe with it"
    before = lint_imports(cwd=tmp_path, pythonpath=tmp_path, contract=contract)
    assert before.returncode == 0, before.stdout + before.stderr

    target.write_text(target.read_text() + f"\n{probe}  # the probe\n")
    after = lint_imports(cwd=tmp_path, pythonpath=tmp_path, contract=contract)

    assert after.returncode == 1, after.stdout + after.stderr
    assert " 1 broken" in after.stdout
    # lint-imports wraps its report to the terminal's width.
    assert message in " ".join(after.stdout.split()), after.stdout
