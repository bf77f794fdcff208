"""Demo data for make run: a branch, its staff, a few hundred customers, a simulated trading day."""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta

import httpx
import orjson

from brokerage_common import events as ev
from brokerage_common import new_envelope
from brokerage_common.auth import issue_token
from trading_sim import DayConfig, customer_id, customer_phone, generate_day, id_number_for, publish

BRANCH = "B001"
CUSTOMERS = 300
TTL = 12 * 3600
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
# The staff the console's local sign-in offers (staff_roles as api.md); S101 works at another
# branch, so opening a B001 customer as S101 shows the branch check.
STAFF: list[dict[str, object]] = [
    {"staff_id": "S001", "name": "王经理", "branch_id": BRANCH, "staff_roles": ["manager"]},
    {"staff_id": "S002", "name": "李敏", "branch_id": BRANCH, "staff_roles": ["account_manager"]},
    {"staff_id": "S003", "name": "张静", "branch_id": BRANCH, "staff_roles": ["back_office"]},
    {"staff_id": "S004", "name": "陈涛", "branch_id": BRANCH, "staff_roles": ["adviser"]},
    {"staff_id": "S101", "name": "赵磊", "branch_id": "B002", "staff_roles": ["account_manager"]},
]


def tokens(secret: str) -> dict[str, str]:
    return {
        "staff (branch B001)": issue_token(
            secret=secret,
            sub="S001",
            role="staff",
            branch_id=BRANCH,
            scopes=["tiering:config"],
            ttl_s=TTL,
        ),
        # An adviser (咨询人员) of the branch: publishes content at advisory-svc (api.md); the
        # same person as the console's demo adviser S004 陈涛.
        "adviser (branch B001)": issue_token(
            secret=secret,
            sub="S004",
            role="staff",
            branch_id=BRANCH,
            staff_roles=["adviser"],
            ttl_s=TTL,
        ),
        "customer C000001": issue_token(secret=secret, sub="C000001", role="customer", ttl_s=TTL),
        "call center": issue_token(
            secret=secret, sub="call-center", role="service", scopes=["routing:read"], ttl_s=TTL
        ),
        "operations jobs": issue_token(
            secret=secret,
            sub="ops",
            role="service",
            scopes=["tiering:jobs", "tiering:read", "notify:campaigns"],
            ttl_s=TTL,
        ),
    }


def customers(n: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    out = []
    for i in range(1, n + 1):
        birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 52))
        out.append(
            {
                "customer_id": customer_id(i),
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "phone": customer_phone(i),
                "id_number": id_number_for(i, birth),
                "birth_date": birth.isoformat(),
                # The ID number's 17th digit is odd for men (GB 11643); id_number_for puts i there.
                "gender": "male" if i % 2 else "female",
                "branch_id": BRANCH,
                "opened_on": (date(2010, 1, 1) + timedelta(days=rng.randint(0, 5400))).isoformat(),
                "onsite": rng.random() < 0.3,
                "referrer_id": customer_id(rng.randint(1, i - 1))
                if i > 10 and rng.random() < 0.1
                else None,
            }
        )
    return out


async def _register_via_profile(port: int, staff_token: str, rows: list[dict[str, object]]) -> int:
    created = 0
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        timeout=10,
        headers={"Authorization": f"Bearer {staff_token}"},
    ) as client:
        for row in rows:
            body = {k: v for k, v in row.items() if v is not None}
            resp = await client.post("/v1/customers", json=body)
            if resp.status_code in (201, 409):
                created += resp.status_code == 201
            else:
                print(f"  customer {row['customer_id']}: {resp.status_code} {resp.text[:200]}")
    return created


def _registered_events(rows: list[dict[str, object]]) -> list[tuple[str, str, bytes]]:
    out = []
    for row in rows:
        birth = date.fromisoformat(str(row["birth_date"]))
        data = ev.CustomerRegistered(
            customer_id=str(row["customer_id"]),
            name=str(row["name"]),
            phone=str(row["phone"]),
            branch_id=BRANCH,
            opened_on=date.fromisoformat(str(row["opened_on"])),
            birth_month_day=f"{birth:%m-%d}",
            onsite=bool(row["onsite"]),
            referrer_id=row["referrer_id"],  # type: ignore[arg-type]
        )
        env = new_envelope(data, source="demo-data")
        out.append((data.TOPIC.name, data.customer_id, orjson.dumps(env.model_dump(mode="json"))))
    return out


def load_demo(
    *, services: dict[str, tuple[int, int, str]], bootstrap: str, secret: str
) -> dict[str, str]:
    toks = tokens(secret)
    rows = customers(CUSTOMERS)

    async def go() -> None:
        if "profile-svc" in services:
            n = await _register_via_profile(
                services["profile-svc"][0], toks["staff (branch B001)"], rows
            )
            print(f"demo     {n} customers registered through profile-svc (branch {BRANCH})")
        else:
            await publish(_registered_events(rows), bootstrap)
            print(f"demo     {len(rows)} CustomerRegistered events published")
        sent = await publish(generate_day(DayConfig(customers=CUSTOMERS, market=True)), bootstrap)
        print(f"demo     simulated trading day: {sent} settlement events published")

    asyncio.run(go())
    return toks
