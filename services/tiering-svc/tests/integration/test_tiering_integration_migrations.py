"""The Alembic migrations build exactly the tables the models describe, and 0002 carries the
balances and monthly commissions of 0001's tables into customer_month and back."""

from __future__ import annotations

import argparse
import asyncio
from decimal import Decimal
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from brokerage_common import make_engine, today_cst
from brokerage_common.testing import table_names
from tiering_svc.models import metadata

INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def _config(database_url: str) -> Config:
    config = Config(str(INI))
    config.cmd_opts = argparse.Namespace(x=[f"url={database_url}"])  # as `alembic -x url=...`
    return config


async def _run(database_url: str, *statements: str) -> list[tuple[object, ...]]:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            rows: list[tuple[object, ...]] = []
            for sql in statements:
                result = await conn.execute(text(sql))
                if result.returns_rows:
                    rows = [tuple(r) for r in result]
            return rows
    finally:
        await engine.dispose()


def _fen(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _money(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """NUMERIC read back as Decimal to the fen (SQLite hands back floats)."""
    return [
        tuple(
            Decimal(str(v)).quantize(Decimal("0.01")) if isinstance(v, float | Decimal) else v
            for v in r
        )
        for r in rows
    ]


async def test_upgrade_matches_the_models_and_carries_balances_and_commissions(
    database_url: str,
) -> None:
    config = _config(database_url)
    # env.py runs its own event loop: give it a thread of its own.
    await asyncio.to_thread(command.upgrade, config, "0001")
    await _run(
        database_url,
        "INSERT INTO points_balance (customer_id, balance) VALUES ('C1', 470.25), ('C2', 0.10)",
        "INSERT INTO monthly_commission (customer_id, month, commission) "
        "VALUES ('C1', '2026-09', 1200.50), ('C1', '2026-10', 99.99), ('C3', '2026-10', 5.00)",
    )
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await table_names(database_url) == set(metadata.tables) | {"alembic_version"}
    await asyncio.to_thread(command.check, config)  # raises when the models and migrations differ

    month = f"{today_cst():%Y-%m}"
    rows = _money(
        await _run(
            database_url,
            "SELECT customer_id, month, commission, points FROM customer_month "
            "ORDER BY customer_id, month",
        )
    )
    # (the months of the rows written above are past: the current one is a row of its own)
    assert rows == [
        ("C1", "2026-09", Decimal("1200.50"), Decimal("0.00")),
        ("C1", "2026-10", Decimal("99.99"), Decimal("0.00")),
        ("C1", month, Decimal("0.00"), Decimal("470.25")),
        ("C2", month, Decimal("0.00"), Decimal("0.10")),
        ("C3", "2026-10", Decimal("5.00"), Decimal("0.00")),
    ]

    await asyncio.to_thread(command.downgrade, config, "0001")
    balances = _money(
        await _run(database_url, "SELECT customer_id, balance FROM points_balance ORDER BY 1")
    )
    assert balances == [("C1", Decimal("470.25")), ("C2", Decimal("0.10")), ("C3", Decimal("0.00"))]
    commissions = _money(
        await _run(
            database_url,
            "SELECT customer_id, month, commission FROM monthly_commission ORDER BY 1, 2",
        )
    )
    assert commissions == [
        ("C1", "2026-09", Decimal("1200.50")),
        ("C1", "2026-10", Decimal("99.99")),
        ("C3", "2026-10", Decimal("5.00")),
    ]
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await table_names(database_url) == {"alembic_version"}
