"""Shared by advisory-svc's benchmarks: a PostgreSQL database of its own, filled by COPY."""

from __future__ import annotations

import os
import random
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from advisory_svc.models import metadata
from brokerage_common import Database

PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
TIERS = ["standard"] * 55 + ["silver"] * 25 + ["gold"] * 15 + ["platinum"] * 5
LEVELS = ["C1"] * 10 + ["C2"] * 20 + ["C3"] * 35 + ["C4"] * 20 + ["C5"] * 10 + [None] * 5


async def create_db(purpose: str) -> tuple[str, str]:
    """A fresh database named after the branch (advisory) and the purpose; (name, URL)."""
    name = f"bench_advisory_{purpose}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = f"postgresql+asyncpg://{PG.removeprefix('postgresql://')}/{name}"
    db = Database(url)
    await db.create_all(metadata)
    await db.dispose()
    return name, url


async def drop_db(name: str) -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def customer_id(i: int) -> str:
    return f"C{i:07d}"


async def load(name: str, customers: int, *, branches: int = 20, seed: int = 13) -> dict[str, int]:
    """Customers with tiers, C-levels (some expired, some missing), 2 % professional; a third
    subscribed to SMS1, one in twenty to a bundle; two in five with an active agreement."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    facts, subs, agreements = [], [], []
    for i in range(1, customers + 1):
        cid = customer_id(i)
        tier = rng.choice(TIERS)
        level = rng.choice(LEVELS)
        valid = date(2025, 6, 30) if rng.random() < 0.05 else date(2028, 6, 30)
        facts.append(
            (
                cid,
                True,
                f"B{1 + i % branches:03d}",
                tier,
                level,
                date(2026, 6, 1) if level else None,
                valid if level else None,
                "professional" if rng.random() < 0.02 else "ordinary",
                Decimal(rng.randint(2, 20)) / Decimal(10000),
                date(2026, 1, 1),
                now,
            )
        )
        if rng.random() < 0.33:
            subs.append(
                (
                    uuid.uuid4().hex,
                    cid,
                    "SMS1",
                    "cash",
                    "active",
                    date(2026, 11, 1),
                    date(2027, 1, 31),
                    3,
                    Decimal("30.00"),
                    True,
                    now,
                )
            )
        if tier in ("gold", "platinum") and rng.random() < 0.33:
            subs.append(
                (
                    uuid.uuid4().hex,
                    cid,
                    rng.choice("ABCE"),
                    "cash",
                    "active",
                    date(2026, 11, 1),
                    date(2026, 12, 31),
                    2,
                    Decimal("0.00"),
                    True,
                    now,
                )
            )
        if rng.random() < 0.4:
            agreements.append(
                (
                    uuid.uuid4().hex,
                    f"TG-{i:09d}",
                    cid,
                    f"B{1 + i % branches:03d}",
                    "RD-2026-01",
                    Decimal("0.00"),
                    date(2026, 10, 1),
                    date(2026, 10, 13),
                    date(2026, 10, 14),
                    "S001",
                    now,
                )
            )
    conn = await asyncpg.connect(f"{PG}/{name}")
    try:
        await conn.copy_records_to_table(
            "customer_fact",
            records=facts,
            columns=[
                "customer_id",
                "registered",
                "branch_id",
                "tier",
                "risk_level",
                "risk_assessed_on",
                "risk_valid_until",
                "investor_category",
                "base_rate",
                "rate_effective_from",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table(
            "subscription",
            records=subs,
            columns=[
                "subscription_id",
                "customer_id",
                "product_code",
                "payment",
                "status",
                "starts_on",
                "ends_on",
                "term_months",
                "cash_paid",
                "renewable",
                "created_at",
            ],
        )
        await conn.copy_records_to_table(
            "advisory_agreement",
            records=agreements,
            columns=[
                "agreement_id",
                "agreement_no",
                "customer_id",
                "branch_id",
                "risk_disclosure_version",
                "fee_paid",
                "signed_on",
                "cooling_off_ends_on",
                "advice_from",
                "signed_by",
                "created_at",
            ],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return {"customers": len(facts), "subscriptions": len(subs), "agreements": len(agreements)}
