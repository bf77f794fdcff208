"""tiering-svc HTTP API (api.md): tier, ledger, redemptions, adjustments, config, jobs, access."""

from __future__ import annotations

from datetime import date

import jwt
import pytest

from brokerage_common import today_cst

C1, C2 = "C400001", "C400002"


def _first_of_next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


@pytest.fixture
async def seeded(tiering, build):
    """C1 (branch B001) is gold with 46.02 + 500 points; C2 (branch B002) is standard with none."""
    await tiering.register(C1, branch_id="B001")
    await tiering.register(C2, branch_id="B002", referrer_id=C1)
    await tiering.snapshot(C1, "600000.00", as_of=date(2026, 11, 20))
    await tiering.settle(build.trade(C1, "38.35", trade_id="T-API-1"))
    return tiering


# ------------------------------------------------------------------------------------ tier


async def test_tiering_api_tier_response_is_exactly_the_contract(client, auth, seeded):
    r = await client.get(f"/v1/customers/{C1}/tier", headers=auth("customer", sub=C1))
    assert r.status_code == 200
    assert r.json() == {
        "customer_id": C1,
        "tier": "gold",
        "multiplier": "1.2",
        "points_balance": "546.02",
        "tier_since": "2026-11-20",
        "next_review": _first_of_next_month(today_cst()).isoformat(),
    }

    r = await client.get(f"/v1/customers/{C2}/tier", headers=auth("customer", sub=C2))
    assert r.json()["tier"] == "standard"
    assert r.json()["multiplier"] == "1.0"
    assert r.json()["points_balance"] == "0.00"


async def test_tiering_api_unknown_customer_is_404(client, auth, seeded):
    r = await client.get("/v1/customers/C499999/tier", headers=auth("customer", sub="C499999"))
    assert r.status_code == 404
    assert "detail" in r.json()


WRONG_SECRET = jwt.encode(
    {"sub": C1, "role": "customer", "exp": 4102444800},
    "another-secret-entirely-0123456789abcdef",
    algorithm="HS256",
)
NOT_VALID = [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer not-a-jwt"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": f"Bearer {WRONG_SECRET}"},
]


async def test_tiering_api_without_a_valid_token_is_401(client, seeded):
    for headers in NOT_VALID:
        for path in (f"/v1/customers/{C1}/tier", f"/v1/customers/{C1}/points/ledger"):
            r = await client.get(path, headers=headers)
            assert r.status_code == 401, (path, headers)
            assert "detail" in r.json()


async def test_tiering_api_expired_token_is_401(client, make_token, seeded):
    token = make_token("customer", sub=C1, ttl_s=-60)
    r = await client.get(f"/v1/customers/{C1}/tier", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_tiering_api_object_level_access(client, auth, seeded):
    tier, ledger = f"/v1/customers/{C1}/tier", f"/v1/customers/{C1}/points/ledger"
    # Another customer: 403 for the ledger and the tier.
    assert (await client.get(ledger, headers=auth("customer", sub=C2))).status_code == 403
    assert (await client.get(tier, headers=auth("customer", sub=C2))).status_code == 403
    # Staff of another branch: 403; staff of the customer's branch: 200.
    assert (await client.get(tier, headers=auth("staff", branch_id="B002"))).status_code == 403
    assert (await client.get(ledger, headers=auth("staff", branch_id="B002"))).status_code == 403
    assert (await client.get(tier, headers=auth("staff", branch_id="B001"))).status_code == 200
    assert (await client.get(ledger, headers=auth("staff", branch_id="B001"))).status_code == 200
    # A service needs the read scope.
    assert (
        await client.get(tier, headers=auth("service", scopes=["routing:read"]))
    ).status_code == 403
    assert (
        await client.get(tier, headers=auth("service", scopes=["tiering:read"]))
    ).status_code == 200


# ------------------------------------------------------------------------------------ ledger


async def test_tiering_api_ledger_newest_first_and_paged(client, auth, tiering):
    await tiering.register(C1)
    for points in ("1.00", "2.00", "3.00", "4.00", "5.00"):
        await tiering.give(C1, points)
    headers = auth("customer", sub=C1)
    url = f"/v1/customers/{C1}/points/ledger"

    first = (await client.get(url, params={"limit": 2}, headers=headers)).json()
    assert [e["points"] for e in first["entries"]] == ["5.00", "4.00"]
    assert first["customer_id"] == C1
    second = (
        await client.get(
            url, params={"limit": 2, "before_id": first["next_before_id"]}, headers=headers
        )
    ).json()
    assert [e["points"] for e in second["entries"]] == ["3.00", "2.00"]
    third = (
        await client.get(
            url, params={"limit": 2, "before_id": second["next_before_id"]}, headers=headers
        )
    ).json()
    assert [e["points"] for e in third["entries"]] == ["1.00"]
    assert third["next_before_id"] is None

    everything = (await client.get(url, headers=headers)).json()["entries"]
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert {"id", "points", "kind", "reason", "created_at"} <= set(everything[0])

    for bad in ({"limit": 0}, {"limit": 1000}, {"before_id": "x"}):
        assert (await client.get(url, params=bad, headers=headers)).status_code == 422


# ------------------------------------------------------------------------------------ redemptions


async def _everything(client, headers, customer_id):
    tier = (await client.get(f"/v1/customers/{customer_id}/tier", headers=headers)).json()
    ledger = (
        await client.get(f"/v1/customers/{customer_id}/points/ledger", headers=headers)
    ).json()
    return tier, ledger


async def test_tiering_api_redemption_created(client, auth, tiering):
    await tiering.register(C1)
    await tiering.give(C1, "2500.00")
    headers = auth("customer", sub=C1)
    url = f"/v1/customers/{C1}/points/redemptions"

    r = await client.post(
        url, json={"kind": "sms_months", "sms_product": "SMS1", "months": 3}, headers=headers
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["kind"], body["points"], body["points_balance"]) == (
        "sms_months",
        "30.00",
        "2470.00",
    )

    r = await client.post(
        url, json={"kind": "tier_upgrade", "target_tier": "silver"}, headers=headers
    )
    assert r.status_code == 201, r.text
    assert (r.json()["points"], r.json()["points_balance"]) == ("2000.00", "470.00")
    tier = (await client.get(f"/v1/customers/{C1}/tier", headers=headers)).json()
    assert (tier["tier"], tier["multiplier"], tier["points_balance"]) == ("silver", "1.1", "470.00")


async def test_tiering_api_redemption_with_insufficient_points_is_409_and_changes_nothing(
    client, auth, tiering
):
    await tiering.register(C1)
    await tiering.give(C1, "1999.99")
    headers = auth("customer", sub=C1)
    before = await _everything(client, headers, C1)

    r = await client.post(
        f"/v1/customers/{C1}/points/redemptions",
        json={"kind": "tier_upgrade", "target_tier": "silver"},
        headers=headers,
    )
    assert r.status_code == 409
    assert "detail" in r.json()
    assert await _everything(client, headers, C1) == before


BAD_REDEMPTIONS = [
    {},
    {"kind": "cash"},
    {"kind": "sms_months", "sms_product": "SMS1", "months": 0},
    {"kind": "sms_months", "sms_product": "SMS1", "months": 37},
    {"kind": "sms_months", "sms_product": "SMS4", "months": 1},
    {"kind": "sms_months", "sms_product": "SMS1"},
    {"kind": "tier_upgrade"},
    {"kind": "tier_upgrade", "target_tier": "standard"},
    {"kind": "tier_upgrade", "target_tier": "diamond"},
    {"kind": "tier_upgrade", "target_tier": "silver", "points": "1"},
    [],
]


async def test_tiering_api_redemption_bad_body_is_422(client, auth, tiering):
    await tiering.register(C1)
    await tiering.give(C1, "50000.00")
    for body in BAD_REDEMPTIONS:
        r = await client.post(
            f"/v1/customers/{C1}/points/redemptions", json=body, headers=auth("customer", sub=C1)
        )
        assert r.status_code == 422, (body, r.text)
    assert await tiering.balance(C1) == 50000


async def test_tiering_api_redemption_not_an_upgrade_is_422(client, auth, tiering):
    await tiering.register(C1)
    await tiering.give(C1, "50000.00")
    await tiering.snapshot(C1, "600000.00")
    r = await client.post(
        f"/v1/customers/{C1}/points/redemptions",
        json={"kind": "tier_upgrade", "target_tier": "silver"},
        headers=auth("customer", sub=C1),
    )
    assert r.status_code == 422


async def test_tiering_api_redemption_idempotency_key_replays(client, auth, tiering):
    await tiering.register(C1)
    await tiering.give(C1, "100.00")
    url = f"/v1/customers/{C1}/points/redemptions"
    body = {"kind": "sms_months", "sms_product": "SMS2", "months": 2}
    headers = {**auth("customer", sub=C1), "Idempotency-Key": "order-42"}

    first = await client.post(url, json=body, headers=headers)
    again = await client.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["points_balance"] == "80.00"
    other = await client.post(url, json=body, headers={**headers, "Idempotency-Key": "order-43"})
    assert other.json()["id"] != first.json()["id"]
    assert await tiering.balance(C1) == 60
    # Another customer may use the same key for their own redemption.
    await tiering.register(C2)
    await tiering.give(C2, "100.00")
    r = await client.post(
        f"/v1/customers/{C2}/points/redemptions",
        json=body,
        headers={**auth("customer", sub=C2), "Idempotency-Key": "order-42"},
    )
    assert r.status_code == 201
    assert r.json()["id"] != first.json()["id"]


async def test_tiering_api_redemption_access(client, auth, tiering):
    await tiering.register(C1, branch_id="B001")
    await tiering.give(C1, "100.00")
    url = f"/v1/customers/{C1}/points/redemptions"
    body = {"kind": "sms_months", "sms_product": "SMS1", "months": 1}
    assert (await client.post(url, json=body)).status_code == 401
    assert (await client.post(url, json=body, headers=auth("customer", sub=C2))).status_code == 403
    assert (
        await client.post(url, json=body, headers=auth("staff", branch_id="B002"))
    ).status_code == 403
    assert (
        await client.post(url, json=body, headers=auth("service", scopes=["tiering:read"]))
    ).status_code == 403
    assert await tiering.balance(C1) == 100
    r = await client.post(url, json=body, headers=auth("staff", sub="S7", branch_id="B001"))
    assert r.status_code == 201


# ------------------------------------------------------------------------------------ staff


async def test_tiering_api_adjustments_need_a_reason_and_are_audited(client, auth, tiering):
    await tiering.register(C1, branch_id="B001")
    url = f"/v1/customers/{C1}/points/adjustments"
    staff = auth("staff", sub="S1", branch_id="B001")

    for bad in (
        {"points": "100.00"},
        {"points": "100.00", "reason": ""},
        {"points": "1", "reason": "x"},
    ):
        assert (await client.post(url, json=bad, headers=staff)).status_code == 422
    assert (
        await client.post(url, json={"points": "0", "reason": "nothing at all"}, headers=staff)
    ).status_code == 422
    assert await tiering.ledger(C1) == []

    r = await client.post(
        url, json={"points": "120.50", "reason": "complaint goodwill"}, headers=staff
    )
    assert r.status_code == 201, r.text
    assert (r.json()["points"], r.json()["kind"], r.json()["actor"]) == (
        "120.50",
        "adjustment",
        "staff:S1",
    )
    r = await client.post(url, json={"points": "-500", "reason": "duplicate credit"}, headers=staff)
    assert r.status_code == 409
    r = await client.post(
        url, json={"points": "-20.50", "reason": "duplicate credit"}, headers=staff
    )
    assert r.status_code == 201

    view = await client.get(url, headers=staff)
    assert view.status_code == 200
    assert [(a["points"], a["reason"], a["actor"]) for a in view.json()] == [
        ("-20.50", "duplicate credit", "staff:S1"),
        ("120.50", "complaint goodwill", "staff:S1"),
    ]
    assert await tiering.balance(C1) == 100

    body = {"points": "1", "reason": "a fine reason"}
    assert (await client.post(url, json=body, headers=auth("customer", sub=C1))).status_code == 403
    assert (await client.get(url, headers=auth("customer", sub=C1))).status_code == 403
    other = auth("staff", branch_id="B002")
    assert (await client.post(url, json=body, headers=other)).status_code == 403
    assert (await client.get(url, headers=other)).status_code == 403
    assert (await client.post(url, json=body)).status_code == 401


async def test_tiering_api_tier_history_for_staff(client, auth, tiering):
    await tiering.register(C1, branch_id="B001")
    await tiering.snapshot(C1, "150000.00", as_of=date(2026, 11, 20))
    url = f"/v1/customers/{C1}/tier-history"
    r = await client.get(url, headers=auth("staff", branch_id="B001"))
    assert r.status_code == 200
    assert [(h["old_tier"], h["new_tier"], h["reason"]) for h in r.json()] == [
        ("standard", "silver", "upgrade")
    ]
    assert (await client.get(url, headers=auth("customer", sub=C1))).status_code == 403


# ------------------------------------------------------------------------------------ config


async def test_tiering_api_config_read_and_update_with_scope(client, auth, tiering):
    staff = auth("staff", sub="S1")
    admin = auth("staff", sub="S9", scopes=["tiering:config"])
    r = await client.get("/v1/config", headers=staff)
    assert r.status_code == 200
    assert r.json() == {
        "silver_assets": "100000.00",
        "silver_commission": "2000.00",
        "gold_assets": "500000.00",
        "gold_commission": "10000.00",
        "platinum_assets": "2000000.00",
        "platinum_commission": "40000.00",
        "bonus_referral": "500.00",
        "bonus_anniversary": "200.00",
        "bonus_suggestion": "100.00",
    }
    defaults = r.json()
    assert (await client.get("/v1/config", headers=auth("customer", sub=C1))).status_code == 403
    assert (await client.get("/v1/config")).status_code == 401

    change = {"silver_assets": "80000", "bonus_referral": "600.00"}
    assert (await client.put("/v1/config", json=change, headers=staff)).status_code == 403
    assert (
        await client.put(
            "/v1/config", json=change, headers=auth("service", scopes=["tiering:config"])
        )
    ).status_code == 403
    r = await client.put("/v1/config", json=change, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["silver_assets"], r.json()["bonus_referral"]) == ("80000.00", "600.00")
    current = (await client.get("/v1/config", headers=staff)).json()
    assert current == {**defaults, "silver_assets": "80000.00", "bonus_referral": "600.00"}

    for bad in (
        {"silver_assets": "600000"},  # above gold
        {"gold_commission": "40000"},  # equal to platinum
        {"bonus_suggestion": "-1"},
        {"silver_assets": "abc"},
        {"silver_assets": 1.5},
        {"diamond_assets": "1"},
    ):
        r = await client.put("/v1/config", json=bad, headers=admin)
        assert r.status_code == 422, (bad, r.text)
    assert (await client.get("/v1/config", headers=staff)).json() == current

    # The thresholds in force are the configured ones.
    await tiering.snapshot(C1, "80000.00")
    assert await tiering.tier(C1) == "silver"


# ------------------------------------------------------------------------------------ jobs


async def test_tiering_api_jobs_need_scope(client, auth, tiering):
    await tiering.register(C1, opened_on=date(2025, 11, 20))
    await tiering.snapshot(C1, "600000.00", as_of=date(2026, 11, 2))
    await tiering.snapshot(C1, "1000.00", as_of=date(2026, 11, 3))
    jobs = auth("service", sub="scheduler", scopes=["tiering:jobs"])

    for path in ("/v1/jobs/tier-review", "/v1/jobs/anniversaries"):
        assert (await client.post(path)).status_code == 401
        for caller in (
            auth("staff", scopes=["tiering:jobs"]),
            auth("customer", sub=C1),
            auth("service", scopes=["tiering:read"]),
        ):
            assert (
                await client.post(path, params={"on": "2026-12-01"}, headers=caller)
            ).status_code == 403
    assert await tiering.tier(C1) == "gold"

    r = await client.post("/v1/jobs/tier-review", params={"on": "2026-12-01"}, headers=jobs)
    assert r.status_code == 200
    assert r.json() == {"job": "tier-review", "on": "2026-12-01", "count": 1}
    assert await tiering.tier(C1) == "standard"
    r = await client.post("/v1/jobs/tier-review", params={"on": "2026-12-01"}, headers=jobs)
    assert r.json()["count"] is None  # this month's review already ran

    r = await client.post("/v1/jobs/anniversaries", params={"on": "2026-11-20"}, headers=jobs)
    assert r.json() == {"job": "anniversaries", "on": "2026-11-20", "count": 1}
    r = await client.post("/v1/jobs/anniversaries", params={"on": "2026-11-20"}, headers=jobs)
    assert r.json()["count"] == 0
    assert (
        await client.post("/v1/jobs/anniversaries", params={"on": "someday"}, headers=jobs)
    ).status_code == 422


async def test_tiering_api_health_needs_no_token(client):
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/metrics")).status_code == 200


async def test_tiering_api_a_referrer_first_met_through_a_bonus_can_see_and_spend_it(
    client, auth, tiering
):
    # C1 opened an account before tiering knew anyone: only the referral tells us about C1.
    await tiering.register(C2, referrer_id=C1)
    headers = auth("customer", sub=C1)
    r = await client.get(f"/v1/customers/{C1}/tier", headers=headers)
    assert r.status_code == 200
    assert (r.json()["tier"], r.json()["points_balance"]) == ("standard", "500.00")
    r = await client.post(
        f"/v1/customers/{C1}/points/redemptions",
        json={"kind": "sms_months", "sms_product": "SMS1", "months": 12},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["points_balance"] == "380.00"
