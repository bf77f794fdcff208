"""Content: advisers publish, the audience is resolved and handed to notify; picks are tracked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from advisory_svc.config import Settings
from advisory_svc.models import Content
from brokerage_common import CST, Database
from brokerage_common import events as ev

Auth = Callable[..., dict[str, str]]
Make = Callable[..., Awaitable[str]]
Events = Callable[..., Awaitable[list[dict[str, Any]]]]
Feed = Callable[..., Awaitable[None]]

PUBLISH_DAY = date(2026, 11, 30)  # Monday, after the cooling-off of agreements signed 11-20
PUBLISH_AT = datetime(2026, 11, 30, 16, 0, tzinfo=CST)
PICK = {
    "kind": "stock_pick",
    "title": "贵州茅台：买入",
    "body": "估值回到合理区间。",
    "risk_level": "R3",
    "security_code": "600519",
    "market": "SH",
    "pick": {
        "recommendation": "buy",
        "fundamental": {"view": "bullish", "text": "业绩稳定增长"},
        "technical": {"view": "bullish", "text": "站上60日均线"},
    },
}


def adviser(auth: Auth, branch_id: str = "B001") -> dict[str, str]:
    return auth("staff", sub=f"ADV-{branch_id}", branch_id=branch_id, staff_roles=["adviser"])


async def _subscriber(
    client: httpx.AsyncClient,
    auth: Auth,
    customer: Make,
    cid: str,
    *,
    agreement: bool = True,
    product: str = "SMS1",
    branch_id: str = "B001",
    **kw: Any,
) -> None:
    await customer(cid, branch_id=branch_id, **kw)
    staff = auth("staff", branch_id=branch_id)
    if agreement:
        assert (
            await client.post(f"/v1/customers/{cid}/agreements", json={}, headers=staff)
        ).status_code == 201
    body: dict[str, Any] = {"product_code": product, "term_months": 3, "mismatch_confirmed": True}
    r = await client.post(f"/v1/customers/{cid}/subscriptions", json=body, headers=staff)
    assert r.status_code == 201, r.text


@pytest.fixture
async def audience(client: httpx.AsyncClient, auth: Auth, customer: Make, clock: Any) -> None:
    """Customers signed and subscribed on 2026-11-20; the clock then moves to 11-30 16:00."""
    await _subscriber(client, auth, customer, "C1", level="C3")  # in
    await _subscriber(
        client, auth, customer, "C2", level="C3", agreement=False, product="SMS2"
    )  # no agreement, no SMS1
    await _subscriber(client, auth, customer, "C3", level="C2")  # R3 content above C2
    await _subscriber(client, auth, customer, "C4", level="C4", branch_id="B002")  # other branch
    await _subscriber(client, auth, customer, "C5", level="C1", professional=True)  # professional
    await customer("C6", level="C5")  # nothing subscribed
    clock.today, clock.now = PUBLISH_DAY, PUBLISH_AT


@pytest.mark.usefixtures("audience")
async def test_a_pick_reaches_entitled_suitable_customers_under_an_agreement(
    client: httpx.AsyncClient, auth: Auth, outbox_events: Events, settings: Settings
) -> None:
    settings.audience_chunk_size = 1
    r = await client.post("/v1/content", json=PICK, headers=adviser(auth))
    assert r.status_code == 201, r.text
    content = r.json()
    assert content["audience_size"] == 2
    published = (await outbox_events("ContentPublished"))[0]
    assert published["_key"] == content["content_id"]
    assert published["_topic"] == "advisory.content"
    assert published["subject"] == content["content_id"]
    assert (published["data"]["advice"], published["data"]["chunk_count"]) == (True, 2)
    chunks = await outbox_events("ContentAudienceResolved")
    assert [c["data"]["chunk_no"] for c in chunks] == [1, 2]
    assert [i for c in chunks for i in c["data"]["customer_ids"]] == ["C1", "C5"]
    # An HQ adviser publishes for every branch.
    r = await client.post("/v1/content", json=PICK, headers=adviser(auth, "HQ"))
    assert r.json()["audience_size"] == 3  # C1, C4, C5


@pytest.mark.usefixtures("audience")
async def test_segment_and_holders_narrow_the_audience(
    client: httpx.AsyncClient, auth: Auth, feed: Feed
) -> None:
    await feed(
        ev.TradeSettled(
            trade_id="T1",
            customer_id="C2",
            account_id="A2",
            market="SH",
            security_code="600519",
            side="B",
            quantity=100,
            price=Decimal("1500"),
            amount=Decimal("150000.00"),
            commission=Decimal("37.50"),
            trade_date=date(2026, 11, 27),
            settled_on=date(2026, 11, 27),
        ),
        ev.TradeSettled(
            trade_id="T2",
            customer_id="C1",
            account_id="A1",
            market="SH",
            security_code="600519",
            side="B",
            quantity=100,
            price=Decimal("1500"),
            amount=Decimal("150000.00"),
            commission=Decimal("37.50"),
            trade_date=date(2026, 11, 27),
            settled_on=date(2026, 11, 27),
        ),
        ev.TradeCancelled(trade_id="T2", customer_id="C1"),
    )
    diagnosis = {
        "kind": "holdings_diagnosis",
        "title": "600519 持股诊断",
        "body": "继续持有。",
        "risk_level": "R1",
        "security_code": "600519",
    }
    r = await client.post("/v1/content", json=diagnosis, headers=adviser(auth))
    assert r.json()["audience_size"] == 1  # C2 holds (SMS2); C1's buy was cancelled
    r = await client.post(
        "/v1/content", json={**PICK, "segment_tiers": ["platinum"]}, headers=adviser(auth)
    )
    assert r.json()["audience_size"] == 0


async def test_a_buy_with_bearish_technicals_is_refused_quoting_the_rule(
    client: httpx.AsyncClient, auth: Auth, db: Database
) -> None:
    bearish = {
        **PICK,
        "pick": {**PICK["pick"], "technical": {"view": "bearish", "text": "跌破年线"}},
    }  # type: ignore[dict-item]
    r = await client.post("/v1/content", json=bearish, headers=adviser(auth))
    assert r.status_code == 422
    assert "千万不可以出现介绍的股票基本面很好、技术面已经走熊的状况" in r.json()["detail"]
    async with db.sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Content))).scalar_one() == 0


@pytest.mark.parametrize(
    "body",
    [
        {**PICK, "body": "详询 13800001234"},
        {**PICK, "body": "客户 11010119951122001X 已买入"},
        {**PICK, "title": "致 13912345678"},
        {**PICK, "pick": None},
        {**PICK, "kind": "gossip"},
        {**PICK, "risk_level": "R9"},
        {
            "kind": "market_outlook",
            "title": "t",
            "body": "b",
            "risk_level": "R3",
            "pick": PICK["pick"],
        },
        {"kind": "holdings_diagnosis", "title": "t", "body": "b", "risk_level": "R1"},
    ],
)
async def test_content_bad_input_is_refused(
    client: httpx.AsyncClient, auth: Auth, db: Database, body: dict[str, Any]
) -> None:
    r = await client.post("/v1/content", json=body, headers=adviser(auth))
    assert r.status_code == 422, r.text
    assert "13800001234" not in r.text
    async with db.sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Content))).scalar_one() == 0


async def test_only_advisers_publish(client: httpx.AsyncClient, auth: Auth) -> None:
    assert (await client.post("/v1/content", json=PICK, headers=auth("staff"))).status_code == 403
    manager = auth("staff", staff_roles=["manager"])
    assert (await client.post("/v1/content", json=PICK, headers=manager)).status_code == 403
    customer = auth("customer", sub="C1", staff_roles=["adviser"])
    assert (await client.post("/v1/content", json=PICK, headers=customer)).status_code == 403


async def test_pick_performance_vs_csi300_and_hit_rate(
    client: httpx.AsyncClient, auth: Auth, feed: Feed, clock: Any
) -> None:
    clock.today, clock.now = PUBLISH_DAY, PUBLISH_AT
    content = (await client.post("/v1/content", json=PICK, headers=adviser(auth))).json()
    closes = {
        # base day 11-30 (published after the close), T+1 = 12-01, T+5 = 12-07
        date(2026, 11, 30): ("1500.00", "4000.00"),
        date(2026, 12, 1): ("1530.00", "4040.00"),
        date(2026, 12, 7): ("1470.00", "3960.00"),
    }
    await feed(
        *[
            ev.ClosingPricePublished(
                security_code=code, market="SH", kind=kind, trade_date=day, close=Decimal(price)
            )
            for day, (stock, index) in closes.items()
            for code, kind, price in (("600519", "stock", stock), ("000300", "index", index))
        ]
    )
    r = await client.get(f"/v1/content/{content['content_id']}/performance", headers=auth("staff"))
    assert r.status_code == 200, r.text
    perf = r.json()
    assert (perf["base_on"], perf["base_close"], perf["index_code"]) == (
        "2026-11-30",
        "1500.0000",
        "000300",
    )
    h = {x["trading_days"]: x for x in perf["horizons"]}
    assert (h[1]["on"], h[1]["pick_return"], h[1]["index_return"], h[1]["excess_return"]) == (
        "2026-12-01",
        "0.0200",
        "0.0100",
        "0.0100",
    )
    assert (h[5]["on"], h[5]["pick_return"], h[5]["index_return"]) == (
        "2026-12-07",
        "-0.0200",
        "-0.0100",
    )
    assert h[20]["on"] == "2026-12-28"
    assert h[20]["pick_return"] is None  # not closed yet
    assert h[60]["on"] is None  # beyond the known trading calendar
    rate = (
        await client.get(
            "/v1/advisers/ADV-B001/hit-rate", params={"horizon": 1}, headers=auth("staff")
        )
    ).json()
    assert (rate["picks"], rate["scored"], rate["hits"], rate["hit_rate"]) == (1, 1, 1, "1.0000")
    rate = (
        await client.get(
            "/v1/advisers/ADV-B001/hit-rate", params={"horizon": 5}, headers=auth("staff")
        )
    ).json()
    assert (rate["scored"], rate["hits"], rate["hit_rate"]) == (1, 0, "0.0000")
    bad = await client.get(
        "/v1/advisers/ADV-B001/hit-rate", params={"horizon": 7}, headers=auth("staff")
    )
    assert bad.status_code == 422
    listed = (await client.get("/v1/content", headers=auth("staff"))).json()
    assert [c["content_id"] for c in listed] == [content["content_id"]]
    assert (await client.get("/v1/content", headers=auth("staff", branch_id="B002"))).json() == []


async def test_staff_of_another_branch_do_not_see_a_branch_pick(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    content = (await client.post("/v1/content", json=PICK, headers=adviser(auth))).json()
    other = auth("staff", branch_id="B002")
    assert (
        await client.get(f"/v1/content/{content['content_id']}", headers=other)
    ).status_code == 404
    r = await client.get(f"/v1/content/{content['content_id']}/performance", headers=other)
    assert r.status_code == 404
    hq = auth("staff", branch_id="HQ")
    assert (
        await client.get(f"/v1/content/{content['content_id']}/performance", headers=hq)
    ).status_code == 200
    assert (await client.get("/v1/content", headers=auth("customer", sub="C1"))).status_code == 403
