"""Pages 3–7 over fake ops-assessment-svc and advisory-svc answering in their real shapes
(their routers' schemas): an absent or failing service is a panel, never a 500; forms are
checked before anything is sent, and the service's refusal is shown."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from staff_console.config import Settings

from ..conftest import FakeServices, sign_in_as, staff_token

PAGES = ["/retention", "/complaints", "/ranking", "/ranking/2026-11/groups/G1", "/advisers",
         "/advisers/content/P1", "/manager"]  # fmt: skip
OPS_READS = ["/v1/retention-cases", "/v1/complaints", "/v1/complaints/analysis",
             "/v1/assessments/2026-11", "/v1/assessments/2026-11/groups/G1", "/v1/groups",
             "/v1/staff", "/v1/assessment-weights"]  # fmt: skip
ROSTER = [
    {"staff_id": "S002", "branch_id": "B001", "name": "李敏", "role": "account_manager"},
    {"staff_id": "S003", "branch_id": "B001", "name": "张静", "role": "back_office"},
    {"staff_id": "S104", "branch_id": "B001", "name": "S104", "role": "sales"},
]


def case(case_id: str, **changes: Any) -> dict[str, Any]:
    """A retention case as ops-assessment-svc's CaseRead."""
    return {
        "case_id": case_id, "request_id": f"REQ-{case_id}", "customer_id": "C000001",
        "branch_id": "B001", "group_id": "G1", "kind": "custody_transfer", "market": "SZ",
        "stated_reason": "commission", "requested_at": "2026-12-04T02:00:00Z",
        "opened_at": "2026-12-04T02:00:01Z", "state": "open",
        "first_call_due_at": "2026-12-04T02:30:00Z", "first_call_at": None,
        "trading_minutes_open": 0, "first_call_overdue": False, "reason": None, "offer": None,
        "outcome": None, "closed_at": None, "follow_up_on": None, "actions": [], **changes,
    }  # fmt: skip


def complaint(complaint_id: str, **changes: Any) -> dict[str, Any]:
    """A complaint as ops-assessment-svc's ComplaintRead."""
    return {
        "complaint_id": complaint_id, "customer_id": "C000003", "branch_id": "B001",
        "group_id": "G2", "category": "business_error", "intake": "staff",
        "description": "演示投诉", "owner_id": "S001", "state": "received",
        "received_on": "2026-11-20", "contact_due_on": "2026-11-23", "answer_due_on": "2026-12-11",
        "overdue": False, "upheld": None, "evaluation": None, "resolved_on": None,
        "created_at": "2026-11-20T02:00:00Z", **changes,
    }  # fmt: skip


def score(group_id: str, rank: int, mark: str | None, inflow: str, gain: str) -> dict[str, Any]:
    """A group's line of the ranking as ScoreRead (a manager's view)."""
    growth = str(float(inflow) + float(gain))
    return {
        "group_id": group_id, "branch_id": "B001", "rank": rank, "company_rank": rank,
        "mark": mark, "phase": "steady", "total": "50.00", "penalty": "0.00",
        "scores": {"asset_growth_ratio": "50.00"},
        "figures": {"asset_growth": growth, "net_inflow": inflow, "investment_gain": gain,
                    "asset_growth_ratio": "0.05", "customers": "100.000000"},
        "churning": [], "restatement": 0, "computed_at": "2026-12-01T00:00:00Z",
    }  # fmt: skip


def line(customer_id: str, growth: str, inflow: str) -> dict[str, Any]:
    """A customer behind a scorecard (CustomerLine)."""
    gain = str(float(growth) - float(inflow))
    return {
        "customer_id": customer_id, "days": 30, "share": "1.0000", "start_assets": "100000.00",
        "end_assets": "100000.00", "asset_growth": growth, "net_inflow": inflow,
        "investment_gain": gain, "traded_amount": "0", "commission": "0",
        "baseline_commission": "0", "asset_turnover": "0", "churning": False, "contacts": 0,
        "referrals": 0,
    }  # fmt: skip


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
@pytest.mark.parametrize("status", [500, 503])
async def test_a_5xx_is_a_panel_never_a_500(
    client: httpx.AsyncClient, fake: FakeServices, page: str, status: int
) -> None:
    for path in OPS_READS:
        fake.on("ops", "GET", path, {"detail": "x"}, status=status)
    for path in ("/v1/content", "/v1/content/P1/performance"):
        fake.on("advisory", "GET", path, {"detail": "x"}, status=status)
    resp = await client.get(page)
    assert resp.status_code == 200
    assert f"应答 {status}" in resp.text


@pytest.mark.usefixtures("manager")
async def test_a_404_is_the_service_reason_not_a_missing_service(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    # Both services are deployed: a 404 is "no such thing", shown with the service's words.
    fake.on("ops", "GET", "/v1/assessments/2026-11/groups/G9", {"detail": "no assessment"}, 404)
    resp = await client.get("/ranking/2026-11/groups/G9")
    assert resp.status_code == 200
    assert "服务未提供此内容" in resp.text
    assert "no assessment" in resp.text
    assert "服务暂不可用" not in resp.text


@pytest.mark.usefixtures("manager")
async def test_the_queue_counts_down_thirty_trading_minutes_and_marks_overdue_in_red(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/retention-cases", [
        case("R1", trading_minutes_open=12),
        case("R2", trading_minutes_open=35, first_call_overdue=True),
        case("R3", trading_minutes_open=8, first_call_at="2026-12-04T02:08:00Z"),
    ])  # fmt: skip
    page = (await client.get("/retention")).text
    assert fake.called("ops")[0].url.params["state"] == "open"
    assert re.findall(r'<tr class="([^"]*)" data-case', page) == ["", "overdue", ""]
    cells = re.findall(r'class="num clock">(.*?)</td>', page)
    clocks = [re.sub(r"\s+", " ", c).strip() for c in cells]
    # domain.md §6: the first call is due 30 trading minutes after the request.
    assert clocks == ["18", "超期 5 分钟", "已于 2026-12-04 10:08 致电"]
    for word in ("暂停", "延迟", "拒绝转出", "hold", "delay"):
        assert f">{word}<" not in page
        assert f'value="{word}"' not in page


@pytest.mark.usefixtures("manager")
@pytest.mark.parametrize(
    ("form", "sent"),
    [
        ({"kind": "call", "reason": "distance", "offer": "rate_review", "note": "已致电"},
         {"kind": "call", "reason": "distance", "note": "已致电"}),
        ({"kind": "offer", "offer": "rate_review", "outcome": "left"},
         {"kind": "offer", "offer": "rate_review", "note": ""}),
        ({"kind": "outcome", "outcome": "retained"},
         {"kind": "outcome", "outcome": "retained", "note": ""}),
    ],
)  # fmt: skip
async def test_each_retention_action_sends_only_its_own_field(
    client: httpx.AsyncClient, fake: FakeServices, form: dict[str, str], sent: dict[str, str]
) -> None:
    fake.on("ops", "POST", "/v1/retention-cases/R1/actions", case("R1"), status=201)
    resp = await client.post("/retention/R1/actions", data=form)
    assert resp.status_code == 303
    assert fake.body("ops", "/v1/retention-cases/R1/actions") == sent


@pytest.mark.usefixtures("manager")
async def test_a_refused_retention_action_shows_the_service_reason(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/retention-cases", [case("R1")])
    fake.on("ops", "POST", "/v1/retention-cases/R1/actions",
            {"detail": "retention case R1 is closed"}, status=409)  # fmt: skip
    resp = await client.post("/retention/R1/actions", data={"kind": "outcome", "outcome": "left"})
    assert resp.status_code == 409
    assert "retention case R1 is closed" in resp.text
    resp = await client.post("/retention/R1/actions", data={"kind": "hold"})
    assert resp.status_code == 422
    assert len([r for r in fake.calls if r.method == "POST"]) == 1


@pytest.mark.usefixtures("manager")
async def test_a_complaint_is_filed_and_a_bad_category_sends_nothing(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "POST", "/v1/complaints", complaint("CP1"), status=201)
    resp = await client.post(
        "/complaints",
        data={"customer_id": "C000001", "category": "data_leak", "description": "资料外泄"},
    )
    assert resp.status_code == 303
    assert fake.body("ops", "/v1/complaints") == {
        "customer_id": "C000001", "category": "data_leak", "description": "资料外泄"
    }  # fmt: skip
    before = len(fake.calls)
    resp = await client.post(
        "/complaints",
        data={"customer_id": "C000001", "category": "rudeness", "description": "态度差"},
    )
    assert resp.status_code == 422
    assert all(r.method == "GET" for r in fake.calls[before:])


@pytest.mark.usefixtures("manager")
async def test_my_open_complaints_and_the_overdue_ones(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/complaints", [
        complaint("CP-MINE"), complaint("CP-CLOSED", state="closed"),
        complaint("CP-OTHER", owner_id="S002"),
    ])  # fmt: skip
    page = (await client.get("/complaints")).text
    mine = page.split('id="mine-table"')[1].split("</table>")[0]
    assert "CP-MINE" in mine
    assert "CP-CLOSED" not in mine
    assert "CP-OTHER" not in mine
    overdue = [r for r in fake.called("ops") if r.url.params.get("overdue") == "true"]
    assert len(overdue) == 1


@pytest.mark.usefixtures("manager")
async def test_complaint_analysis_is_a_chart_by_category_and_month(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/complaints", [])
    fake.on("ops", "GET", "/v1/complaints/analysis", [
        {"month": "2026-10", "branch_id": "B001", "category": "system_failure", "complaints": 3,
         "upheld": 1},
        {"month": "2026-11", "branch_id": "B001", "category": "system_failure", "complaints": 1,
         "upheld": 0},
        {"month": "2026-11", "branch_id": "B002", "category": "system_failure", "complaints": 4,
         "upheld": 0},
        {"month": "2026-11", "branch_id": "B001", "category": "staff_attitude", "complaints": 2,
         "upheld": 0},
    ])  # fmt: skip
    page = (await client.get("/complaints")).text
    assert "<svg" in page
    # Two months × two categories; November's system failures add up over branches (1 + 4).
    assert page.count("<rect x=") - page.count('width="10" height="10"') == 4
    assert "2026-11 系统故障: 5</title>" in page
    assert "2026-10 系统故障: 3</title>" in page
    assert "2026-11 服务态度: 2</title>" in page


@pytest.mark.usefixtures("manager")
async def test_the_ranking_marks_reward_and_penalty_and_splits_growth(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/groups", [{"group_id": "G1", "name": "一组"}])
    fake.on("ops", "GET", "/v1/assessments/2026-11", {"month": "2026-11", "scope": "B001",
        "groups": [
            score("G1", 1, "reward", "300000.00", "-20000.00"),
            score("G2", 2, None, "100000.00", "50000.00"),
            # What a member of another group sees of G3: its rank and mark only.
            {"group_id": "G3", "branch_id": "B001", "rank": 3, "mark": "penalty"},
        ]})  # fmt: skip
    page = (await client.get("/ranking?month=2026-11")).text
    assert re.findall(r'<tr class="([^"]*)" data-group', page) == ["reward", "", "penalty"]
    assert "一组" in page
    assert "/ranking/2026-11/groups/G1" in page
    assert "/ranking/2026-11/groups/G3" not in page
    # Added capital and investment gain in 万元, one bar per group with figures.
    assert "一组 新增资金（万元）: 30</title>" in page
    assert "一组 投资收益（万元）: -2</title>" in page
    assert "G2 投资收益（万元）: 5</title>" in page
    assert "G3 新增资金" not in page


@pytest.mark.usefixtures("manager")
async def test_a_scorecard_figure_opens_down_to_its_customers(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/assessments/2026-11/groups/G1", {
        "month": "2026-11", "scorecard": score("G1", 1, "reward", "30000.00", "20000.00"),
        "customers": [line("C000001", "1000.00", "0.00"), line("C000002", "40000.00", "30000.00"),
                      line("C000003", "9000.00", "0.00")],
        "explanation": "steady phase; rank 1",
    })  # fmt: skip
    page = (await client.get("/ranking/2026-11/groups/G1")).text
    assert '<a href="/customers/C000001">C000001</a>' in page
    assert "/ranking/2026-11/groups/G1?figure=asset_growth" in page
    assert "steady phase; rank 1" in page
    opened = (await client.get("/ranking/2026-11/groups/G1?figure=asset_growth")).text
    table = opened.split('id="customer-lines"')[1]
    assert re.findall(r"/customers/(C\d+)", table) == ["C000002", "C000003", "C000001"]
    assert "C000002 新增资金（万元）: 3</title>" in opened
    assert "C000002 投资收益（万元）: 1</title>" in opened


@pytest.mark.usefixtures("manager")
async def test_a_buy_with_bearish_technicals_is_stopped_before_advisory(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("advisory", "GET", "/v1/content", [])
    fake.on("advisory", "POST", "/v1/content", {"content_id": "P1"}, status=201)
    pick = {"kind": "stock_pick", "title": "推荐某股", "body": "基本面很好", "risk_level": "R3",
            "security_code": "600000", "market": "SH", "recommendation": "buy",
            "fundamental_view": "bullish", "fundamental_text": "盈利稳定",
            "technical_text": "均线向上"}  # fmt: skip
    resp = await client.post("/advisers/content", data={**pick, "technical_view": "bearish"})
    assert resp.status_code == 422
    assert "技术面已经走熊" in resp.text
    assert not [r for r in fake.calls if r.method == "POST"]
    resp = await client.post("/advisers/content", data={**pick, "technical_view": "bullish"})
    assert resp.status_code == 303
    assert resp.headers["location"] == "/advisers?published=P1"
    assert fake.body("advisory", "/v1/content") == {
        "kind": "stock_pick", "title": "推荐某股", "body": "基本面很好", "risk_level": "R3",
        "security_code": "600000", "market": "SH",
        "pick": {"recommendation": "buy",
                 "fundamental": {"view": "bullish", "text": "盈利稳定"},
                 "technical": {"view": "bullish", "text": "均线向上"}},
    }  # fmt: skip


@pytest.mark.usefixtures("manager")
async def test_advisory_refusal_is_shown_with_the_form_kept(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("advisory", "GET", "/v1/content", [])
    fake.on("advisory", "POST", "/v1/content",
            {"detail": "the body contains a phone number"}, status=422)  # fmt: skip
    resp = await client.post(
        "/advisers/content",
        data={"kind": "morning_note", "title": "晨会纪要", "body": "今日市场", "risk_level": "R1"},
    )
    assert resp.status_code == 422
    assert "the body contains a phone number" in resp.text
    assert "晨会纪要" in resp.text
    assert "pick" not in fake.body("advisory", "/v1/content")


@pytest.mark.usefixtures("manager")
async def test_the_advisers_page_states_the_rule_before_submit(client: httpx.AsyncClient) -> None:
    page = (await client.get("/advisers")).text
    assert "千万不可以出现介绍的股票基本面很好、技术面已经走熊的状况" in page
    assert 'data-check="pick"' in page


@pytest.mark.usefixtures("manager")
async def test_pick_performance_is_a_chart_against_csi_300(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("advisory", "GET", "/v1/content/P1/performance", {
        "content_id": "P1", "security_code": "600519", "recommendation": "buy",
        "index_code": "000300", "base_on": "2026-11-02", "base_close": "1500.00",
        "index_base_close": "3900.00", "horizons": [
            {"trading_days": 1, "on": "2026-11-03", "pick_return": "0.0080",
             "index_return": "0.0020", "excess_return": "0.0060"},
            {"trading_days": 5, "on": "2026-11-09", "pick_return": "0.0210",
             "index_return": "0.0090", "excess_return": "0.0120"},
            {"trading_days": 60, "on": None, "pick_return": None, "index_return": None,
             "excess_return": None},
        ]})  # fmt: skip
    page = (await client.get("/advisers/content/P1")).text
    assert page.count("<polyline") == 2
    assert "沪深300" in page
    # Fractions shown in percent; the horizon not yet closed is a row without a point.
    assert '<td>T+5</td><td>2026-11-09</td><td class="num">2.10</td>' in page
    assert ">T+60<" in page
    assert ">T+60</text>" not in page


@pytest.mark.usefixtures("manager")
@pytest.mark.parametrize(
    ("members", "problem"),
    [
        (["S002"], "2–3 人（现有 1 人）"),
        (["S002", "S104"], "至少一名中后台人员"),
        (["S002", "S002", "S003"], "同一员工不能选两次"),
    ],
)
async def test_a_group_breaking_the_rule_is_not_sent(
    client: httpx.AsyncClient, fake: FakeServices, members: list[str], problem: str
) -> None:
    fake.on("ops", "GET", "/v1/staff", ROSTER)
    resp = await client.post("/manager/groups", data={"name": "一组", "member_ids": members})
    assert resp.status_code == 422
    assert problem in resp.text
    assert not [r for r in fake.calls if r.method != "GET"]


@pytest.mark.usefixtures("manager")
async def test_a_valid_group_is_sent_and_the_service_refusal_shown(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/staff", ROSTER)
    fake.on("ops", "POST", "/v1/groups", {}, status=201)
    data = {"name": "一组", "member_ids": ["S002", "S003", ""]}
    assert (await client.post("/manager/groups", data=data)).status_code == 303
    assert fake.body("ops", "/v1/groups") == {"name": "一组", "members": ["S002", "S003"]}
    fake.on("ops", "PUT", "/v1/groups/G1/members",
            {"detail": {"problems": ["already in another group: S003 (in G2)"]}},
            status=422)  # fmt: skip
    resp = await client.post(
        "/manager/groups/G1/members", data={"member_ids": ["S002", "S003"], "reason": "调岗"}
    )
    assert resp.status_code == 422
    assert "already in another group: S003 (in G2)" in resp.text
    assert fake.body("ops", "/v1/groups/G1/members") == {
        "members": ["S002", "S003"], "reason": "调岗"
    }  # fmt: skip


@pytest.mark.usefixtures("manager")
async def test_weights_must_add_up_to_100(client: httpx.AsyncClient, fake: FakeServices) -> None:
    fake.on("ops", "PUT", "/v1/assessment-weights/kj", None, status=204)
    kj = {"asset_growth_ratio": "50", "commission_turnover": "50"}  # seed 000's KJ mode
    assert (await client.post("/manager/weights/kj", data=kj)).status_code == 303
    assert fake.body("ops", "/v1/assessment-weights/kj") == {
        "weights": {"asset_growth_ratio": 50, "commission_turnover": 50}
    }
    resp = await client.post("/manager/weights/kj", data={**kj, "commission_turnover": "40"})
    assert resp.status_code == 422
    assert "权重合计须为 100（现为 90）" in resp.text
    assert (await client.post("/manager/weights/middle", data=kj)).status_code == 422
    assert len([r for r in fake.calls if r.method == "PUT"]) == 1


@pytest.mark.usefixtures("manager")
async def test_the_weights_form_shows_the_weights_in_effect(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    def phase(name: str, weights: dict[str, int], is_default: bool) -> dict[str, Any]:
        return {"phase": name, "weights": weights, "complaint_penalty": 10,
                "is_default": is_default, "updated_by": None if is_default else "staff:S001",
                "updated_at": None if is_default else "2026-12-01T02:00:00Z"}  # fmt: skip

    fake.on("ops", "GET", "/v1/assessment-weights", {"branch_id": "B001", "kj_mode": False,
            "phases": [
                phase("early", {"targets_reached": 30, "crm_completeness": 40,
                                "new_customers": 30}, True),
                phase("steady", {"asset_growth_ratio": 60, "commission_turnover": 40}, False),
                phase("kj", {"asset_growth_ratio": 50, "commission_turnover": 50}, True),
            ]})  # fmt: skip
    page = (await client.get("/manager")).text

    def value(form: str, metric: str) -> str:
        found = re.search(rf'id="weights-{form}".*?name="{metric}"[^>]*value="(\d+)"', page, re.S)
        assert found, (form, metric)
        return found.group(1)

    # The branch's steady weights as set, not domain.md's 40/25/15/10/10.
    steady = {m: value("steady", m) for m in ("incremental_commission", "asset_growth_ratio",
                                              "new_customers", "crm_completeness",
                                              "commission_turnover")}  # fmt: skip
    assert steady == {"incremental_commission": "0", "asset_growth_ratio": "60",
                      "new_customers": "0", "crm_completeness": "0",
                      "commission_turnover": "40"}  # fmt: skip
    assert (value("early", "targets_reached"), value("early", "crm_completeness")) == ("30", "40")
    assert re.findall(r'class="weights-source">([^<]*)<', page) == ["默认", "已设置", "默认"]
    assert "现行权重" in page


@pytest.mark.usefixtures("manager")
async def test_the_weights_form_says_when_it_shows_defaults_because_ops_is_down(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/assessment-weights", {"detail": "x"}, status=503)
    page = (await client.get("/manager")).text
    assert "无法读取现行权重" in page
    found = re.search(r'id="weights-steady".*?name="incremental_commission"[^>]*value="(\d+)"',
                      page, re.S)  # fmt: skip
    assert found
    assert found.group(1) == "40"  # domain.md §5.1's steady default


@pytest.mark.usefixtures("manager")
async def test_the_queue_shows_each_cases_last_actions(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    def act(kind: str, detail: str, minute: int) -> dict[str, str]:
        return {"kind": kind, "detail": detail, "actor": "staff:S002",
                "at": f"2026-12-04T02:{minute:02d}:00Z"}  # fmt: skip

    fake.on("ops", "GET", "/v1/retention-cases", [
        case("R1", actions=[act("call", "客户说佣金高", 5), act("offer", "rate_review", 6),
                            act("call", "第二次", 7), act("call", "第三次", 8)]),
        case("R2"),
    ])  # fmt: skip
    page = (await client.get("/retention")).text
    rows = re.findall(r'<tr class="[^"]*" data-case="(R\d)">(.*?)</tr>', page, re.S)
    history = {cid: re.findall(r"<li>(.*?)</li>", row, re.S) for cid, row in rows}
    # The last three, oldest first, in Beijing time.
    assert [re.sub(r"\s+", " ", h) for h in history["R1"]] == [
        "2026-12-04 10:06 方案：佣金优惠（staff:S002）",
        "2026-12-04 10:07 致电：第二次（staff:S002）",
        "2026-12-04 10:08 致电：第三次（staff:S002）",
    ]
    assert history["R2"] == []


@pytest.mark.usefixtures("manager")
async def test_bad_form_input_is_an_html_422_that_does_not_echo_it(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    typed = "11010119900101123X 13800001234"
    resp = await client.post(
        "/complaints", data={"customer_id": typed, "category": "other", "description": "x"}
    )
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("text/html")
    assert "customer_id" in resp.text
    assert "description" in resp.text
    assert "13800001234" not in resp.text
    assert "11010119900101123X" not in resp.text
    assert fake.calls == []
