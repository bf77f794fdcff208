"""Alembic wiring shared by every service's migrations/env.py (async engines, both backends)."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from .db import make_engine


def run_migrations(metadata: MetaData, *, default_url: str) -> None:
    """Run this service's migrations online against DATABASE_URL (or the alembic -x url)."""
    config = context.config
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("DATABASE_URL")
        or default_url
    )
    if context.is_offline_mode():
        context.configure(
            url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    _ = config

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = make_engine(url)
        async with engine.connect() as conn:
            await conn.run_sync(do_run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run())
