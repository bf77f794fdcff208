"""Readiness means "routing can answer" (issue 16 item 2): a loaded read model, whatever the
broker does. The test settings point the broker at a closed port: it is down throughout."""

from __future__ import annotations

from contextlib import asynccontextmanager


@asynccontextmanager
async def running(app):
    async with app.router.lifespan_context(app):
        yield


async def test_routing_is_ready_and_answers_while_the_broker_is_down(app, client, tiering, auth):
    await tiering.register("C700001", phone="13900007001")
    await tiering.snapshot("C700001", "500000.00")
    # Before the read model is loaded, routing could only answer "unknown": not ready.
    assert (await client.get("/readyz")).status_code == 503
    async with running(app):
        assert (await client.get("/readyz")).status_code == 200
        r = await client.get(
            "/v1/routing",
            params={"phone": "13900007001"},
            headers=auth("service", sub="call-center", scopes=["routing:read"]),
        )
        assert r.status_code == 200
        assert r.json()["tier"] == "gold"
        text = (await client.get("/metrics")).text
        assert 'brokerage_dependency_up{dependency="broker",service="tiering-svc"} 0.0' in text
        assert 'brokerage_dependency_up{dependency="database",service="tiering-svc"} 1.0' in text
