"""Server-side paging of lists that grow with the branch (issue #15): the retention queue
pages with ``limit``/``offset`` (bounded: 422 outside), overdue cases first on request, and
the group list answers in a fixed number of queries however many groups there are; the
complaints list one owner's on request."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from brokerage_common import CST
from ops_assessment_svc.assignment import handlers as assignment_handlers
from ops_assessment_svc.assignment import service as assignment
from ops_assessment_svc.config import Settings
from ops_assessment_svc.handlers import handlers

# The API's clock (tests/api/conftest.py) is Wednesday 2 Dec 2026, 10:00 Beijing time; the
# first call is due 30 trading minutes after the request (domain.md §6).
REQUESTS = [
    ("R1", "K1", datetime(2026, 12, 2, 9, 45, tzinfo=CST)),  # due 10:15: not yet overdue
    ("R2", "K2", datetime(2026, 12, 2, 9, 0, tzinfo=CST)),  # due 10:00: overdue at 10:00
    ("R3", "K3", datetime(2026, 11, 30, 10, 0, tzinfo=CST)),  # due Monday 10:30: overdue
]


async def _queue(client: httpx.AsyncClient, auth: Any, harness: Any, build: Any) -> Any:
    manager = auth("staff", sub="M1", staff_roles=["manager"])
    for sid, role in [("S1", "account_manager"), ("S2", "back_office")]:
        r = await client.put(f"/v1/staff/{sid}", json={"name": sid, "role": role}, headers=manager)
        assert r.status_code == 200, r.text
    r = await client.post(
        "/v1/groups", json={"group_id": "G1", "name": "G1", "members": ["S1", "S2"]},
        headers=manager,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    registry = handlers(Settings(environment="test"))
    for request_id, customer_id, at in REQUESTS:
        await harness.handle(
            assignment_handlers.on_customer_registered, build.registered(customer_id)
        )
        await harness.handle(
            registry["CustomerTransferRequested"], build.transfer(request_id, customer_id, at)
        )
    return auth("staff", sub="S1", staff_roles=["account_manager"])


def _ids(resp: httpx.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [c["customer_id"] for c in resp.json()]


async def test_the_retention_queue_pages_on_the_server_with_overdue_cases_first(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    staff = await _queue(client, auth, harness, build)
    everything = (await client.get("/v1/retention-cases?state=open", headers=staff)).json()
    # Without the new parameters: every case, oldest first, as before.
    assert len(everything) == 3
    assert [c["case_id"] for c in everything] == [
        c["case_id"] for c in sorted(everything, key=lambda c: (c["opened_at"], c["case_id"]))
    ]
    overdue = {c["customer_id"]: c["first_call_overdue"] for c in everything}
    assert overdue == {"K1": False, "K2": True, "K3": True}
    oldest_first = [c["customer_id"] for c in everything]
    expected = [k for k in oldest_first if overdue[k]] + ["K1"]
    url = "/v1/retention-cases?state=open&order=overdue_first"
    assert _ids(await client.get(url, headers=staff)) == expected
    # Pages of two: the overdue pair, then the one still in time, then nothing.
    assert _ids(await client.get(f"{url}&limit=2", headers=staff)) == expected[:2]
    assert _ids(await client.get(f"{url}&limit=2&offset=2", headers=staff)) == ["K1"]
    assert _ids(await client.get(f"{url}&limit=2&offset=4", headers=staff)) == []
    # The default order pages too.
    plain = "/v1/retention-cases?state=open"
    assert _ids(await client.get(f"{plain}&limit=1&offset=1", headers=staff)) == oldest_first[1:2]
    # Paging does not split a case's actions from it.
    first = everything[0]["case_id"]
    r = await client.post(
        f"/v1/retention-cases/{first}/actions", json={"kind": "call", "note": "n"}, headers=staff
    )
    assert r.status_code == 201, r.text
    [paged] = (await client.get(f"{plain}&limit=1", headers=staff)).json()
    assert [a["kind"] for a in paged["actions"]] == ["call"]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=501", "limit=x", "offset=-1", "offset=100001", "order=newest"],
)
async def test_out_of_range_paging_is_422_with_a_detail(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any, query: str
) -> None:
    staff = await _queue(client, auth, harness, build)
    r = await client.get(f"/v1/retention-cases?{query}", headers=staff)
    assert r.status_code == 422
    assert r.json()["detail"]
    assert len((await client.get("/v1/retention-cases", headers=staff)).json()) == 3


async def test_the_group_list_is_three_queries_for_any_number_of_groups(
    client: httpx.AsyncClient, app: Any, auth: Any, harness: Any, build: Any
) -> None:
    manager = auth("staff", sub="M1", staff_roles=["manager"])
    for k in range(1, 9):
        role = "back_office" if k % 2 == 0 else "account_manager"
        await client.put(f"/v1/staff/S{k}", json={"name": f"S{k}", "role": role}, headers=manager)
    for g in range(1, 5):
        members = [f"S{2 * g - 1}", f"S{2 * g}"]
        r = await client.post(
            "/v1/groups", json={"group_id": f"G{g}", "name": f"G{g}", "members": members},
            headers=manager,
        )  # fmt: skip
        assert r.status_code == 201, r.text
    # G4 is dissolved: the list shows its whole membership history, the others their members.
    r = await client.post("/v1/groups/G4/dissolve", json={"reason": "merged"}, headers=manager)
    assert r.status_code in (200, 201), r.text
    for i in range(1, 8):
        await harness.handle(assignment_handlers.on_customer_registered, build.registered(f"K{i}"))
    await harness.run(
        assignment.assign_branch, branch_id="B001", on=date(2026, 12, 1), capacity=300,
        outbox=harness.outbox,
    )  # fmt: skip
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        listed = (await client.get("/v1/groups", headers=manager)).json()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert sum(s.lstrip().upper().startswith("SELECT") for s in statements) <= 4
    by_id = {g["group_id"]: g for g in listed}
    assert [g["group_id"] for g in listed] == ["G1", "G2", "G3", "G4"]
    for g in ("G1", "G2", "G3"):
        assert [m["staff_id"] for m in by_id[g]["members"]] == [f"S{2 * int(g[1]) - 1}",
                                                                f"S{2 * int(g[1])}"]  # fmt: skip
    assert by_id["G4"]["state"] == "dissolved"
    assert all(m["left_on"] for m in by_id["G4"]["members"])
    # Seven customers over the three active groups, balanced; none with the dissolved one.
    assert sum(by_id[g]["customers"] for g in ("G1", "G2", "G3")) == 7
    assert sorted(by_id[g]["customers"] for g in ("G1", "G2", "G3")) == [2, 2, 3]
    assert by_id["G4"]["customers"] == 0
    # Each group read alone answers the same.
    for g in ("G1", "G4"):
        one = (await client.get(f"/v1/groups/{g}", headers=manager)).json()
        assert one == by_id[g]


async def test_complaints_list_one_owners_on_request(
    client: httpx.AsyncClient, auth: Any, harness: Any, build: Any
) -> None:
    staff = await _queue(client, auth, harness, build)
    manager = auth("staff", sub="M1", staff_roles=["manager"])
    for customer_id, owner in [("K1", "S1"), ("K2", "S2"), ("K3", "S1")]:
        body = {"customer_id": customer_id, "category": "business_error", "description": "late",
                "owner_id": owner}  # fmt: skip
        r = await client.post("/v1/complaints", json=body, headers=manager)
        assert r.status_code == 201, r.text
    every = (await client.get("/v1/complaints", headers=staff)).json()
    assert len(every) == 3
    mine = (await client.get("/v1/complaints?owner_id=S1", headers=staff)).json()
    assert sorted(c["customer_id"] for c in mine) == ["K1", "K3"]
    assert {c["owner_id"] for c in mine} == {"S1"}
    assert (await client.get("/v1/complaints?owner_id=S9", headers=staff)).json() == []
    r = await client.get(f"/v1/complaints?owner_id={'x' * 65}", headers=staff)
    assert r.status_code == 422
    assert r.json()["detail"]
