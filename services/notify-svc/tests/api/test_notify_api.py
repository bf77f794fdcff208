"""The notify-svc HTTP API through an ASGI client: tokens (401), rights (403), bad input (422)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta

import httpx
import pytest
import pytest_asyncio
from notify_testkit import (
    FakeClock,
    add_customer,
    messages,
    phone_of,
    service_token,
    sign_agreement,
)

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.config import Settings
from notify_svc.handlers import Handlers
from notify_svc.main import create_app
from notify_svc.reminders.calendar import (
    check_announced_closures,
    library_closures,
    trading_day_before,
)

Token = Callable[..., str]


@pytest_asyncio.fixture
async def client(
    settings: Settings, db: Database, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as c:
        yield c
    await app.state.db.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff(make_token: Token) -> dict[str, str]:
    return bearer(make_token("staff", sub="S001", branch_id="B001"))


@pytest.fixture
def template_staff(make_token: Token) -> dict[str, str]:
    return bearer(make_token("staff", sub="S002", branch_id="B001", scopes=["notify:templates"]))


@pytest.fixture
def provider() -> dict[str, str]:
    return bearer(service_token("sms:report", sub="sms-gateway"))


ROUTES = [
    ("POST", "/v1/sms/delivery-reports"),
    ("POST", "/v1/sms/replies"),
    ("GET", "/v1/templates"),
    ("POST", "/v1/templates"),
    ("POST", "/v1/customers/C0001/advisory-agreements"),
    ("GET", "/v1/customers/C0001/advisory-agreements"),
    ("POST", "/v1/campaigns"),
    ("GET", "/v1/campaigns/x"),
    ("POST", "/v1/reminders"),
    ("GET", "/v1/messages/x"),
    ("GET", "/v1/customers/C0001/messages"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_v1_route_needs_a_valid_token(
    client: httpx.AsyncClient, make_token: Token, method: str, path: str
) -> None:
    assert (await client.request(method, path, json=[])).status_code == 401
    forged = make_token("staff", branch_id="B001", secret="not-the-secret-0123456789abcdef0123")
    r = await client.request(method, path, json=[], headers=bearer(forged))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


async def test_provider_callbacks_need_a_service_token_with_the_sms_report_scope(
    client: httpx.AsyncClient, staff: dict[str, str], provider: dict[str, str]
) -> None:
    report = [{"phone_number": "13900000001", "success": True, "out_id": "o1"}]
    for headers in (staff, bearer(service_token("notify:campaigns"))):
        r = await client.post("/v1/sms/delivery-reports", json=report, headers=headers)
        assert r.status_code == 403
    r = await client.post("/v1/sms/delivery-reports", json=report, headers=provider)
    assert (r.status_code, r.json()) == (200, {"code": 0})
    r = await client.post(
        "/v1/sms/replies", json=[{"phone_number": "13900000001", "content": "T"}], headers=provider
    )
    assert (r.status_code, r.json()) == (200, {"code": 0})


async def test_a_full_callback_of_500_reports_is_answered_well_within_700_ms(
    client: httpx.AsyncClient, provider: dict[str, str]
) -> None:
    reports = [
        {
            "phone_number": phone_of(i),
            "send_time": "2026-11-20 15:31:07",
            "report_time": "2026-11-20 15:31:09",
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": "1",
            "biz_id": "900619746936498440^0",
            "out_id": f"o{i}",
        }
        for i in range(500)
    ]
    await client.post("/v1/sms/delivery-reports", json=reports[:1], headers=provider)  # warm up
    started = time.perf_counter()
    r = await client.post("/v1/sms/delivery-reports", json=reports, headers=provider)
    assert r.json() == {"code": 0}
    assert time.perf_counter() - started < 0.7


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/sms/delivery-reports", {"not": "a list"}),
        ("/v1/sms/delivery-reports", [{"phone_number": "1", "success": "maybe", "out_id": "x"}]),
        ("/v1/sms/replies", [{"content": "T"}]),
    ],
)
async def test_malformed_callbacks_are_422(
    client: httpx.AsyncClient, provider: dict[str, str], path: str, body: object
) -> None:
    assert (await client.post(path, json=body, headers=provider)).status_code == 422


async def test_templates_are_versioned_by_staff_holding_the_templates_scope(
    client: httpx.AsyncClient, staff: dict[str, str], template_staff: dict[str, str]
) -> None:
    body = {
        "code": "SEMINAR_INVITE",
        "channel": "sms",
        "category": "marketing",
        "text": "诚邀您{date}参加策略会，地点{place}",
        "provider_template_code": "SMS_SEMINAR_2",
    }
    assert (await client.post("/v1/templates", json=body, headers=staff)).status_code == 403
    r = await client.post("/v1/templates", json=body, headers=template_staff)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["version"] == 2
    assert created["text"].endswith("回T退订")  # the mandatory opt-out text is added
    assert created["created_by"] == "staff:S002"
    r = await client.get("/v1/templates", params={"code": "SEMINAR_INVITE"}, headers=staff)
    assert [(t["version"], t["active"]) for t in r.json()] == [(1, False), (2, True)]

    bad = [
        {**body, "text": "{unclosed"},
        {**body, "code": "lower_case"},
        {**body, "provider_template_code": None},  # an SMS template needs the provider's code
        {**body, "channel": "fax"},
        {**body, "extra": 1},
    ]
    for b in bad:
        r = await client.post("/v1/templates", json=b, headers=template_staff)
        assert r.status_code == 422, b


async def test_campaigns_reach_only_the_own_branch_and_report_progress(
    client: httpx.AsyncClient,
    db: Database,
    staff: dict[str, str],
    make_token: Token,
) -> None:
    for i in range(1, 4):
        await add_customer(db, f"C{i:04d}")
    seminar = {"template_code": "SEMINAR_INVITE", "params": {"date": "周六", "place": "营业部"}}
    r = await client.post(
        "/v1/campaigns", json={**seminar, "segment": {"branch_id": "B002"}}, headers=staff
    )
    assert r.status_code == 403
    customer = bearer(make_token("customer", sub="C0001"))
    r = await client.post(
        "/v1/campaigns", json={**seminar, "customer_ids": ["C0001"]}, headers=customer
    )
    assert r.status_code == 403
    r = await client.post(
        "/v1/campaigns", json={**seminar, "segment": {"branch_id": "B001"}}, headers=staff
    )
    assert r.status_code == 202, r.text
    campaign = r.json()
    assert (campaign["state"], campaign["kind"], campaign["branch_id"]) == (
        "planned",
        "branch",
        "B001",
    )
    r = await client.get(f"/v1/campaigns/{campaign['id']}", headers=staff)
    assert r.status_code == 200
    other = bearer(make_token("staff", sub="S9", branch_id="B009"))
    assert (await client.get(f"/v1/campaigns/{campaign['id']}", headers=other)).status_code == 403
    assert (await client.get("/v1/campaigns/nope", headers=staff)).status_code == 403  # as B009's

    invalid = [
        {**seminar},  # no audience
        {**seminar, "customer_ids": ["C0001"], "segment": {"branch_id": "B001"}},
        {**seminar, "customer_ids": []},
        {**seminar, "customer_ids": ["C0001"], "send_at": "2026-11-21T08:00:00"},  # no offset
        {"template_code": "SEMINAR_INVITE", "customer_ids": ["C0001"]},  # parameters missing
        {
            "template_code": "TIER_UP",
            "customer_ids": ["C0001"],
            "params": {"tier": "x", "benefits": "y"},
        },
    ]
    for body in invalid:
        r = await client.post("/v1/campaigns", json=body, headers=staff)
        assert r.status_code == 422, (body, r.text)
    r = await client.post(
        "/v1/campaigns", json={"template_code": "NO_SUCH", "customer_ids": ["C0001"]}, headers=staff
    )
    assert r.status_code == 404


async def test_agreements_are_read_from_advisory_and_no_longer_recorded_here(
    client: httpx.AsyncClient, db: Database, staff: dict[str, str], make_token: Token
) -> None:
    """ADR 0010: advisory-svc signs agreements; notify's recording route is gone (410, nothing
    stored) and its list shows what advisory's events said."""
    await add_customer(db, "C0001")
    body = {"agreement_id": "AG-1", "signed_on": "2026-01-05", "valid_until": "2027-01-04"}
    path = "/v1/customers/C0001/advisory-agreements"
    assert (await client.post(path, json=body, headers=staff)).status_code == 410
    customer = bearer(make_token("customer", sub="C0001"))
    assert (await client.get(path, headers=customer)).json() == []
    await sign_agreement(
        db,
        "C0001",
        agreement_id="AG-0001",
        signed_on=date(2026, 1, 5),
        advice_from=date(2026, 1, 13),
        valid_until=date(2027, 1, 4),
    )
    r = await client.get(path, headers=customer)
    assert [(a["agreement_id"], a["advice_from"], a["rescinded_on"]) for a in r.json()] == [
        ("AG-0001", "2026-01-13", None)
    ]
    stranger = bearer(make_token("customer", sub="C0002"))
    assert (await client.get(path, headers=stranger)).status_code == 403


def ipo_reminder(subscription_on: str) -> dict[str, object]:
    """An IPO reminder for customer C0001 (branch B001)."""
    return {
        "kind": "ipo",
        "customer_ids": ["C0001"],
        "security_code": "732999",
        "security_name": "某某股份",
        "subscription_on": subscription_on,
    }


async def test_reminders_are_scheduled_in_trading_days_for_the_own_branch(
    client: httpx.AsyncClient, db: Database, staff: dict[str, str], make_token: Token
) -> None:
    await add_customer(db, "C0001")
    await add_customer(db, "C0002", branch_id="B002")
    body = ipo_reminder("2026-11-20")
    r = await client.post("/v1/reminders", json=body, headers=staff)
    assert r.status_code == 201, r.text
    assert [(s["stage"], s["on"]) for s in r.json()["stages"]] == [
        ("subscription", "2026-11-20"),
        ("allotment", "2026-11-24"),
    ]
    r = await client.post("/v1/reminders", json={**body, "customer_ids": ["C0002"]}, headers=staff)
    assert r.status_code == 403
    r = await client.post("/v1/reminders", json={**body, "customer_ids": ["C7777"]}, headers=staff)
    assert r.status_code == 403  # unknown, answered as another branch's (ADR 0012 addendum)
    scheduler = bearer(service_token("notify:reminders"))
    for bad in (
        {**body, "subscription_on": "2026-11-21"},  # a Saturday
        {**body, "subscription_on": "1999-01-04"},
        {**body, "kind": "warrant_exercise"},  # no last exercise day
        {**body, "security_code": "73 29"},
    ):
        r = await client.post("/v1/reminders", json=bad, headers=scheduler)
        assert r.status_code == 422, (bad, r.text)


async def post_with(
    settings: Settings, path: str, body: dict[str, object], headers: dict[str, str]
) -> httpx.Response:
    """One request to an app made with these settings (the client fixture's are fixed)."""
    app = create_app(settings, clock=FakeClock())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as c:
        r = await c.post(path, json=body, headers=headers)
    await app.state.db.dispose()
    return r


async def test_reminders_past_the_trading_calendar_wait_for_the_announced_closures(
    settings: Settings, db: Database, staff: dict[str, str]
) -> None:
    """T+2 of the library's last trading day lies in a year whose closures are not known:
    503 with the reason, nothing planned; with the exchange's announcement loaded, 201."""
    last_year = max(library_closures()).year
    last_session = trading_day_before(date(last_year, 12, 31), 0)
    await add_customer(db, "C0001")
    body = ipo_reminder(last_session.isoformat())
    r = await post_with(settings, "/v1/reminders", body, staff)
    assert r.status_code == 503, r.text
    assert f"closures for {last_year + 1} are not loaded" in r.json()["detail"]
    assert await messages(db) == []

    # Announced: closed 1-5 January; the allotment is the second weekday from 6 January.
    new_year = [date(last_year + 1, 1, d) for d in range(1, 6)]
    after = [date(last_year + 1, 1, 6) + timedelta(n) for n in range(7)]
    allotment = [d for d in after if d.weekday() < 5][1]
    announced = settings.model_copy(
        update={"xshg_announced_closures": check_announced_closures(new_year)}
    )
    r = await post_with(announced, "/v1/reminders", body, staff)
    assert r.status_code == 201, r.text
    assert [(s["stage"], s["on"]) for s in r.json()["stages"]] == [
        ("subscription", last_session.isoformat()),
        ("allotment", allotment.isoformat()),
    ]
    assert len(await messages(db)) == 2


async def test_a_reminder_day_past_next_year_is_refused_not_left_to_retry(
    settings: Settings, db: Database, staff: dict[str, str]
) -> None:
    """Found by the per-role fuzzing (issue 16): an IPO in 2059 answered 503, an invitation to
    retry what no announcement will ever make plannable. The clock says 2026-11-20: closures
    of 2027 may still come (503), those of 2028 and later cannot yet (422)."""
    await add_customer(db, "C0001")
    for day in ("2028-03-01", "2059-10-08"):
        r = await post_with(settings, "/v1/reminders", ipo_reminder(day), staff)
        assert r.status_code == 422, (day, r.text)
        assert "past next year" in r.json()["detail"]
    warrant = {
        "kind": "warrant_exercise",
        "customer_ids": ["C0001"],
        "security_code": "580001",
        "security_name": "某认购权证",
        "last_exercise_on": "2030-06-14",
        "days_before": 5,
    }
    r = await post_with(settings, "/v1/reminders", warrant, staff)
    assert r.status_code == 422, r.text
    assert await messages(db) == []


async def test_messages_are_read_with_the_address_masked(
    client: httpx.AsyncClient, db: Database, staff: dict[str, str], make_token: Token
) -> None:
    await add_customer(db, "C0001")
    body = ipo_reminder("2026-11-20")
    await client.post("/v1/reminders", json=body, headers=staff)
    (first, *_) = await messages(db)
    customer = bearer(make_token("customer", sub="C0001"))
    r = await client.get(f"/v1/messages/{first.id}", headers=customer)
    assert r.status_code == 200
    assert r.json()["address"] == "139****0001"
    assert phone_of(1) not in r.text
    r = await client.get("/v1/customers/C0001/messages", headers=staff)
    assert len(r.json()) == 2
    stranger = bearer(make_token("customer", sub="C0002"))
    assert (await client.get(f"/v1/messages/{first.id}", headers=stranger)).status_code == 403
    # A branch's staff get 403 for an unknown id as for another branch's (ADR 0012 addendum).
    assert (await client.get("/v1/messages/nope", headers=staff)).status_code == 403
    r = await client.get("/v1/customers/C0001/messages", params={"limit": 0}, headers=staff)
    assert r.status_code == 422


async def test_a_customer_never_sees_staff_alerts_about_them(
    client: httpx.AsyncClient, db: Database, staff: dict[str, str], make_token: Token
) -> None:
    await add_customer(db, "C0001")
    async with db.sessionmaker() as session:
        handlers = Handlers(Settings(environment="test"), clock=FakeClock())
        transfer = ev.TransferAwayRecorded(
            customer_id="C0001",
            request_id="R-1",
            branch_id="B001",
            kind="custody_transfer",
            market="SZ",
            channel="branch-counter",
            requested_at=FakeClock()(),
        )
        leak = ev.NotificationRequested(
            customer_id="C0001",
            template_code="COMPLAINT_DATA_LEAK_ALERT",
            category="staff_alert",
            channel="im",
            params={
                "complaint_id": "CP-1",
                "branch_id": "B001",
                "received_on": "2026-11-20",
                "route": "compliance",
            },
        )
        for e in (transfer, leak):
            await handlers.handle(session, new_envelope(e, source="test"))
        await session.commit()
    by_template = {m.template_code: m for m in await messages(db)}
    alert, compliance = by_template["TRANSFER_ALERT"], by_template["COMPLAINT_DATA_LEAK_ALERT"]
    customer = bearer(make_token("customer", sub="C0001"))
    r = await client.get("/v1/customers/C0001/messages", headers=customer)
    assert r.status_code == 200
    assert r.json() == []
    # As if it did not exist: an unknown id is 403 too (ADR 0012 addendum).
    assert (await client.get(f"/v1/messages/{alert.id}", headers=customer)).status_code == 403
    assert (await client.get(f"/v1/messages/{compliance.id}", headers=customer)).status_code == 403
    # Staff of the branch see the alert about their customer, and only that one.
    r = await client.get("/v1/customers/C0001/messages", headers=staff)
    assert [m["template_code"] for m in r.json()] == ["TRANSFER_ALERT"]
