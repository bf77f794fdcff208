"""客户 pages over fake profile, tiering and notify services: access, sections, forms."""

from __future__ import annotations

import httpx
import pytest

from staff_console.config import Settings
from staff_console.labels import value_segment_name

from ..conftest import FakeServices, sign_in_as, staff_token

CUSTOMER = {
    "customer_id": "C000001",
    "name": "陈杰刚",
    "phone": "139****0001",
    "id_number": "110***********0018",
    "masked": True,
    "birth_date": "1979-01-20",
    "gender": "male",
    "branch_id": "B001",
    "opened_on": "2011-01-31",
    "onsite": True,
    "referrer_id": None,
    "status": "active",
}


def customer_services(fake: FakeServices) -> None:
    base = "/v1/customers/C000001"
    fake.on("profile", "GET", base, CUSTOMER)
    fake.on("profile", "GET", f"{base}/risk-profile",
            {"customer_id": "C000001", "status": "valid", "valid": True, "risk_level": "C3",
             "valid_until": "2028-11-22", "current": None})  # fmt: skip
    fake.on("profile", "GET", f"{base}/segments",
            {"customer_id": "C000001", "life_stage": "mature", "value_segment": "stable_medium",
             "total_assets": "250000.00", "contribution": "859.63", "window_days": 30})  # fmt: skip
    fake.on("profile", "GET", f"{base}/interactions",
            {"customer_id": "C000001", "limit": 20, "offset": 0, "items": [
                {"interaction_id": "I1", "customer_id": "C000001", "staff_id": "S002",
                 "branch_id": "B001", "channel": "visit", "topic": "季度回访", "outcome": "满意",
                 "next_step": None, "occurred_at": "2026-12-01T02:00:00Z",
                 "created_at": "2026-12-01T02:00:00Z"}]})  # fmt: skip
    fake.on("tiering", "GET", f"{base}/tier",
            {"customer_id": "C000001", "tier": "gold", "multiplier": "1.5",
             "points_balance": "1234.50", "tier_since": "2026-01-01",
             "next_review": "2027-01-01"})  # fmt: skip
    fake.on("tiering", "GET", f"{base}/points/ledger", {"customer_id": "C000001", "entries": []})
    fake.on("notify", "GET", f"{base}/messages", [])
    fake.on("ops", "GET", f"{base}/group",
            {"customer_id": "C000001", "branch_id": "B001", "group_id": "G1", "name": "一组",
             "members": [{"staff_id": "S002", "role": "account_manager",
                          "joined_on": "2026-06-01", "left_on": None, "reason": ""},
                         {"staff_id": "S003", "role": "back_office",
                          "joined_on": "2026-06-01", "left_on": None, "reason": ""}],
             "since_month": "2026-09"})  # fmt: skip


@pytest.fixture
def staff(client: httpx.AsyncClient, settings: Settings) -> None:
    sign_in_as(client, settings, staff_token(roles=["account_manager"]))


@pytest.mark.usefixtures("staff")
async def test_the_360_page_shows_every_service_section(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    customer_services(fake)
    resp = await client.get("/customers/C000001")
    assert resp.status_code == 200
    page = resp.text
    assert "139****0001" in page
    assert "110***********0018" in page
    assert "C3" in page
    assert "2028-11-22" in page
    assert "有效" in page
    assert "金卡" in page
    assert "1234.50" in page
    # 02:00 UTC is 10:00 in Beijing.
    assert "2026-12-01 10:00" in page
    assert "季度回访" in page
    assert "面访" in page
    # The group panel: ops-assessment-svc's customer → group lookup.
    assert "一组（G1） · 自 2026-09 起服务" in page
    assert "S002 · 客户经理" in page
    assert "S003 · 中后台人员" in page
    # advisory-svc does not answer here: its two sections say so, the page still answers.
    assert page.count("服务暂不可用") == 2
    assert "advisory-svc" in page


@pytest.mark.usefixtures("staff")
async def test_a_customer_in_the_branch_queue_and_ops_down(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    customer_services(fake)
    fake.on("ops", "GET", "/v1/customers/C000001/group",
            {"customer_id": "C000001", "branch_id": "B001", "group_id": None, "name": None,
             "members": [], "since_month": None})  # fmt: skip
    page = (await client.get("/customers/C000001")).text
    assert "尚未分派小组：由营业部队列服务" in page
    fake.on("ops", "GET", "/v1/customers/C000001/group", {"detail": "x"}, status=503)
    resp = await client.get("/customers/C000001")
    assert resp.status_code == 200
    assert "ops-assessment-svc：应答 503" in resp.text
    assert "陈杰刚" in resp.text


@pytest.mark.usefixtures("staff")
async def test_a_failing_service_is_a_panel_not_a_500(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    customer_services(fake)
    fake.on("tiering", "GET", "/v1/customers/C000001/tier", {"detail": "boom"}, status=500)
    resp = await client.get("/customers/C000001")
    assert resp.status_code == 200
    assert "tiering-svc：应答 500" in resp.text
    assert "陈杰刚" in resp.text


@pytest.mark.usefixtures("staff")
async def test_another_branch_customer_is_403_and_no_other_service_is_asked(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("profile", "GET", "/v1/customers/C000009",
            {"detail": "staff may only access their own branch"}, status=403)  # fmt: skip
    resp = await client.get("/customers/C000009")
    assert resp.status_code == 403
    assert "无权访问" in resp.text
    assert [r.url.path for r in fake.calls] == ["/v1/customers/C000009"]


@pytest.mark.usefixtures("staff")
async def test_an_unknown_customer_is_404(client: httpx.AsyncClient, fake: FakeServices) -> None:
    fake.on("profile", "GET", "/v1/customers/C404", {"detail": "no such customer"}, status=404)
    assert (await client.get("/customers/C404")).status_code == 404


@pytest.mark.usefixtures("staff")
async def test_profile_down_is_a_503_page(client: httpx.AsyncClient) -> None:
    resp = await client.get("/customers/C000001")
    assert resp.status_code == 503
    assert "profile-svc 暂不可用" in resp.text


@pytest.mark.usefixtures("staff")
async def test_a_path_that_is_not_a_customer_id_is_422_before_any_call(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    assert (await client.get("/customers/C0001%2F..%2Fsegments")).status_code in (404, 422)
    assert fake.calls == []


@pytest.mark.usefixtures("staff")
async def test_reveal_sends_the_reason_to_profile(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    customer_services(fake)
    resp = await client.post("/customers/C000001/reveal", data={"reason": "客户来电核实身份"})
    assert resp.status_code == 200
    first = fake.called("profile")[0]
    assert first.url.params["reveal"] == "true"
    assert first.url.params["reason"] == "客户来电核实身份"


@pytest.mark.usefixtures("staff")
async def test_a_reveal_without_a_reason_is_refused_before_any_call(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    resp = await client.post("/customers/C000001/reveal", data={"reason": "x"})
    assert resp.status_code == 422
    assert "请检查这些输入：reason" in resp.text
    assert fake.calls == []


@pytest.mark.usefixtures("staff")
async def test_logging_a_contact_posts_beijing_time_as_utc(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("profile", "POST", "/v1/customers/C000001/interactions", {}, status=201)
    resp = await client.post(
        "/customers/C000001/interactions",
        data={
            "channel": "call",
            "topic": "回访",
            "outcome": "满意",
            "next_step": "",
            "occurred_at": "2026-12-04T10:30",
        },
    )
    assert (resp.status_code, resp.headers["location"]) == (303, "/customers/C000001#crm")
    assert fake.body("profile", "/v1/customers/C000001/interactions") == {
        "channel": "call",
        "topic": "回访",
        "outcome": "满意",
        "next_step": None,
        "occurred_at": "2026-12-04T02:30:00+00:00",
    }


@pytest.mark.usefixtures("staff")
async def test_a_contact_profile_refuses_shows_its_reason_on_the_page(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    customer_services(fake)
    fake.on("profile", "POST", "/v1/customers/C000001/interactions",
            {"detail": [{"loc": ["body", "occurred_at"], "msg": "must not be in the future",
                         "type": "value_error"}]}, status=422)  # fmt: skip
    resp = await client.post(
        "/customers/C000001/interactions",
        data={
            "channel": "call",
            "topic": "回访",
            "outcome": "满意",
            "occurred_at": "2099-01-01T10:00",
        },
    )
    assert resp.status_code == 422
    assert "occurred_at: must not be in the future" in resp.text


@pytest.mark.usefixtures("staff")
async def test_the_list_pages_on_the_server(client: httpx.AsyncClient, fake: FakeServices) -> None:
    items = [
        {"customer_id": f"C{i:06d}", "name": "王伟", "status": "active", "life_stage": "adult",
         "value_segment": None, "total_assets": "0", "contribution": "0", "turnover": None}
        for i in range(51, 101)
    ]  # fmt: skip
    fake.on("profile", "GET", "/v1/segments/adult/customers",
            {"segment": "adult", "kind": "life_stage", "branch_id": "B001", "total": 120,
             "limit": 50, "offset": 50, "items": items})  # fmt: skip
    resp = await client.get("/customers?segment=adult&offset=50&sort=assets")
    assert resp.status_code == 200
    params = fake.calls[0].url.params
    assert (params["offset"], params["limit"], params["sort"]) == ("50", "50", "assets")
    assert "共 120 位客户，第 2 / 3 页" in resp.text
    assert "offset=100" in resp.text
    assert "offset=0" in resp.text
    assert resp.text.count('<td><a href="/customers/C') == 50


@pytest.mark.usefixtures("staff")
async def test_open_by_customer_id_goes_to_the_360_page(client: httpx.AsyncClient) -> None:
    resp = await client.get("/customers/open?customer_id=C000007")
    assert (resp.status_code, resp.headers["location"]) == (303, "/customers/C000007")
    assert (await client.get("/customers/open?customer_id=a%20b")).status_code == 422


def _found(*ids: str, next_after: str | None = None) -> dict[str, object]:
    return {
        "items": [
            {"customer_id": cid, "name": "张伟", "phone": "138****1234",
             "id_number": "110***********0018", "branch_id": "B001", "status": "active",
             "opened_on": "2011-01-31", "value_segment": "stable_medium"}
            for cid in ids
        ],
        "next_after": next_after,
    }  # fmt: skip


@pytest.mark.usefixtures("staff")
async def test_the_list_page_has_the_search_box(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("profile", "GET", "/v1/segments/short_term_large/customers",
            {"segment": "short_term_large", "kind": "value", "branch_id": "B001", "total": 0,
             "limit": 50, "offset": 0, "items": []})  # fmt: skip
    resp = await client.get("/customers")
    assert resp.status_code == 200
    assert 'action="/customers/search"' in resp.text
    assert "尚未提供搜索接口" not in resp.text


@pytest.mark.usefixtures("staff")
async def test_search_by_masked_phone_sends_only_its_visible_digits(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("profile", "GET", "/v1/customers", _found("C000001", "C000002", next_after="C000002"))
    resp = await client.get("/customers/search", params={"q": "138****1234"})
    assert resp.status_code == 200
    [call] = fake.called("profile")
    assert dict(call.url.params) == {"phone_prefix3": "138", "phone_last4": "1234", "limit": "50"}
    assert resp.text.count('<td><a href="/customers/C') == 2
    assert "138****1234" in resp.text
    assert value_segment_name("stable_medium") in resp.text
    # the next page continues after the last customer shown, with the same search
    assert "/customers/search?q=138%2A%2A%2A%2A1234&amp;after=C000002" in resp.text


@pytest.mark.usefixtures("staff")
async def test_a_whole_phone_number_never_leaves_the_console(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("profile", "GET", "/v1/customers", _found("C000001"))
    resp = await client.get("/customers/search", params={"q": "13800001234"})
    assert resp.status_code == 200
    [call] = fake.called("profile")
    assert "13800001234" not in str(call.url)
    assert dict(call.url.params) == {"phone_prefix3": "138", "phone_last4": "1234", "limit": "50"}


@pytest.mark.usefixtures("staff")
async def test_search_by_name_and_the_next_page(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("profile", "GET", "/v1/customers", _found("C000051"))
    resp = await client.get("/customers/search", params={"q": "张", "after": "C000050"})
    assert resp.status_code == 200
    [call] = fake.called("profile")
    assert dict(call.url.params) == {"q": "张", "limit": "50", "after": "C000050"}
    assert 'id="next-page"' not in resp.text  # next_after null: the last page
    assert "第一页" in resp.text


@pytest.mark.usefixtures("staff")
async def test_nothing_found_says_so(client: httpx.AsyncClient, fake: FakeServices) -> None:
    fake.on("profile", "GET", "/v1/customers", _found())
    resp = await client.get("/customers/search", params={"q": "赵"})
    assert resp.status_code == 200
    assert "没有找到匹配的客户" in resp.text


@pytest.mark.usefixtures("staff")
@pytest.mark.parametrize("typed", ["123", "张1", "238****1234"])
async def test_a_search_that_is_neither_name_nor_phone_is_422_and_asks_nothing(
    client: httpx.AsyncClient, fake: FakeServices, typed: str
) -> None:
    resp = await client.get("/customers/search", params={"q": typed})
    assert resp.status_code == 422
    assert "无法搜索" in resp.text
    assert fake.called("profile") == []


@pytest.mark.usefixtures("staff")
async def test_profile_svc_down_is_a_panel_not_a_500(client: httpx.AsyncClient) -> None:
    resp = await client.get("/customers/search", params={"q": "张"})
    assert resp.status_code == 200
    assert "服务暂不可用" in resp.text


async def test_search_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    resp = await client.get("/customers/search", params={"q": "张"})
    assert resp.status_code in (303, 401)


@pytest.mark.usefixtures("staff")
async def test_the_360_page_shows_offers_and_subscriptions_from_advisory(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    customer_services(fake)
    base = "/v1/customers/C000001"
    fake.on("advisory", "GET", f"{base}/offers", {
        "customer_id": "C000001", "tier": "gold", "risk_level": "C3", "professional": False,
        "preference_type": "balanced", "base_rate": "0.00018", "offers": [
            {"product_code": "A", "name": "Bundle A", "risk_level": "R3", "offered": False,
             "reasons": ["agreement_needed"], "suitability": "suitable", "warning": None,
             "needs_agreement": True,
             "price": {"commission_rate": "0.00028", "explanation": "X + 1.00‰ = 2.80‰"}},
        ]})  # fmt: skip
    fake.on("advisory", "GET", f"{base}/subscriptions", [
        {"subscription_id": "SUB1", "customer_id": "C000001", "product_code": "SMS3",
         "payment": "cash", "status": "active", "starts_on": "2026-12-01",
         "ends_on": "2026-12-31", "ended_on": None, "end_reason": None, "term_months": 1,
         "commission_rate": None, "base_rate": None, "monthly_fee": "10.00",
         "annual_fee": None, "entrusted_amount": None, "cash_paid": "10.00", "points": None,
         "included_with": None, "renewable": True},
    ])  # fmt: skip
    page = (await client.get("/customers/C000001")).text
    assert "服务暂不可用" not in page
    offers = page.split('id="offer-table"')[1].split("</table>")[0]
    assert "X + 1.00‰ = 2.80‰" in offers
    assert "须先签投资顾问协议" in offers
    subscriptions = page.split('id="subscription-table"')[1].split("</table>")[0]
    assert "SMS3" in subscriptions
    assert "2026-12-31" in subscriptions
    assert "现金" in subscriptions
