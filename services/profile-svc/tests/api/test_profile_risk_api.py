"""The risk questionnaire over HTTP: api.md example end to end, history, validity, bad answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from profile_svc.dependencies import get_today

Auth = Callable[..., dict[str, str]]
Create = Callable[..., Awaitable[dict[str, Any]]]

# Options behind the api.md example: five option-3 capacity items (B = 30), tolerance items
# 2, 2, 3, 3, 4 (D = 32) and a 10 % acceptable loss (C = 20); age 31 on 2026-11-22 (A = 44).
EXAMPLE_ANSWERS = {
    "job": 3,
    "burden": 3,
    "assets": 3,
    "experience": 3,
    "knowledge": 3,
    "priority": 2,
    "stop_loss": 2,
    "if_loss": 3,
    "watching": 3,
    "results": 4,
    "max_loss_pct": 10,
}
EXAMPLE_RESPONSE = {
    "capacity": {"score": 74, "level": "mid_high"},
    "tolerance": {"score": 52, "level": "mid"},
    "allocation": {"low": 0, "mid": 40, "high": 60},
    "risk_level": "C3",
    "assessed_on": "2026-11-22",
    "valid_until": "2028-11-22",
}


async def test_the_api_example_end_to_end(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create, outbox_events: Any
) -> None:
    body = await create_customer(birth_date="1995-11-22")
    me = auth("customer", sub=body["customer_id"])
    response = await client.post(
        f"/v1/customers/{body['customer_id']}/risk-assessments",
        json={"answers": EXAMPLE_ANSWERS},
        headers=me,
    )
    assert response.status_code == 201, response.text
    got = response.json()
    assert {k: got[k] for k in EXAMPLE_RESPONSE} == EXAMPLE_RESPONSE
    assert got["assessment_id"]

    [event] = await outbox_events("RiskProfileAssessed")
    assert event["_key"] == body["customer_id"]
    assert event["data"] | {"assessment_id": None} == {
        "customer_id": body["customer_id"],
        "assessment_id": None,
        "capacity_score": 74,
        "capacity_level": "mid_high",
        "tolerance_score": 52,
        "tolerance_level": "mid",
        "risk_level": "C3",
        "assessed_on": "2026-11-22",
        "valid_until": "2028-11-22",
    }

    profile = (
        await client.get(f"/v1/customers/{body['customer_id']}/risk-profile", headers=me)
    ).json()
    assert profile["status"] == "valid"
    assert profile["valid"] is True
    assert profile["risk_level"] == "C3"
    assert profile["valid_until"] == "2028-11-22"
    assert profile["current"]["assessment_id"] == got["assessment_id"]


async def test_age_is_taken_on_the_assessment_day(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    # Born a day later: still 30 on 2026-11-22, one more age point.
    body = await create_customer(birth_date="1995-11-23")
    got = (
        await client.post(
            f"/v1/customers/{body['customer_id']}/risk-assessments",
            json={"answers": EXAMPLE_ANSWERS},
            headers=auth("staff"),
        )
    ).json()
    assert got["capacity"] == {"score": 75, "level": "mid_high"}


async def test_history_is_newest_first_and_the_profile_expires(
    app: FastAPI, client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    body = await create_customer()
    url = f"/v1/customers/{body['customer_id']}"
    missing = (await client.get(f"{url}/risk-profile", headers=auth("staff"))).json()
    assert missing == {
        "customer_id": body["customer_id"],
        "status": "missing",
        "valid": False,
        "risk_level": None,
        "valid_until": None,
        "current": None,
    }
    cautious = {**EXAMPLE_ANSWERS, "max_loss_pct": 0, "priority": 5, "stop_loss": 5}
    first = (
        await client.post(
            f"{url}/risk-assessments", json={"answers": cautious}, headers=auth("staff", sub="S1")
        )
    ).json()
    second = (
        await client.post(
            f"{url}/risk-assessments",
            json={"answers": EXAMPLE_ANSWERS},
            headers=auth("customer", sub=body["customer_id"]),
        )
    ).json()
    history = (await client.get(f"{url}/risk-assessments", headers=auth("staff"))).json()
    assert [h["assessment_id"] for h in history] == [
        second["assessment_id"],
        first["assessment_id"],
    ]
    assert history[0]["assessed_by"] == f"customer:{body['customer_id']}"
    assert history[1]["assessed_by"] == "staff:S1"
    assert history[1]["answers"] == cautious
    assert history[1]["age"] == 31
    assert first["risk_level"] == "C2"
    assert second["risk_level"] == "C3"

    app.dependency_overrides[get_today] = lambda: date(2028, 11, 22)
    assert (await client.get(f"{url}/risk-profile", headers=auth("staff"))).json()[
        "status"
    ] == "valid"
    app.dependency_overrides[get_today] = lambda: date(2028, 11, 23)
    expired = (await client.get(f"{url}/risk-profile", headers=auth("staff"))).json()
    assert expired["status"] == "expired"
    assert expired["valid"] is False
    assert expired["risk_level"] == "C3"


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"job": 0}, "job"),
        ({"burden": 6}, "burden"),
        ({"assets": -1}, "assets"),
        ({"experience": "3"}, "experience"),  # options are numbers, not text
        ({"knowledge": True}, "knowledge"),  # nor booleans
        ({"priority": 2.5}, "priority"),
        ({"stop_loss": None}, "stop_loss"),
        ({"if_loss": 9}, "if_loss"),
        ({"watching": 0}, "watching"),
        ({"results": 6}, "results"),
        ({"max_loss_pct": 101}, "max_loss_pct"),
        ({"max_loss_pct": -1}, "max_loss_pct"),
        ({"mood": 3}, "mood"),
    ],
)
async def test_answers_out_of_range_are_a_422_naming_the_item(
    offline_client: httpx.AsyncClient, auth: Auth, answers: dict[str, Any], field: str
) -> None:
    response = await offline_client.post(
        "/v1/customers/C000001/risk-assessments",
        json={"answers": {**EXAMPLE_ANSWERS, **answers}},
        headers=auth("staff"),
    )
    assert response.status_code == 422
    assert ["body", "answers", field] in [e["loc"][:3] for e in response.json()["detail"]]


async def test_a_missing_answer_is_named(offline_client: httpx.AsyncClient, auth: Auth) -> None:
    answers = {k: v for k, v in EXAMPLE_ANSWERS.items() if k != "watching"}
    response = await offline_client.post(
        "/v1/customers/C000001/risk-assessments", json={"answers": answers}, headers=auth("staff")
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "answers", "watching"]


async def test_who_may_assess_and_read(
    client: httpx.AsyncClient, auth: Auth, create_customer: Create
) -> None:
    body = await create_customer()
    other = await create_customer()
    url = f"/v1/customers/{body['customer_id']}/risk-assessments"
    payload = {"answers": EXAMPLE_ANSWERS}
    assert (
        await client.post(url, json=payload, headers=auth("customer", sub=other["customer_id"]))
    ).status_code == 403
    assert (
        await client.post(url, json=payload, headers=auth("staff", branch_id="B002"))
    ).status_code == 403
    assert (
        await client.post(url, json=payload, headers=auth("service", scopes=["profile:read"]))
    ).status_code == 403
    assert (await client.post(url, json=payload)).status_code == 401
    assert (
        await client.get(url, headers=auth("customer", sub=other["customer_id"]))
    ).status_code == 403
    assert (
        await client.get(url, headers=auth("service", scopes=["profile:read"]))
    ).status_code == 200
    missing = "/v1/customers/C999999/risk-assessments"
    assert (await client.post(missing, json=payload, headers=auth("staff"))).status_code == 403
