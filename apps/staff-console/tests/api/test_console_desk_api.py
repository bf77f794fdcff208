"""Pages 3–7 against api.md: absent ops or advisory is a panel; forms checked before sending."""

from __future__ import annotations

import re

import httpx
import pytest

from staff_console.config import Settings

from ..conftest import FakeServices, sign_in_as, staff_token

PAGES = ["/retention", "/complaints", "/ranking", "/ranking/2026-11/groups/G1", "/advisers",
         "/advisers/content/P1", "/manager"]  # fmt: skip


@pytest.fixture
def manager(client: httpx.AsyncClient, settings: Settings) -> None:
    sign_in_as(client, settings, staff_token("S001", roles=["manager"]))


@pytest.mark.usefixtures("manager")
@pytest.mark.parametrize("page", PAGES)
async def test_an_absent_service_is_a_panel(client: httpx.AsyncClient, page: str) -> None:
    resp = await client.get(page)
    assert resp.status_code == 200
    assert "服务暂不可用" in resp.text
    assert "无法连接" in resp.text


@pytest.mark.usefixtures("manager")
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("status", [404, 500, 503])
async def test_a_404_or_5xx_is_a_panel_never_a_500(
    client: httpx.AsyncClient, fake: FakeServices, page: str, status: int
) -> None:
    # Every route of both services answers with the status (a deployed service without the route).
    fake.on("ops", "GET", "/v1/never", {}, status=200)
    fake.on("advisory", "GET", "/v1/never", {}, status=200)
    for service, path in [("ops", p) for p in ("/v1/retention-cases", "/v1/complaints",
                          "/v1/complaints/analysis", "/v1/assessments/2026-11",
                          "/v1/assessments/2026-11/groups/G1", "/v1/groups",
                          "/v1/assessment-weights")] + [("advisory", "/v1/content"),
                          ("advisory", "/v1/content/P1/performance")]:  # fmt: skip
        fake.on(service, "GET", path, {"detail": "x"}, status=status)
    resp = await client.get(page)
    assert resp.status_code == 200
    assert f"应答 {status}" in resp.text


@pytest.mark.usefixtures("manager")
async def test_the_retention_queue_marks_overdue_cases_and_cannot_hold_a_transfer(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/retention-cases", [
        {"case_id": "R1", "customer_id": "C000001", "kind": "custody_transfer",
         "reason": "distance",
         "minutes_left": 12, "state": "open"},
        {"case_id": "R2", "customer_id": "C000002", "kind": "designation_cancel",
         "reason": "commission", "minutes_left": -5, "state": "open"},
    ])  # fmt: skip
    page = (await client.get("/retention")).text
    rows = re.findall(r'<tr class="([^"]*)">', page)
    assert rows == ["", "overdue"]
    assert "超期" in page
    for word in ("暂停", "延迟", "拒绝转出", "hold", "delay"):
        assert f">{word}<" not in page
        assert f'value="{word}"' not in page


@pytest.mark.usefixtures("manager")
async def test_a_retention_action_is_posted_to_ops(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "POST", "/v1/retention-cases/R1/actions", {}, status=201)
    resp = await client.post(
        "/retention/R1/actions", data={"action": "offer", "offer": "rate_review", "note": "已致电"}
    )
    assert resp.status_code == 303
    assert fake.body("ops", "/v1/retention-cases/R1/actions") == {
        "action": "offer", "offer": "rate_review", "outcome": None, "note": "已致电"
    }  # fmt: skip


@pytest.mark.usefixtures("manager")
async def test_a_complaint_is_filed_and_a_bad_category_sends_nothing(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "POST", "/v1/complaints", {}, status=201)
    resp = await client.post(
        "/complaints",
        data={"customer_id": "C000001", "category": "data_leak", "summary": "资料外泄"},
    )
    assert resp.status_code == 303
    assert fake.body("ops", "/v1/complaints")["category"] == "data_leak"
    before = len(fake.calls)
    resp = await client.post(
        "/complaints", data={"customer_id": "C000001", "category": "rudeness", "summary": "态度差"}
    )
    assert resp.status_code == 422
    assert all(r.method == "GET" for r in fake.calls[before:])


@pytest.mark.usefixtures("manager")
async def test_complaint_analysis_is_a_chart(client: httpx.AsyncClient, fake: FakeServices) -> None:
    fake.on("ops", "GET", "/v1/complaints", [])
    fake.on("ops", "GET", "/v1/complaints/analysis", [
        {"month": "2026-10", "category": "system_failure", "count": 3},
        {"month": "2026-11", "category": "system_failure", "count": 1},
        {"month": "2026-11", "category": "staff_attitude", "count": 2},
    ])  # fmt: skip
    page = (await client.get("/complaints")).text
    assert "<svg" in page
    assert "系统故障" in page
    assert "服务态度" in page
    assert page.count("<rect x=") - page.count('width="10" height="10"') == 4


@pytest.mark.usefixtures("manager")
async def test_the_ranking_marks_reward_and_penalty_and_charts_growth(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/assessments/2026-11", {"month": "2026-11", "groups": [
        {"group_id": "G1", "name": "一组", "rank": 1, "score": "92.5", "mark": "reward",
         "added_capital": "300000", "investment_gain": "-20000"},
        {"group_id": "G2", "name": "二组", "rank": 2, "score": "60", "mark": None,
         "added_capital": "100000", "investment_gain": "50000"},
        {"group_id": "G3", "name": "三组", "rank": 3, "score": "10", "mark": "penalty",
         "added_capital": "0", "investment_gain": "10000"},
    ]})  # fmt: skip
    page = (await client.get("/ranking?month=2026-11")).text
    assert "奖励" in page
    assert "处罚" in page
    assert "/ranking/2026-11/groups/G1" in page
    assert "新增资金" in page
    assert "投资收益" in page
    assert "<svg" in page


@pytest.mark.usefixtures("manager")
async def test_a_scorecard_opens_down_to_customers(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/assessments/2026-11/groups/G1", {
        "group_id": "G1", "rank": 1, "score": "92.5",
        "customers": [{"customer_id": "C000001", "name": "陈杰刚", "contribution": "859.63"}],
    })  # fmt: skip
    page = (await client.get("/ranking/2026-11/groups/G1")).text
    assert '<a href="/customers/C000001">C000001</a>' in page
    assert "92.5" in page


@pytest.mark.usefixtures("manager")
async def test_a_buy_with_bearish_technicals_is_stopped_before_advisory(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("advisory", "GET", "/v1/content", [])
    fake.on("advisory", "POST", "/v1/content", {}, status=201)
    pick = {"kind": "stock_pick", "title": "推荐某股", "body": "基本面很好", "stock_code": "600000",
            "recommendation": "buy", "fundamental_view": "bullish"}  # fmt: skip
    resp = await client.post("/advisers/content", data={**pick, "technical_view": "bearish"})
    assert resp.status_code == 422
    assert "技术面已经走熊" in resp.text
    assert not [r for r in fake.calls if r.method == "POST"]
    resp = await client.post("/advisers/content", data={**pick, "technical_view": "bullish"})
    assert resp.status_code == 303
    assert fake.body("advisory", "/v1/content")["technical_view"] == "bullish"


@pytest.mark.usefixtures("manager")
async def test_the_advisers_page_states_the_rule_before_submit(client: httpx.AsyncClient) -> None:
    page = (await client.get("/advisers")).text
    assert "千万不可以出现介绍的股票基本面很好、技术面已经走熊的状况" in page
    assert 'data-check="pick"' in page


@pytest.mark.usefixtures("manager")
async def test_pick_performance_is_a_chart_against_csi_300(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("advisory", "GET", "/v1/content/P1/performance", {"content_id": "P1", "points": [
        {"horizon": "1", "return": "0.8", "index_return": "0.2"},
        {"horizon": "5", "return": "2.1", "index_return": "0.9"},
        {"horizon": "20", "return": "-1.0", "index_return": "1.5"},
    ]})  # fmt: skip
    page = (await client.get("/advisers/content/P1")).text
    assert page.count("<polyline") == 2
    assert "沪深300" in page


@pytest.mark.usefixtures("manager")
@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ({"S002": "account_manager"}, "2–3 人（现有 1 人）"),
        ({"S002": "account_manager", "S005": "sales"}, "至少一名中后台人员"),
    ],
)
async def test_a_group_breaking_the_rule_is_not_sent(
    client: httpx.AsyncClient, fake: FakeServices, members: dict[str, str], problem: str
) -> None:
    data = {"name": "一组", "member_ids": list(members), "member_roles": list(members.values())}
    resp = await client.post("/manager/groups", data=data)
    assert resp.status_code == 422
    assert problem in resp.text
    assert not [r for r in fake.calls if r.method == "POST"]


@pytest.mark.usefixtures("manager")
async def test_a_valid_group_is_sent(client: httpx.AsyncClient, fake: FakeServices) -> None:
    fake.on("ops", "POST", "/v1/groups", {}, status=201)
    data = {"name": "一组", "member_ids": ["S002", "S003", ""],
            "member_roles": ["account_manager", "back_office", "sales"]}  # fmt: skip
    assert (await client.post("/manager/groups", data=data)).status_code == 303
    assert fake.body("ops", "/v1/groups") == {
        "name": "一组",
        "members": [
            {"staff_id": "S002", "role": "account_manager"},
            {"staff_id": "S003", "role": "back_office"},
        ],
    }


@pytest.mark.usefixtures("manager")
async def test_weights_must_add_up_to_100(client: httpx.AsyncClient, fake: FakeServices) -> None:
    fake.on("ops", "PUT", "/v1/assessment-weights/steady", {}, status=200)
    kj = {"asset_growth_ratio": "50", "commission_turnover": "50"}  # seed 000's KJ mode
    assert (await client.post("/manager/weights/steady", data=kj)).status_code == 303
    assert fake.body("ops", "/v1/assessment-weights/steady") == {
        "weights": {"asset_growth_ratio": 50, "commission_turnover": 50}
    }
    resp = await client.post("/manager/weights/steady", data={**kj, "commission_turnover": "40"})
    assert resp.status_code == 422
    assert "权重合计须为 100（现为 90）" in resp.text
    assert (await client.post("/manager/weights/middle", data=kj)).status_code == 422


@pytest.mark.usefixtures("manager")
async def test_bad_form_input_is_an_html_422_that_does_not_echo_it(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    typed = "11010119900101123X 13800001234"
    resp = await client.post(
        "/complaints", data={"customer_id": typed, "category": "other", "summary": "x"}
    )
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("text/html")
    assert "customer_id" in resp.text
    assert "summary" in resp.text
    assert "13800001234" not in resp.text
    assert "11010119900101123X" not in resp.text
    assert fake.calls == []
