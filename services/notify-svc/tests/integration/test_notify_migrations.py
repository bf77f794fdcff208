"""The Alembic migrations build exactly the tables the models describe, and 0002 carries the
staff-recorded agreements into the read model of advisory's events (ADR 0010)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from brokerage_common import Database
from brokerage_common.testing import table_names
from notify_svc.models import metadata

INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def _config(database_url: str) -> Config:
    config = Config(str(INI))
    config.cmd_opts = argparse.Namespace(x=[f"url={database_url}"])  # as `alembic -x url=...`
    return config


async def test_upgrade_carries_agreements_over_matches_the_models_and_downgrades(
    database_url: str,
) -> None:
    config = _config(database_url)
    # env.py runs its own event loop: give it a thread of its own.
    await asyncio.to_thread(command.upgrade, config, "0001")
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO advisory_agreement (id, customer_id, signed_on, valid_until,"
                    " revoked_on, recorded_by, created_at) VALUES"
                    " ('AG-1', 'C0001', :s1, NULL, NULL, 'staff:S1', :at),"
                    " ('AG-2', 'C0002', :s2, :v2, :r2, 'staff:S1', :at)"
                ),
                {
                    "s1": date(2026, 3, 2),
                    "s2": date(2025, 5, 6),
                    "v2": date(2026, 5, 5),
                    "r2": date(2025, 9, 1),
                    "at": datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
                },
            )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT agreement_id, customer_id, signed_on, advice_from, valid_until,"
                        " rescinded_on, source FROM agreement ORDER BY agreement_id"
                    )
                )
            ).all()
    finally:
        await db.dispose()
    as_dates = [
        tuple(date.fromisoformat(v) if isinstance(v, str) and v[:2] == "20" else v for v in row)
        for row in rows
    ]
    # advice_from = signed_on (cooling-off long over); a revocation is the rescission.
    assert as_dates == [
        ("AG-1", "C0001", date(2026, 3, 2), date(2026, 3, 2), None, None, "notify"),
        (
            "AG-2",
            "C0002",
            date(2025, 5, 6),
            date(2025, 5, 6),
            date(2026, 5, 5),
            date(2025, 9, 1),
            "notify",
        ),
    ]
    assert await table_names(database_url) == set(metadata.tables) | {"alembic_version"}
    await asyncio.to_thread(command.check, config)  # raises when the models and migrations differ
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await table_names(database_url) == {"alembic_version"}


async def test_0003_gives_an_untouched_transfer_alert_its_owner(database_url: str) -> None:
    config = _config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0002")
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO template (code, version, channel, category, text, active,"
                    " created_by, created_at) VALUES ('TRANSFER_ALERT', 1, 'im', 'staff_alert',"
                    " :text, :on, 'system', :at)"
                ),
                {
                    "text": "【转托管/撤销指定提醒】营业部{branch_id}客户{customer_id}（{name}）"
                    "于{requested_at}申请{kind}（{market}），原因：{reason}。请服务小组立即联系客户。",
                    "on": True,
                    "at": datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
                },
            )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT version, active, text FROM template"
                        " WHERE code = 'TRANSFER_ALERT' ORDER BY version"
                    )
                )
            ).all()
    finally:
        await db.dispose()
    assert [(v, bool(a)) for v, a, _ in rows] == [(1, False), (2, True)]
    assert "负责：{owner}" in rows[1][2]
