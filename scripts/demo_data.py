"""Demo data for make run: a branch, its staff and service groups, a few hundred customers, a
simulated trading day, last month's figures and group ranking, a retention case, complaints."""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import orjson

from brokerage_common import CST, new_envelope, today_cst
from brokerage_common import events as ev
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
        "branch manager (B001)": issue_token(
            secret=secret,
            sub="S001",
            role="staff",
            branch_id=BRANCH,
            staff_roles=["manager"],
            ttl_s=TTL,
        ),
        "group member (S002, group G1)": issue_token(
            secret=secret,
            sub="S002",
            role="staff",
            branch_id=BRANCH,
            staff_roles=["account_manager"],
            ttl_s=TTL,
        ),
        "headquarters manager": issue_token(
            secret=secret,
            sub="H001",
            role="staff",
            branch_id="HQ",
            staff_roles=["manager"],
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


# ops-assessment-svc: a roster of three service groups (2–3 staff, one back office each).
# G1 is the console's demo staff (STAFF above): sign in as S002 to see the group's side.
ROSTER = [
    ("S002", "account_manager", "G1"),
    ("S003", "back_office", "G1"),
    ("S004", "adviser", "G1"),
    ("S104", "sales", "G2"),
    ("S105", "back_office", "G2"),
    ("S106", "account_manager", "G3"),
    ("S107", "back_office", "G3"),
]


NAMES = {str(s["staff_id"]): str(s["name"]) for s in STAFF}


def _last_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _month_of_events(rows: list[dict[str, object]], today: date) -> list[tuple[str, str, bytes]]:
    """Last month's end-of-day snapshots (weekdays) and a few trades per customer."""
    rng = random.Random(11)
    first, last = _last_month(today)
    out: list[tuple[str, str, bytes]] = []
    for n, row in enumerate(rows, start=1):
        cid = str(row["customer_id"])
        assets = Decimal(rng.randint(50, 3000) * 1000)
        drift = Decimal(str(rng.uniform(-0.004, 0.008)))
        day = first
        while day <= last:
            if day.weekday() < 5:
                inflow = Decimal(rng.choice([0, 0, 0, 0, 5000, 20000, -3000]))
                assets = (assets * (1 + drift) + inflow).quantize(Decimal("0.01"))
                events: list[ev.Event] = [
                    ev.AssetSnapshotTaken(
                        customer_id=cid,
                        as_of=day,
                        total_assets=assets,
                        cash=Decimal(0),
                        securities_value=assets,
                        net_inflow=inflow,
                    )
                ]
                if rng.random() < 0.3:
                    amount = (assets * Decimal(str(rng.uniform(0.05, 0.4)))).quantize(
                        Decimal("0.01")
                    )
                    events.append(
                        ev.TradeSettled(
                            customer_id=cid,
                            trade_id=f"DEMO-{day:%Y%m%d}-{n:06d}",
                            account_id=f"A{n:07d}",
                            market="SH",
                            security_code="600519",
                            side=rng.choice(["B", "S"]),  # type: ignore[arg-type]
                            quantity=100,
                            price=Decimal("1520.00"),
                            amount=amount,
                            commission=(amount * Decimal("0.00025")).quantize(Decimal("0.01")),
                            trade_date=day,
                            settled_on=day,
                        )
                    )
                for e in events:
                    env = new_envelope(e, source="demo-data")
                    out.append((e.TOPIC.name, cid, orjson.dumps(env.model_dump(mode="json"))))
            day += timedelta(days=1)
    return out


async def _ops_demo(
    port: int, toks: dict[str, str], rows: list[dict[str, object]], bootstrap: str
) -> None:
    """Groups, last month's assignment and figures and ranking, a retention case, complaints."""
    today = today_cst()
    first, _last = _last_month(today)
    month = f"{first:%Y-%m}"
    manager = {"Authorization": f"Bearer {toks['branch manager (B001)']}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for staff_id, role, _group in ROSTER:
            await client.put(
                f"/v1/staff/{staff_id}",
                json={"name": NAMES.get(staff_id, staff_id), "role": role},
                headers=manager,
            )
        formed = (first - timedelta(days=200)).replace(day=1)
        for group_id in ("G1", "G2", "G3"):
            members = [s for s, _r, g in ROSTER if g == group_id]
            body = {
                "group_id": group_id,
                "name": f"服务小组 {group_id}",
                "members": members,
                "formed_on": formed.isoformat(),
            }
            resp = await client.post("/v1/groups", json=body, headers=manager)
            if resp.status_code not in (201, 409):
                print(f"ops      group {group_id}: {resp.status_code} {resp.text[:200]}")
        # The worker learns the customers from profile's events: wait until it knows them.
        moved = 0
        for _ in range(60):
            resp = await client.post(
                "/v1/assignments", json={"on": first.isoformat()}, headers=manager
            )
            moved += len(resp.json().get("moves", {})) if resp.status_code == 200 else 0
            if moved >= len(rows) * 9 // 10:
                break
            await asyncio.sleep(1)
        print(f"ops      {moved} customers assigned to groups G1–G3 for {month}")
        sent = await publish(_month_of_events(rows, today), bootstrap)
        print(f"ops      {sent} snapshots and trades of {month} published")
        for _ in range(90):
            resp = await client.get(f"/v1/groups/G1/customers?month={month}", headers=manager)
            if resp.status_code == 200 and sum(r["end_assets"] != "0.00" for r in resp.json()) > 10:
                break
            await asyncio.sleep(1)
        await asyncio.sleep(3)  # the last batches
        resp = await client.post(f"/v1/assessments/{month}", headers=manager)
        ranks = [(g["group_id"], g["rank"], g.get("mark")) for g in resp.json().get("groups", [])]
        print(f"ops      {month} assessed: {ranks}")
        transfer = ev.CustomerTransferRequested(
            customer_id=str(rows[1]["customer_id"]),
            request_id=f"R{today:%Y%m%d}-0001",
            kind="custody_transfer",
            market="SZ",
            reason="friend works at another broker",
            requested_at=datetime.now(CST),
        )
        env = new_envelope(transfer, source="branch-counter")
        await publish(
            [
                (
                    transfer.TOPIC.name,
                    transfer.customer_id,
                    orjson.dumps(env.model_dump(mode="json")),
                )
            ],
            bootstrap,
        )
        for received, category in (
            (today - timedelta(days=14), "business_error"),
            (today, "staff_attitude"),
        ):
            await client.post(
                "/v1/complaints",
                json={
                    "customer_id": str(rows[2]["customer_id"]),
                    "category": category,
                    "description": "演示投诉",
                    "received_on": received.isoformat(),
                },
                headers=manager,
            )
        print("ops      a transfer request (retention case) and two complaints (one overdue)")


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
        if "ops-assessment-svc" in services:
            await _ops_demo(services["ops-assessment-svc"][0], toks, rows, bootstrap)

    asyncio.run(go())
    return toks
