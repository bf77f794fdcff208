"""GET /v1/routing (api.md, call center): the fast path, its answers, its independence of the DB."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from datetime import date

import jwt
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from brokerage_common import events as ev
from brokerage_common import new_envelope

UNKNOWN = {
    "customer_id": None,
    "tier": None,
    "queue": "general",
    "priority": False,
    "group_id": None,
}
# api.md: silver and platinum have priority; gold and platinum the dedicated line.
EXPECTED = {
    "C500001": ("13900000001", "standard", "general", False),
    "C500002": ("13900000002", "silver", "general", True),
    "C500003": ("13900000003", "gold", "dedicated", False),
    "C500004": ("13900000004", "platinum", "dedicated", True),
}
ASSETS = {"standard": "0.00", "silver": "100000.00", "gold": "500000.00", "platinum": "2000000.00"}


@pytest.fixture
async def callers(tiering):
    for cid, (phone, tier, _, _) in EXPECTED.items():
        await tiering.register(cid, phone=phone)
        await tiering.snapshot(cid, ASSETS[tier])
    return EXPECTED


@asynccontextmanager
async def running(app):
    """Run the app's own startup and shutdown (ASGITransport does not)."""
    async with app.router.lifespan_context(app):
        yield


@pytest.fixture
def call_center(auth):
    return auth("service", sub="call-center", scopes=["routing:read"])


async def test_tiering_routing_by_phone_and_by_customer_id_for_each_tier(
    app, client, callers, call_center
):
    async with running(app):
        for cid, (phone, tier, queue, priority) in callers.items():
            expected = {
                "customer_id": cid,
                "tier": tier,
                "queue": queue,
                "priority": priority,
                "group_id": None,  # no group assigned to anyone here
            }
            for params in ({"phone": phone}, {"customer_id": cid}):
                r = await client.get("/v1/routing", params=params, headers=call_center)
                assert r.status_code == 200, r.text
                assert r.headers["content-type"].startswith("application/json")
                # Its length given, so the server need not frame the body in chunks.
                assert r.headers["content-length"] == str(len(r.content))
                assert r.json() == expected, params


async def test_tiering_routing_unknown_caller_gets_the_general_queue(
    app, client, callers, call_center
):
    async with running(app):
        for params in ({"phone": "13712345678"}, {"customer_id": "C599999"}):
            r = await client.get("/v1/routing", params=params, headers=call_center)
            assert r.status_code == 200
            assert r.json() == UNKNOWN


async def test_tiering_routing_normalises_the_country_prefix(app, client, callers, call_center):
    gold = {
        "customer_id": "C500003",
        "tier": "gold",
        "queue": "dedicated",
        "priority": False,
        "group_id": None,
    }
    async with running(app):
        for phone in ("+8613900000003", "8613900000003", "13900000003"):
            r = await client.get("/v1/routing", params={"phone": phone}, headers=call_center)
            assert r.json() == gold, phone


async def test_tiering_routing_needs_a_service_token_with_routing_read(app, client, auth, callers):
    params = {"phone": "13900000004"}
    async with running(app):
        assert (await client.get("/v1/routing", params=params)).status_code == 401
        for bad in ("Bearer not-a-jwt", "Bearer ", "Basic abc"):
            r = await client.get("/v1/routing", params=params, headers={"Authorization": bad})
            assert r.status_code == 401, bad
            assert "detail" in r.json()
        for caller in (
            auth("service", scopes=["tiering:read"]),
            auth("service"),
            auth("customer", sub="C500004"),
            auth("staff", scopes=["routing:read"]),
        ):
            r = await client.get("/v1/routing", params=params, headers=caller)
            assert r.status_code == 403
            assert "detail" in r.json()


async def test_tiering_routing_bad_query_is_422(app, client, callers, call_center):
    async with running(app):
        for query in (
            "",  # neither
            "phone=13900000001&customer_id=C500001",  # both
            "phone=",
            "phone=139-0000-0001",
            "phone=13900000001&phone=13900000002",
            "customer_id=" + "C" * 40,
        ):
            r = await client.get(f"/v1/routing?{query}", headers=call_center)
            assert r.status_code == 422, query
            assert "detail" in r.json()


async def test_tiering_routing_keeps_answering_when_the_database_is_gone(
    app, client, callers, call_center
):
    async with running(app):
        db = app.state.db
        await db.dispose()
        # From now on every use of the app's database fails at once.
        db.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/gone")
        db.sessionmaker = async_sessionmaker(db.engine)
        assert await db.ping() is False

        for cid, (phone, tier, queue, priority) in callers.items():
            r = await client.get("/v1/routing", params={"phone": phone}, headers=call_center)
            assert r.status_code == 200
            assert r.json() == {
                "customer_id": cid,
                "tier": tier,
                "queue": queue,
                "priority": priority,
                "group_id": None,
            }
        r = await client.get("/v1/routing", params={"phone": "13712345678"}, headers=call_center)
        assert r.json() == UNKNOWN


async def test_tiering_routing_starts_answering_unknown_when_the_database_is_down(
    app, client, call_center
):
    db = app.state.db
    await db.dispose()
    db.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/gone")
    db.sessionmaker = async_sessionmaker(db.engine)
    async with running(app):
        r = await client.get("/v1/routing", params={"phone": "13900000001"}, headers=call_center)
    assert (r.status_code, r.json()) == (200, UNKNOWN)


async def test_tiering_routing_token_is_not_trusted_past_its_expiry(
    app, client, make_token, callers
):
    token = make_token("service", scopes=["routing:read"], ttl_s=2)
    headers = {"Authorization": f"Bearer {token}"}
    params = {"customer_id": "C500001"}
    async with running(app):
        assert (await client.get("/v1/routing", params=params, headers=headers)).status_code == 200
        exp = jwt.decode(token, options={"verify_signature": False})["exp"]
        await asyncio.sleep(max(0.0, exp - time.time()) + 0.05)
        assert (await client.get("/v1/routing", params=params, headers=headers)).status_code == 401


async def test_tiering_routing_names_the_group_of_gold_and_platinum_callers(
    app, client, tiering, callers, call_center
):
    for cid in callers:  # every tier gets a group; only gold and platinum answer it
        env = new_envelope(
            ev.CustomerAssigned(
                customer_id=cid,
                group_id=f"G-{cid}",
                branch_id="B001",
                month="2026-12",
                effective_on=date(2026, 12, 1),
            ),
            source="ops-assessment-svc",
        )
        await tiering.handle(tiering.handlers[ev.CustomerAssigned.TYPE], env)
    groups = {"standard": None, "silver": None, "gold": "G-C500003", "platinum": "G-C500004"}
    async with running(app):
        for cid, (phone, tier, queue, priority) in callers.items():
            for params in ({"phone": phone}, {"customer_id": cid}):
                r = await client.get("/v1/routing", params=params, headers=call_center)
                assert r.json() == {
                    "customer_id": cid,
                    "tier": tier,
                    "queue": queue,
                    "priority": priority,
                    "group_id": groups[tier],
                }, params
                assert r.headers["content-length"] == str(len(r.content))
    document = app.openapi()["components"]["schemas"]["RoutingRead"]
    assert "group_id" in document["required"]
    assert "group_id" in document["properties"]


async def test_tiering_routing_counts_and_times_each_answer_on_metrics(
    app, client, callers, call_center
):
    """The fast path answers before the request middleware: it counts its outcomes and
    observes its latency itself (issue 17 item 2), and /metrics shows both."""

    def samples(text: str) -> dict[str, float]:
        return {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("tiering_routing_")
        }

    async with running(app):
        before = samples((await client.get("/metrics")).text)
        assert (
            await client.get("/v1/routing", params={"phone": "13900000003"}, headers=call_center)
        ).status_code == 200
        assert (
            await client.get("/v1/routing", params={"phone": "13900009999"}, headers=call_center)
        ).status_code == 200
        assert (await client.get("/v1/routing", params={"phone": "13900000003"})).status_code == 401
        after = samples((await client.get("/metrics")).text)
    grew = {name: after[name] - before.get(name, 0.0) for name in after}
    assert grew['tiering_routing_lookups_total{outcome="known"}'] == 1
    assert grew['tiering_routing_lookups_total{outcome="unknown"}'] == 1
    assert grew['tiering_routing_lookups_total{outcome="refused"}'] == 1
    assert grew["tiering_routing_request_duration_seconds_count"] == 3
    assert grew['tiering_routing_request_duration_seconds_bucket{le="+Inf"}'] == 3
    # In-process answers take well under the 5 ms target, and the sum is in seconds.
    assert grew['tiering_routing_request_duration_seconds_bucket{le="0.005"}'] == 3
    assert 0 < grew["tiering_routing_request_duration_seconds_sum"] < 0.015
