"""The API: who sees what (domain.md §5.1), and bad input as a clear 4xx that changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from ops_assessment_svc.assignment import handlers as assignment_handlers
from ops_assessment_svc.assignment import service as assignment
from ops_assessment_svc.staff_groups.models import ServiceGroup


async def _branch(client: httpx.AsyncClient, auth: Any, harness: Any, build: Any) -> dict[str, Any]:
    manager = auth("staff", sub="M1", staff_roles=["manager"])
    for sid, role in [
        ("S1", "account_manager"),
        ("S2", "back_office"),
        ("S3", "sales"),
        ("S4", "back_office"),
        ("S5", "sales"),
        ("S6", "back_office"),
    ]:
        r = await client.put(f"/v1/staff/{sid}", json={"name": sid, "role": role}, headers=manager)
        assert r.status_code == 200, r.text
    for gid, members in [("G1", ["S1", "S2"]), ("G2", ["S3", "S4"]), ("G3", ["S5", "S6"])]:
        r = await client.post(
            "/v1/groups", json={"group_id": gid, "name": gid, "members": members}, headers=manager
        )
        assert r.status_code == 201, r.text
    for i in range(1, 4):
        await harness.handle(assignment_handlers.on_customer_registered, build.registered(f"K{i}"))
    await harness.run(
        assignment.assign_branch,
        branch_id="B001",
        on=date(2026, 12, 1),
        capacity=300,
        outbox=harness.outbox,
    )
    r = await client.post("/v1/assessments/2026-12", headers=manager)
    assert r.status_code == 200, r.text
    return manager


async def test_group_rule_breaks_are_422_with_the_reason_and_change_nothing(
    client: httpx.AsyncClient, auth: Any, harness: Any
) -> None:
    manager = auth("staff", sub="M1", staff_roles=["manager"])
    for sid, role in [
        ("S1", "account_manager"),
        ("S2", "back_office"),
        ("S3", "sales"),
        ("S4", "adviser"),
    ]:
        await client.put(f"/v1/staff/{sid}", json={"name": sid, "role": role}, headers=manager)
    cases = [
        (["S1"], "not 1"),
        (["S1", "S2", "S3", "S4"], "not 4"),
        (["S1", "S3"], "back_office"),
    ]
    for members, reason in cases:
        r = await client.post("/v1/groups", json={"name": "x", "members": members}, headers=manager)
        assert r.status_code == 422
        assert any(reason in p for p in r.json()["detail"]["problems"])
    assert (
        await client.post(
            "/v1/groups",
            json={"group_id": "G1", "name": "x", "members": ["S1", "S2"]},
            headers=manager,
        )
    ).status_code == 201
    r = await client.post(
        "/v1/groups", json={"name": "y", "members": ["S2", "S3"]}, headers=manager
    )
    assert r.status_code == 422
    assert "S2 (in G1)" in r.text
    assert [g.group_id for g in await harness.rows(ServiceGroup)] == ["G1"]
    # Staff without the manager role may not form groups; a customer sees nothing.
    sales = auth("staff", sub="S3", staff_roles=["sales"])
    assert (
        await client.post("/v1/groups", json={"name": "z", "members": ["S3", "S4"]}, headers=sales)
    ).status_code == 403
    assert (await client.get("/v1/groups", headers=auth("customer", sub="C1"))).status_code == 403
    assert (await client.get("/v1/groups", headers=sales)).status_code == 200


async def test_who_sees_the_ranking_and_the_scorecards(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    manager = await _branch(client, auth, harness, build)
    r = await client.get("/v1/assessments/2026-12", headers=manager)
    assert r.status_code == 200
    assert [("total" in g, g["group_id"]) for g in r.json()["groups"]] == [
        (True, "G1"),
        (True, "G2"),
        (True, "G3"),
    ]
    # A member of G1 sees the ranks, and only their own group's scorecard.
    member = auth("staff", sub="S1", staff_roles=["account_manager"])
    groups = (await client.get("/v1/assessments/2026-12", headers=member)).json()["groups"]
    assert {g["group_id"]: "total" in g for g in groups} == {"G1": True, "G2": False, "G3": False}
    assert (
        await client.get("/v1/assessments/2026-12/groups/G1", headers=member)
    ).status_code == 200
    assert (
        await client.get("/v1/assessments/2026-12/groups/G2", headers=member)
    ).status_code == 403
    card = (await client.get("/v1/assessments/2026-12/groups/G2", headers=manager)).json()
    assert [c["customer_id"] for c in card["customers"]] == ["K2"]
    assert "rank" in card["explanation"]
    # Another branch's staff, and every customer: 403. HQ sees the company-wide ranking.
    other = auth("staff", sub="X1", branch_id="B002", staff_roles=["manager"])
    assert (await client.get("/v1/assessments/2026-12/groups/G1", headers=other)).status_code == 403
    customer = auth("customer", sub="K1")
    assert (await client.get("/v1/assessments/2026-12", headers=customer)).status_code == 403
    assert (
        await client.get("/v1/assessments/2026-12/groups/G1", headers=customer)
    ).status_code == 403
    hq = auth("staff", sub="H1", branch_id="HQ", staff_roles=["manager"])
    company = (await client.get("/v1/assessments/2026-12", headers=hq)).json()
    assert company["scope"] == "HQ"
    assert len(company["groups"]) == 3


async def test_bad_input_is_a_clear_4xx(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    manager = await _branch(client, auth, harness, build)
    assert (await client.post("/v1/assessments/2027-01", headers=manager)).status_code == 422
    assert (await client.get("/v1/assessments/2026-13", headers=manager)).status_code == 422
    r = await client.put(
        "/v1/assessment-weights/steady",
        json={"weights": {"asset_growth_ratio": 60, "commission_turnover": 30}},
        headers=manager,
    )
    assert r.status_code == 422
    assert "add up to 90" in r.text
    r = await client.post(
        "/v1/complaints",
        json={"customer_id": "K1", "category": "late_cancellation", "description": "x"},
        headers=manager,
    )
    assert r.status_code == 422
    assert (await client.get("/v1/complaints", headers=manager)).json() == []


async def test_complaint_intake_by_app_call_center_and_staff(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    await _branch(client, auth, harness, build)
    body = {"category": "staff_attitude", "description": "rude on the phone"}
    r = await client.post("/v1/complaints", json=body, headers=auth("customer", sub="K1"))
    assert r.status_code == 201
    assert (r.json()["intake"], r.json()["group_id"], r.json()["branch_id"]) == (
        "app",
        "G1",
        "B001",
    )
    # A customer files and reads their own only.
    other = {**body, "customer_id": "K2"}
    assert (
        await client.post("/v1/complaints", json=other, headers=auth("customer", sub="K1"))
    ).status_code == 403
    assert len((await client.get("/v1/complaints", headers=auth("customer", sub="K2"))).json()) == 0
    cc = auth("service", sub="callcenter", scopes=["complaints:write"])
    r = await client.post("/v1/complaints", json={**other, "branch_id": "B001"}, headers=cc)
    assert (r.status_code, r.json()["intake"]) == (201, "call_center")
    nope = auth("service", sub="callcenter", scopes=["routing:read"])
    assert (
        await client.post("/v1/complaints", json={**other, "branch_id": "B001"}, headers=nope)
    ).status_code == 403
    # Received 2 Dec (Wednesday): first contact due 3 Dec; on 4 Dec they are overdue.
    listed = (await client.get("/v1/complaints", headers=auth("staff", sub="S1"))).json()
    assert {c["contact_due_on"] for c in listed} == {"2026-12-03"}


async def test_retention_action_on_a_closed_case_is_409(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    await _branch(client, auth, harness, build)
    from ops_assessment_svc.config import Settings
    from ops_assessment_svc.handlers import handlers

    registry = handlers(Settings(environment="test"))
    await harness.handle(registry["CustomerTransferRequested"], build.transfer("R1", "K1"))
    staff = auth("staff", sub="S1", staff_roles=["account_manager"])
    [case] = (await client.get("/v1/retention-cases?state=open", headers=staff)).json()
    assert case["group_id"] == "G1"
    url = f"/v1/retention-cases/{case['case_id']}/actions"
    assert (
        await client.post(url, json={"kind": "offer", "offer": "free_lunch"}, headers=staff)
    ).status_code == 422
    r = await client.post(url, json={"kind": "outcome", "outcome": "retained"}, headers=staff)
    assert r.status_code == 201
    assert (await client.post(url, json={"kind": "call"}, headers=staff)).status_code == 409
    other = auth("staff", sub="X", branch_id="B002")
    assert (
        await client.get(f"/v1/retention-cases/{case['case_id']}", headers=other)
    ).status_code == 403


async def test_back_dated_intake_and_formation_never_in_the_future(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    manager = await _branch(client, auth, harness, build)
    body = {"customer_id": "K1", "category": "business_error", "description": "wrong fee"}
    r = await client.post(
        "/v1/complaints", json={**body, "received_on": "2026-11-20"}, headers=manager
    )
    assert r.status_code == 201
    # Received Friday 20 Nov: first contact was due Monday 23 Nov; on 2 Dec it is overdue.
    assert (r.json()["contact_due_on"], r.json()["overdue"]) == ("2026-11-23", True)
    overdue = (await client.get("/v1/complaints?overdue=true", headers=manager)).json()
    assert [c["complaint_id"] for c in overdue] == [r.json()["complaint_id"]]
    # A year the working-day calendar does not cover is a 422 with the reason, not a 500.
    old = await client.post(
        "/v1/complaints", json={**body, "received_on": "2000-01-03"}, headers=manager
    )
    assert (old.status_code, "working-day calendar" in old.text) == (422, True)
    future = {**body, "received_on": "2026-12-03"}
    assert (await client.post("/v1/complaints", json=future, headers=manager)).status_code == 422
    app = {k: v for k, v in body.items() if k != "customer_id"} | {"received_on": "2026-11-20"}
    assert (
        await client.post("/v1/complaints", json=app, headers=auth("customer", sub="K1"))
    ).status_code == 422
    for sid, role in [("S7", "sales"), ("S8", "back_office")]:
        await client.put(f"/v1/staff/{sid}", json={"name": sid, "role": role}, headers=manager)
    r = await client.post(
        "/v1/groups",
        json={"group_id": "G9", "name": "x", "members": ["S7", "S8"], "formed_on": "2026-12-03"},
        headers=manager,
    )
    assert r.status_code == 422
    r = await client.post(
        "/v1/groups",
        json={"group_id": "G9", "name": "x", "members": ["S7", "S8"], "formed_on": "2026-06-01"},
        headers=manager,
    )
    assert (r.status_code, r.json()["formed_on"]) == (201, "2026-06-01")


async def test_a_customers_group_for_their_branch_staff_and_hq_only(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    manager = await _branch(client, auth, harness, build)
    r = await client.get("/v1/customers/K1/group", headers=manager)
    assert r.status_code == 200, r.text
    body = r.json()
    # K1 was assigned to G1 (S1 account manager, S2 back office) from 1 Dec 2026.
    assert (body["group_id"], body["name"], body["branch_id"], body["since_month"]) == (
        "G1",
        "G1",
        "B001",
        "2026-12",
    )
    assert [(m["staff_id"], m["role"]) for m in body["members"]] == [
        ("S1", "account_manager"),
        ("S2", "back_office"),
    ]
    sales = auth("staff", sub="S3", staff_roles=["sales"])
    assert (await client.get("/v1/customers/K2/group", headers=sales)).json()["group_id"] == "G2"
    hq = auth("staff", sub="H1", branch_id="HQ", staff_roles=["manager"])
    assert (await client.get("/v1/customers/K3/group", headers=hq)).json()["group_id"] == "G3"
    # Registered after the month's assignment: the branch queue serves them.
    await harness.handle(assignment_handlers.on_customer_registered, build.registered("K4"))
    queue = (await client.get("/v1/customers/K4/group", headers=manager)).json()
    assert (queue["group_id"], queue["members"], queue["since_month"]) == (None, [], None)
    # Another branch's customer and an unknown id answer alike; no customer reads ops.
    other = auth("staff", sub="X1", branch_id="B002", staff_roles=["manager"])
    assert (await client.get("/v1/customers/K1/group", headers=other)).status_code == 403
    assert (await client.get("/v1/customers/K999/group", headers=manager)).status_code == 403
    customer = auth("customer", sub="K1")
    assert (await client.get("/v1/customers/K1/group", headers=customer)).status_code == 403


async def test_weights_in_effect_are_the_spec_defaults_until_the_manager_sets_some(
    client: httpx.AsyncClient, auth: Any
) -> None:
    manager = auth("staff", sub="M1", staff_roles=["manager"])
    r = await client.get("/v1/assessment-weights", headers=manager)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["branch_id"], body["kj_mode"]) == ("B001", False)
    phases = {p["phase"]: p for p in body["phases"]}
    # domain.md §5.1's defaults.
    assert phases["early"]["weights"] == {
        "targets_reached": 30,
        "crm_completeness": 40,
        "new_customers": 30,
    }
    assert phases["steady"]["weights"] == {
        "incremental_commission": 40,
        "asset_growth_ratio": 25,
        "new_customers": 15,
        "crm_completeness": 10,
        "commission_turnover": 10,
    }
    assert phases["kj"]["weights"] == {"asset_growth_ratio": 50, "commission_turnover": 50}
    assert all(p["is_default"] for p in phases.values())
    steady = {"asset_growth_ratio": 60, "commission_turnover": 40}
    r = await client.put(
        "/v1/assessment-weights/steady",
        json={"weights": steady, "complaint_penalty": 5},
        headers=manager,
    )
    assert r.status_code == 204, r.text
    assert (
        await client.put("/v1/assessment-mode", json={"kj_mode": True}, headers=manager)
    ).status_code == 204
    r = await client.get("/v1/assessment-weights/steady", headers=manager)
    assert r.status_code == 200
    assert r.json()["kj_mode"] is True
    [only] = r.json()["phases"]
    assert (only["weights"], only["complaint_penalty"], only["is_default"], only["updated_by"]) == (
        steady,
        5,
        False,
        "staff:M1",
    )
    early = (await client.get("/v1/assessment-weights/early", headers=manager)).json()["phases"]
    assert (early[0]["is_default"], early[0]["weights"]["crm_completeness"]) == (True, 40)
    assert (await client.get("/v1/assessment-weights/late", headers=manager)).status_code == 422
    # The manager's (and HQ's, naming the branch); not other staff, branches or customers.
    hq = auth("staff", sub="H1", branch_id="HQ", staff_roles=["manager"])
    r = await client.get("/v1/assessment-weights?branch_id=B001", headers=hq)
    assert {p["phase"]: p["is_default"] for p in r.json()["phases"]}["steady"] is False
    assert (await client.get("/v1/assessment-weights", headers=hq)).status_code == 403
    for headers in [
        auth("staff", sub="S1", staff_roles=["account_manager"]),
        auth("staff", sub="X1", branch_id="B002", staff_roles=["manager"]),
        auth("customer", sub="K1"),
    ]:
        r = await client.get("/v1/assessment-weights?branch_id=B001", headers=headers)
        assert r.status_code == 403
    other = auth("staff", sub="X1", branch_id="B002", staff_roles=["manager"])
    assert all(
        p["is_default"]
        for p in (await client.get("/v1/assessment-weights", headers=other)).json()["phases"]
    )


async def test_the_retention_queue_shows_each_cases_actions_in_one_query(
    client: httpx.AsyncClient, app: Any, auth: Any, harness: Any, build: Any
) -> None:
    from sqlalchemy import event

    from ops_assessment_svc.config import Settings
    from ops_assessment_svc.handlers import handlers

    await _branch(client, auth, harness, build)
    registry = handlers(Settings(environment="test"))
    for request_id, customer_id in [("R1", "K1"), ("R2", "K2"), ("R3", "K3")]:
        await harness.handle(
            registry["CustomerTransferRequested"], build.transfer(request_id, customer_id)
        )
    staff = auth("staff", sub="M1", staff_roles=["manager"])
    cases = {
        c["customer_id"]: c for c in (await client.get("/v1/retention-cases", headers=staff)).json()
    }
    one, two = (f"/v1/retention-cases/{cases[k]['case_id']}/actions" for k in ("K1", "K2"))
    await client.post(one, json={"kind": "call", "note": "called"}, headers=staff)
    await client.post(one, json={"kind": "offer", "offer": "rate_review"}, headers=staff)
    await client.post(two, json={"kind": "outcome", "outcome": "retained"}, headers=staff)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        listed = (await client.get("/v1/retention-cases", headers=staff)).json()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    actions = {c["customer_id"]: [(a["kind"], a["detail"]) for a in c["actions"]] for c in listed}
    assert actions == {
        "K1": [("call", "called"), ("offer", "rate_review")],
        "K2": [("outcome", "retained")],
        "K3": [],
    }
    assert all(a["actor"] == "staff:M1" for c in listed for a in c["actions"])
    assert sum("retention_action" in s for s in statements) == 1
    # The single-case read answers the same history.
    single = (
        await client.get(f"/v1/retention-cases/{cases['K1']['case_id']}", headers=staff)
    ).json()
    assert [(a["kind"], a["detail"]) for a in single["actions"]] == actions["K1"]
