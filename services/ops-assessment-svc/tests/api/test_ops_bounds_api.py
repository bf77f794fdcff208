"""Issue 16 in ops-assessment-svc: every id, date and text bounded (422, never a 500 on
PostgreSQL), and another branch's staff get the same answer for an existing id as for an
unknown one (403, as tiering and profile: ADR 0012 addendum)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ops_assessment_svc.retention.models import RetentionCase
from ops_assessment_svc.staff_groups.models import ServiceGroup, Staff

from .test_ops_api import _branch

OTHER = {"sub": "X", "branch_id": "B002", "staff_roles": ["manager"]}


async def _case_id(client: httpx.AsyncClient, auth: Any, harness: Any, build: Any) -> str:
    from ops_assessment_svc.config import Settings
    from ops_assessment_svc.handlers import handlers

    registry = handlers(Settings(environment="test"))
    await harness.handle(registry["CustomerTransferRequested"], build.transfer("R1", "K1"))
    staff = auth("staff", sub="S1", staff_roles=["account_manager"])
    [case] = (await client.get("/v1/retention-cases", headers=staff)).json()
    return str(case["case_id"])


async def test_another_branchs_staff_get_the_same_answer_for_existing_and_unknown_ids(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    manager = await _branch(client, auth, harness, build)
    case_id = await _case_id(client, auth, harness, build)
    r = await client.post(
        "/v1/complaints",
        json={"customer_id": "K1", "category": "staff_attitude", "description": "rude"},
        headers=manager,
    )
    complaint_id = r.json()["complaint_id"]
    r = await client.post(
        "/v1/suggestions", json={"customer_id": "K1", "text": "more IPO news"}, headers=manager
    )
    suggestion_id = r.json()["suggestion_id"]
    other = auth("staff", **OTHER)
    routes = [
        ("GET", "/v1/groups/{}", None, "G1"),
        ("GET", "/v1/groups/{}/history", None, "G1"),
        ("GET", "/v1/groups/{}/customers", None, "G1"),
        ("PUT", "/v1/groups/{}/members", {"members": ["S1"], "reason": "moved"}, "G1"),
        ("POST", "/v1/groups/{}/dissolve", {"reason": "closing"}, "G1"),
        ("PUT", "/v1/groups/{}/targets/2026-12", {"targets": {"contacts": "3"}}, "G1"),
        ("GET", "/v1/assessments/2026-12/groups/{}", None, "G1"),
        ("GET", "/v1/retention-cases/{}", None, case_id),
        ("POST", "/v1/retention-cases/{}/actions", {"kind": "call"}, case_id),
        ("PATCH", "/v1/complaints/{}", {"state": "contacted"}, complaint_id),
        ("POST", "/v1/suggestions/{}/adopt", None, suggestion_id),
    ]
    for method, template, body, existing in routes:
        answers = []
        for id_ in (existing, "NOSUCH-1"):
            r = await client.request(method, template.format(id_), json=body, headers=other)
            answers.append((r.status_code, r.json()["detail"]))
        assert answers[0] == answers[1], (template, answers)
        assert answers[0][0] == 403, (template, answers)
    # Nothing was changed by those attempts.
    [group] = await harness.rows(ServiceGroup, ServiceGroup.group_id == "G1")
    assert group.state == "active"
    [case] = await harness.rows(RetentionCase, RetentionCase.case_id == case_id)
    assert case.first_call_at is None
    # HQ sees every branch: for HQ an unknown id is simply not found.
    hq = auth("staff", sub="H", branch_id="HQ", staff_roles=["manager"])
    assert (await client.get("/v1/groups/NOSUCH-1", headers=hq)).status_code == 404
    assert (await client.get("/v1/groups/G1", headers=hq)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/groups/G%001"),
        ("GET", "/v1/groups/" + "G" * 65),
        ("GET", "/v1/groups/G1/history?x=1".replace("G1", "G 1")),
        ("GET", "/v1/groups/G%001/customers"),
        ("GET", "/v1/retention-cases/RC%00"),
        ("GET", "/v1/assessments/2026-12/groups/G%001"),
        ("GET", "/v1/customers/K%001/group"),
        ("GET", "/v1/customers/" + "K" * 33 + "/group"),
        ("GET", "/v1/groups?branch_id=B%0001"),
        ("GET", "/v1/staff?branch_id=B%0001"),
        ("GET", "/v1/complaints?branch_id=B%0001"),
        ("GET", "/v1/complaints/analysis?branch_id=B%0001"),
        ("GET", "/v1/retention-cases?branch_id=B%0001"),
        ("GET", "/v1/retention-cases?group_id=G%001"),
        ("GET", "/v1/assessments/2026-12?branch_id=B%0001"),
        ("GET", "/v1/assessment-weights?branch_id=" + "B" * 33),
        ("GET", "/v1/assessments/1899-12"),
        ("GET", "/v1/assessments/1999-12"),  # months lie in 2000..2099, as every day
        ("GET", "/v1/groups/G1/customers?month=1999-12"),
    ],
)
async def test_ids_in_paths_and_queries_are_bounded(
    client: httpx.AsyncClient, auth: Any, method: str, path: str
) -> None:
    hq = auth("staff", sub="H", branch_id="HQ", staff_roles=["manager"])
    r = await client.request(method, path, headers=hq)
    assert r.status_code == 422, (path, r.text)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/v1/staff/S9", {"name": "a\x00b", "role": "sales"}),  # a 500 on PostgreSQL
        ("PUT", "/v1/staff/S9", {"name": "\u202eevil", "role": "sales"}),
        ("PUT", "/v1/staff/S9", {"name": "tab\there", "role": "sales"}),
        ("PUT", "/v1/staff/S%009", {"name": "S9", "role": "sales"}),
        ("POST", "/v1/groups", {"name": "G\x004", "members": ["S7", "S8"]}),
        ("POST", "/v1/groups", {"name": "G\u202e4", "members": ["S7", "S8"]}),
        ("POST", "/v1/groups", {"name": "G4", "members": ["S7", "S8"], "formed_on": "1999-12-31"}),
        ("PUT", "/v1/groups/G1/members", {"members": ["S1", "S2"], "reason": "x\x00"}),
        ("POST", "/v1/groups/G1/dissolve", {"reason": "x\x00"}),
        (
            "POST",
            "/v1/complaints",
            {"customer_id": "K1", "category": "staff_attitude", "description": "rude\x00"},
        ),
        (
            "POST",
            "/v1/complaints",
            {
                "customer_id": "K1",
                "category": "staff_attitude",
                "description": "rude",
                "received_on": "0001-01-01",
            },
        ),
        ("POST", "/v1/suggestions", {"customer_id": "K1", "text": "more\x00"}),
        (
            "PUT",
            "/v1/assessment-weights/steady",
            {
                "weights": {"asset_growth_ratio": 50, "commission_turnover": 50},
                "branch_id": "B\x00001",
            },
        ),
        ("PUT", "/v1/assessment-mode", {"kj_mode": True, "branch_id": "B\x00001"}),
        ("POST", "/v1/assignments", {"branch_id": "B\x00001"}),
        ("POST", "/v1/assignments", {"on": "0001-01-01"}),
        ("PUT", "/v1/groups/G1/targets/2026-12", {"targets": {"contacts\x00": "1"}}),
        # true, "50" and 50.0 are not JSON integers
        (
            "PUT",
            "/v1/assessment-weights/kj",
            {
                "weights": {"asset_growth_ratio": 50, "commission_turnover": 50},
                "complaint_penalty": True,
            },
        ),
        (
            "PUT",
            "/v1/assessment-weights/kj",
            {"weights": {"asset_growth_ratio": "50", "commission_turnover": 50.0}},
        ),
        (
            "PUT",
            "/v1/assessment-weights/kj",
            {"weights": {"asset_growth_ratio": 99, "commission_turnover": True}},
        ),
    ],
)
async def test_nul_control_characters_and_absurd_days_are_422_and_change_nothing(
    client: httpx.AsyncClient,
    auth: Any,
    harness: Any,
    build: Any,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    manager = await _branch(client, auth, harness, build)
    for sid, role in [("S7", "back_office"), ("S8", "sales")]:  # free for a new group
        r = await client.put(f"/v1/staff/{sid}", json={"name": sid, "role": role}, headers=manager)
        assert r.status_code == 200, r.text
    staff_before = await harness.rows(Staff)
    groups_before = await harness.rows(ServiceGroup)
    r = await client.request(method, path, json=body, headers=manager)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    assert len(await harness.rows(Staff)) == len(staff_before)
    assert [(g.group_id, g.name, g.state) for g in await harness.rows(ServiceGroup)] == [
        (g.group_id, g.name, g.state) for g in groups_before
    ]
    assert (await client.get("/v1/complaints", headers=manager)).json() == []


@pytest.mark.parametrize("evaluation", [True, "5", 5.0])
async def test_a_complaints_evaluation_must_be_a_json_integer(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any, evaluation: Any
) -> None:
    manager = await _branch(client, auth, harness, build)
    r = await client.post(
        "/v1/complaints",
        json={"customer_id": "K1", "category": "staff_attitude", "description": "rude"},
        headers=manager,
    )
    url = f"/v1/complaints/{r.json()['complaint_id']}"
    r = await client.patch(
        url, json={"state": "contacted", "evaluation": evaluation}, headers=manager
    )
    assert r.status_code == 422, r.text
    [complaint] = (await client.get("/v1/complaints", headers=manager)).json()
    assert (complaint["state"], complaint["evaluation"]) == ("received", None)


async def test_a_staff_id_of_another_branch_is_409_without_naming_the_branch(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    await _branch(client, auth, harness, build)
    other = auth("staff", **OTHER)
    r = await client.put("/v1/staff/S1", json={"name": "S1", "role": "sales"}, headers=other)
    # Staff ids are the company's employee numbers: taking one is a conflict, but the
    # answer does not say whose roster holds it.
    assert r.status_code == 409
    assert "B001" not in r.json()["detail"]
    [s1] = await harness.rows(Staff, Staff.staff_id == "S1")
    assert (s1.branch_id, s1.role) == ("B001", "account_manager")
