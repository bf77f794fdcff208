"""Every service's OpenAPI document fuzzed against the running app: no 5xx, schema-true answers."""

from __future__ import annotations

import asyncio
import importlib
import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, checks

from brokerage_common import Database
from brokerage_common.auth import issue_token
from brokerage_common.settings import DEV_JWT_SECRET

# service package -> how to build its app for fuzzing
SERVICES = ["tiering_svc", "profile_svc", "advisory_svc", "notify_svc", "ops_assessment_svc"]
MAX_EXAMPLES = 25


def _build(package: str, tmp: Path) -> Any:
    try:
        main = importlib.import_module(f"{package}.main")
        config = importlib.import_module(f"{package}.config")
        models = importlib.import_module(f"{package}.models")
    except ImportError:
        pytest.skip(f"{package} is not installed")
    url = f"sqlite+aiosqlite:///{tmp / package}.db"
    db = Database(url)
    asyncio.run(db.create_all(models.metadata))
    asyncio.run(db.dispose())
    cfg = config.Settings(
        database_url=url, kafka_bootstrap_servers="127.0.0.1:1", environment="test"
    )
    kwargs = {"follow_events": False} if package == "tiering_svc" else {}
    try:
        return main.create_app(cfg, **kwargs)
    except TypeError:
        return main.create_app(cfg)


TOKENS = {
    "staff": issue_token(
        secret=DEV_JWT_SECRET,
        sub="S001",
        role="staff",
        branch_id="B001",
        scopes=["tiering:config"],
        staff_roles=["manager", "adviser"],
    ),
    "service": issue_token(
        secret=DEV_JWT_SECRET,
        sub="svc",
        role="service",
        scopes=["routing:read", "tiering:read", "tiering:jobs", "sms:report", "notify:campaigns"],
    ),
}


def _token_for(path: str) -> str:
    return (
        TOKENS["service"]
        if path.startswith(("/v1/routing", "/v1/jobs", "/v1/sms"))
        else TOKENS["staff"]
    )


# Driven through schemathesis' own API rather than its pytest plugin, which does not
# run under the pytest version pinned here.
@pytest.mark.parametrize("package", SERVICES)
def test_no_server_errors_and_responses_match(package: str, tmp_path: Path) -> None:
    app = _build(package, tmp_path)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # /readyz answers 503 by design here (no broker in this test): that is its meaning, not a fault.
    operations = [
        op for op in (r.ok() for r in schema.get_all_operations()) if op.path != "/readyz"
    ]
    assert operations, "the OpenAPI document lists no operations"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            # CI replays one fixed sample (a submission lands on what was tried here);
            # a developer's run draws new examples each time and may find a new 5xx.
            derandomize=bool(os.environ.get("CI")),
        )
        def check(case: Case) -> None:
            case.headers = {
                **(case.headers or {}),
                "Authorization": f"Bearer {_token_for(case.path)}",
            }
            # Business rules rightly refuse some schema-valid bodies (unknown customer, short
            # balance, inconsistent thresholds): a 4xx there is an answer, not a contract breach.
            case.call_and_validate(excluded_checks=[checks.positive_data_acceptance])

        check()
