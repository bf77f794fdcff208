"""The Alembic migrations build exactly the tables the models describe, on this test's database."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from brokerage_common.testing import table_names
from ops_assessment_svc.models import metadata

INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def _config(database_url: str) -> Config:
    config = Config(str(INI))
    config.cmd_opts = argparse.Namespace(x=[f"url={database_url}"])  # as `alembic -x url=...`
    return config


async def test_upgrade_matches_the_models_and_downgrades(database_url: str) -> None:
    config = _config(database_url)
    # env.py runs its own event loop: give it a thread of its own.
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await table_names(database_url) == set(metadata.tables) | {"alembic_version"}
    await asyncio.to_thread(command.check, config)  # raises when the models and migrations differ
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await table_names(database_url) == {"alembic_version"}
