"""The Alembic migrations build exactly the tables the models describe."""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config

from advisory_svc.models import metadata
from brokerage_common.testing import table_names

INI = Path(__file__).resolve().parents[2] / "alembic.ini"


async def test_upgrade_builds_the_models_tables_and_downgrade_removes_them(
    database_url: str,
) -> None:
    import asyncio

    config = Config(str(INI))
    config.cmd_opts = argparse.Namespace(x=[f"url={database_url}"])
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await table_names(database_url) - {"alembic_version"} == set(metadata.tables)
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await table_names(database_url) - {"alembic_version"} == set()
