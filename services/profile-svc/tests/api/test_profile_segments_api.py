"""Segments from settlement events, listed per branch by staff, sorted by assets or contribution."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from profile_svc.config import Settings
from profile_svc.handlers import registry as handler_registry

Auth = Callable[..., dict[str, str]]
Create = Callable[..., Awaitable[dict[str, Any]]]
LAST_DAY = date(2026, 11, 20)
_trade_ids = itertools.count(1)


async def apply_events(db: Database, settings: Settings, events: list[ev.Event]) -> None:
    """Run events through the worker's handlers, in order, in one transaction (no broker)."""
    registry = handler_registry(settings)
    async with db.sessionmaker() as session:
        for _, run in itertools.groupby(events, key=lambda e: e.TYPE):
            envelopes = [new_envelope(e, source="settlement-system") for e in run]
            handler = registry[envelopes[0].type]
            if getattr(handler, "__batch__", False):
                await handler(session, envelopes)
            else:
                for env in envelopes:
                    await handler(session, env)
        await session.commit()


def month_of(customer_id: str, *, assets: str, traded: str, commission: str) -> list[ev.Event]:
    """Thirty daily snapshots of flat assets and one trade: a month of a customer's activity."""
    snapshots: list[ev.Event] = [
        ev.AssetSnapshotTaken(
            customer_id=customer_id,
            as_of=LAST_DAY - timedelta(days=d),
            total_assets=Decimal(assets),
            cash=Decimal(0),
            securities_value=Decimal(assets),
            net_inflow=Decimal(0),
        )
        for d in range(30)
    ]
    trade = ev.TradeSettled(
        customer_id=customer_id,
        trade_id=f"T-{next(_trade_ids)}",
        account_id="A1",
        market="SH",
        security_code="600519",
        side="B",
        quantity=100,
        price=Decimal("1.00"),
        amount=Decimal(traded),
        commission=Decimal(commission),
        trade_date=LAST_DAY - timedelta(days=3),
        settled_on=LAST_DAY - timedelta(days=3),
    )
    return [*snapshots, trade]


@pytest.fixture
async def seeded(create_customer: Create, db: Database, settings: Settings) -> dict[str, str]:
    a = await create_customer(birth_date="1995-11-22")
    b = await create_customer(birth_date="1992-06-01")
    c = await create_customer(birth_date="1960-01-15")
    d = await create_customer(birth_date="1995-11-22", branch_id="B002")
    small = await create_customer(birth_date="1999-01-01")
    await apply_events(
        db,
        settings,
        month_of(a["customer_id"], assets="2000000", traded="2500000", commission="625.00")
        + month_of(b["customer_id"], assets="1500000", traded="300000", commission="75.00")
        + month_of(c["customer_id"], assets="3000000", traded="3600000", commission="100.00")
        + month_of(d["customer_id"], assets="9000000", traded="9000000", commission="900.00")
        + month_of(small["customer_id"], assets="50000", traded="0", commission="0"),
    )
    return {
        "a": a["customer_id"],
        "b": b["customer_id"],
        "c": c["customer_id"],
        "d": d["customer_id"],
        "small": small["customer_id"],
    }


async def test_a_customers_segments(
    client: httpx.AsyncClient, auth: Auth, seeded: dict[str, str]
) -> None:
    got = (await client.get(f"/v1/customers/{seeded['a']}/segments", headers=auth("staff"))).json()
    assert got["value_segment"] == "short_term_large"
    assert (got["asset_size"], got["turnover_class"]) == ("large", "short_term")
    assert got["total_assets"] == "2000000.00"
    assert got["average_assets"] == "2000000.00"
    assert got["traded_amount"] == "2500000.00"
    assert got["turnover"] == "1.2500"
    assert got["contribution"] == "625.00"
    assert got["figures_as_of"] == "2026-11-20"
    assert got["assets_as_of"] == "2026-11-20"
    assert got["window_days"] == 30
    assert (got["age"], got["life_stage"]) == (31, "youth")
    assert "结婚购房" in got["life_stage_focus"]
    small = (
        await client.get(
            f"/v1/customers/{seeded['small']}/segments",
            headers=auth("customer", sub=seeded["small"]),
        )
    ).json()
    assert small["value_segment"] == "static_small"
    assert small["turnover"] == "0.0000"


async def test_staff_list_their_branch_by_assets_or_contribution(
    client: httpx.AsyncClient, auth: Auth, seeded: dict[str, str]
) -> None:
    url = "/v1/segments/short_term_large/customers"
    by_assets = (await client.get(url, headers=auth("staff"))).json()
    assert by_assets["kind"] == "value"
    assert by_assets["branch_id"] == "B001"
    assert by_assets["total"] == 2
    assert [i["customer_id"] for i in by_assets["items"]] == [
        seeded["c"],
        seeded["a"],
    ]  # B002's d is not listed
    assert by_assets["items"][0]["total_assets"] == "3000000.00"
    by_contribution = (
        await client.get(url, params={"sort": "contribution"}, headers=auth("staff"))
    ).json()
    assert [i["customer_id"] for i in by_contribution["items"]] == [seeded["a"], seeded["c"]]
    assert by_contribution["items"][0]["contribution"] == "625.00"
    ascending = (
        await client.get(url, params={"order": "asc", "limit": 1}, headers=auth("staff"))
    ).json()
    assert [i["customer_id"] for i in ascending["items"]] == [seeded["a"]]
    assert ascending["total"] == 2
    page_two = (
        await client.get(url, params={"limit": 1, "offset": 1}, headers=auth("staff"))
    ).json()
    assert [i["customer_id"] for i in page_two["items"]] == [seeded["a"]]
    other_branch = (await client.get(url, headers=auth("staff", branch_id="B002"))).json()
    assert [i["customer_id"] for i in other_branch["items"]] == [seeded["d"]]
    stable = (await client.get("/v1/segments/stable_large/customers", headers=auth("staff"))).json()
    assert [i["customer_id"] for i in stable["items"]] == [seeded["b"]]


async def test_life_stage_and_family_life_cycle_are_segments_too(
    client: httpx.AsyncClient, auth: Auth, seeded: dict[str, str]
) -> None:
    youth = (await client.get("/v1/segments/youth/customers", headers=auth("staff"))).json()
    assert youth["kind"] == "life_stage"
    assert [i["customer_id"] for i in youth["items"]] == [seeded["a"], seeded["b"], seeded["small"]]
    assert {i["life_stage"] for i in youth["items"]} == {"youth"}
    retired = (await client.get("/v1/segments/retirement/customers", headers=auth("staff"))).json()
    assert [i["customer_id"] for i in retired["items"]] == [seeded["c"]]
    await client.patch(
        f"/v1/customers/{seeded['b']}",
        json={"family_life_cycle": "full_nest_1"},
        headers=auth("staff"),
    )
    nest = (await client.get("/v1/segments/full_nest_1/customers", headers=auth("staff"))).json()
    assert nest["kind"] == "family_life_cycle"
    assert [i["customer_id"] for i in nest["items"]] == [seeded["b"]]


@pytest.mark.parametrize(
    ("segment", "params", "role", "kwargs", "status"),
    [
        ("short_term_large", {}, "customer", {"sub": "C1"}, 403),
        ("short_term_large", {}, "service", {"scopes": ["profile:read"]}, 403),
        ("huge_spenders", {}, "staff", {}, 404),
        ("Short-Term", {}, "staff", {}, 422),
        ("short_term_large", {"sort": "name"}, "staff", {}, 422),
        ("short_term_large", {"order": "up"}, "staff", {}, 422),
        ("short_term_large", {"limit": 0}, "staff", {}, 422),
        ("short_term_large", {"limit": 201}, "staff", {}, 422),
        ("short_term_large", {"offset": -1}, "staff", {}, 422),
    ],
)
async def test_listing_refusals(
    offline_client: httpx.AsyncClient,
    auth: Auth,
    segment: str,
    params: dict[str, Any],
    role: str,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    response = await offline_client.get(
        f"/v1/segments/{segment}/customers", params=params, headers=auth(role, **kwargs)
    )
    assert response.status_code == status


async def test_segments_of_a_customer_follow_access_rules(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    body = await create_customer()
    url = f"/v1/customers/{body['customer_id']}/segments"
    assert (await client.get(url, headers=auth("staff", branch_id="B002"))).status_code == 403
    assert (await client.get(url, headers=auth("customer", sub="C999999"))).status_code == 403
    assert (
        await client.get(url, headers=auth("customer", sub=body["customer_id"]))
    ).status_code == 200
