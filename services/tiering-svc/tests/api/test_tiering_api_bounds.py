"""Issue 16 (items 3, 4, 6): every amount, setting and parameter bounded; writes idempotent.

Ranges (rules.py, ledger/rules.py): an adjustment moves at most 1,000,000 points and a balance
stays at most 10**12; thresholds are positive, rising silver < gold < platinum, at most 10**10
CNY of assets and 10**8 of commission; a bonus is 0 to 10,000 points; amounts are ASCII decimal
strings; job days run from 2000-01-01 to 2099-12-31; ids fit a BIGINT.
"""

from __future__ import annotations

from datetime import date

import pytest

C1, C2 = "C460001", "C460002"
ADMIN_SCOPES = ["tiering:config"]


@pytest.fixture
def staff(auth):
    return auth("staff", sub="S1", branch_id="B001")


@pytest.mark.parametrize(
    "points",
    [
        "4000000000000000",  # accepted before, then the tier read was a 500
        "9999999999999999.99",  # a 500 that was written anyway
        "1000000.01",
        "-1000000.01",
        "１００",  # full-width digits
        "1e3",
        "0.001",
        100,  # a JSON number, not a decimal string
    ],
)
async def test_an_adjustment_out_of_range_is_422_and_writes_nothing(
    client, auth, tiering, staff, points
):
    await tiering.register(C1, branch_id="B001")
    url = f"/v1/customers/{C1}/points/adjustments"
    r = await client.post(url, json={"points": points, "reason": "goodwill gesture"}, headers=staff)
    assert r.status_code == 422, r.text
    assert await tiering.ledger(C1) == []
    tier = await client.get(f"/v1/customers/{C1}/tier", headers=staff)
    assert (tier.status_code, tier.json()["points_balance"]) == (200, "0.00")


async def test_an_adjustment_at_the_maximum_is_taken(client, tiering, staff):
    await tiering.register(C1, branch_id="B001")
    url = f"/v1/customers/{C1}/points/adjustments"
    r = await client.post(url, json={"points": "1000000", "reason": "migrated"}, headers=staff)
    assert r.status_code == 201, r.text
    assert await tiering.balance(C1) == 1_000_000


async def test_a_retried_adjustment_applies_once_and_a_reused_key_is_422(client, tiering, staff):
    await tiering.register(C1, branch_id="B001")
    url = f"/v1/customers/{C1}/points/adjustments"
    headers = {**staff, "Idempotency-Key": "adj-7"}
    body = {"points": "120.50", "reason": "complaint goodwill"}
    first = await client.post(url, json=body, headers=headers)
    again = await client.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert await tiering.balance(C1) == 120.5
    for other in ({"points": "99.00", "reason": body["reason"]}, {**body, "reason": "another"}):
        r = await client.post(url, json=other, headers=headers)
        assert r.status_code == 422, r.text
    assert await tiering.balance(C1) == 120.5
    # Another key is another adjustment.
    r = await client.post(url, json=body, headers={**staff, "Idempotency-Key": "adj-8"})
    assert r.status_code == 201
    assert await tiering.balance(C1) == 241


async def test_a_redemption_key_reused_with_another_body_is_422(client, auth, tiering):
    await tiering.register(C1)
    await tiering.give(C1, "100.00")
    url = f"/v1/customers/{C1}/points/redemptions"
    headers = {**auth("customer", sub=C1), "Idempotency-Key": "order-42"}
    body = {"kind": "sms_months", "sms_product": "SMS2", "months": 2}
    assert (await client.post(url, json=body, headers=headers)).status_code == 201
    r = await client.post(url, json={**body, "months": 3}, headers=headers)
    assert r.status_code == 422, r.text
    assert await tiering.balance(C1) == 80


@pytest.mark.parametrize("months", [True, "2", 2.0])
async def test_redemption_months_must_be_a_json_integer(client, auth, tiering, months):
    await tiering.register(C1)
    await tiering.give(C1, "100.00")
    url = f"/v1/customers/{C1}/points/redemptions"
    body = {"kind": "sms_months", "sms_product": "SMS1", "months": months}
    r = await client.post(url, json=body, headers=auth("customer", sub=C1))
    assert r.status_code == 422, r.text
    assert await tiering.balance(C1) == 100


async def test_a_nul_in_an_adjustment_reason_is_422(client, tiering, staff):
    await tiering.register(C1, branch_id="B001")
    url = f"/v1/customers/{C1}/points/adjustments"
    r = await client.post(url, json={"points": "1", "reason": "good\x00will"}, headers=staff)
    assert r.status_code == 422
    assert await tiering.ledger(C1) == []


@pytest.mark.parametrize(
    "change",
    [
        {"silver_assets": "0"},  # promoted every customer
        {"silver_commission": "0"},
        {"bonus_referral": "4300000000000000"},
        {"bonus_referral": "10000.01"},
        {"platinum_assets": "10000000000.01"},
        {"platinum_commission": "100000000.01"},
        {"silver_assets": "８００００"},  # full-width digits
        {"silver_assets": "80000.001"},
        {"silver_assets": 80000},  # a JSON number
        {"silver_assets": "8e4"},
    ],
)
async def test_config_out_of_range_is_422_and_changes_nothing(client, auth, tiering, change):
    admin = auth("staff", sub="S9", scopes=ADMIN_SCOPES)
    before = (await client.get("/v1/config", headers=admin)).json()
    r = await client.put("/v1/config", json=change, headers=admin)
    assert r.status_code == 422, (change, r.text)
    r = await client.post("/v1/config/preview", json=change, headers=admin)
    assert r.status_code == 422, (change, r.text)
    assert (await client.get("/v1/config", headers=admin)).json() == before


async def test_config_preview_counts_moves_and_changes_nothing(client, auth, tiering):
    # Defaults: silver from 100,000 CNY of assets, gold from 500,000, platinum from 2,000,000.
    await tiering.register("C460010")
    await tiering.register("C460011")
    await tiering.register("C460012")
    await tiering.register("C460013")
    await tiering.snapshot("C460010", "60000.00", as_of=date(2026, 11, 20))  # standard
    await tiering.snapshot("C460011", "90000.00", as_of=date(2026, 11, 20))  # standard
    await tiering.snapshot("C460012", "150000.00", as_of=date(2026, 11, 20))  # silver
    await tiering.snapshot("C460013", "600000.00", as_of=date(2026, 11, 20))  # gold
    admin = auth("staff", sub="S9", scopes=ADMIN_SCOPES)
    before = (await client.get("/v1/config", headers=admin)).json()
    # Silver from 50,000 and gold from 700,000: two standard customers rise to silver; the
    # gold one falls to silver at the review (its 600,000 is below 700,000).
    change = {"silver_assets": "50000", "gold_assets": "700000"}
    r = await client.post("/v1/config/preview", json=change, headers=admin)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["customers"], got["upgraded"], got["downgraded"]) == (4, 2, 1)
    assert got["moves"] == [
        {"from_tier": "standard", "to_tier": "silver", "customers": 2},
        {"from_tier": "gold", "to_tier": "silver", "customers": 1},
    ]
    assert (got["policy"]["silver_assets"], got["policy"]["gold_assets"]) == (
        "50000.00",
        "700000.00",
    )
    assert (await client.get("/v1/config", headers=admin)).json() == before
    assert [await tiering.tier(c) for c in ("C460010", "C460011", "C460012", "C460013")] == [
        "standard",
        "standard",
        "silver",
        "gold",
    ]
    # The same scope as the PUT.
    r = await client.post("/v1/config/preview", json=change, headers=auth("staff", sub="S1"))
    assert r.status_code == 403


@pytest.mark.parametrize("on", ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"])
async def test_a_job_day_out_of_range_is_422(client, auth, tiering, on):
    jobs = auth("service", sub="scheduler", scopes=["tiering:jobs"])
    for path in ("/v1/jobs/tier-review", "/v1/jobs/anniversaries"):
        r = await client.post(path, params={"on": on}, headers=jobs)
        assert r.status_code == 422, (path, r.text)


async def test_a_job_day_at_the_bounds_runs(client, auth, tiering):
    jobs = auth("service", sub="scheduler", scopes=["tiering:jobs"])
    for on in ("2000-01-01", "2099-12-31"):
        r = await client.post("/v1/jobs/tier-review", params={"on": on}, headers=jobs)
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("before_id", [str(2**70), str(2**63), "0", "-1", "true"])
async def test_a_ledger_before_id_out_of_range_is_422(client, tiering, staff, before_id):
    await tiering.register(C1, branch_id="B001")
    url = f"/v1/customers/{C1}/points/ledger"
    r = await client.get(url, params={"before_id": before_id}, headers=staff)
    assert r.status_code == 422, r.text
    r = await client.get(url, params={"before_id": str(2**63 - 1)}, headers=staff)
    assert r.status_code == 200


@pytest.mark.parametrize("path", ["tier", "points/ledger", "points/adjustments"])
async def test_a_malformed_customer_id_or_kind_is_422(client, tiering, staff, path):
    r = await client.get(f"/v1/customers/C1%00X/{path}", headers=staff)
    assert r.status_code == 422, r.text
    r = await client.get(f"/v1/customers/{'C' * 33}/{path}", headers=staff)
    assert r.status_code == 422, r.text


async def test_a_ledger_kind_with_nul_is_422(client, tiering, staff):
    await tiering.register(C1, branch_id="B001")
    url = f"/v1/customers/{C1}/points/ledger"
    r = await client.get(url, params={"kind": "trade\x00"}, headers=staff)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("path", ["tier", "points/ledger", "points/adjustments", "tier-history"])
async def test_staff_get_the_same_answer_for_another_branch_and_no_customer(
    client, auth, tiering, path
):
    # ADR 0012 addendum: 403 for both, so staff cannot tell which ids exist elsewhere.
    await tiering.register(C2, branch_id="B002")
    other = auth("staff", branch_id="B001")
    elsewhere = await client.get(f"/v1/customers/{C2}/{path}", headers=other)
    nowhere = await client.get(f"/v1/customers/C469999/{path}", headers=other)
    assert (elsewhere.status_code, nowhere.status_code) == (403, 403)
    assert elsewhere.json() == nowhere.json()
