"""The Alembic migrations build exactly the tables the models describe, on this test's database."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from brokerage_common import make_engine
from profile_svc.models import metadata

INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def _config(database_url: str) -> Config:
    config = Config(str(INI))
    config.cmd_opts = argparse.Namespace(x=[f"url={database_url}"])  # as `alembic -x url=...`
    return config


async def _tables(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_matches_the_models_and_downgrades(database_url: str) -> None:
    config = _config(database_url)
    # env.py runs its own event loop: give it a thread of its own.
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await _tables(database_url) == set(metadata.tables) | {"alembic_version"}
    await asyncio.to_thread(command.check, config)  # raises when the models and migrations differ
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await _tables(database_url) == {"alembic_version"}
