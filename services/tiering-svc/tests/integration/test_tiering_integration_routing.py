"""The routing read model on a real database: snapshot load, then phone and tier change events."""

from __future__ import annotations

from datetime import date

from brokerage_common import events as ev
from brokerage_common import new_envelope
from tiering_svc.routing.read_model import RoutingModel

UNKNOWN = {"customer_id": None, "tier": None, "queue": "general", "priority": False}


async def test_tiering_routing_model_follows_phone_changes(tiering):
    await tiering.register("C600001", phone="13900060001")
    await tiering.snapshot("C600001", "500000.00")
    model = RoutingModel()
    await model.load(tiering.db)
    gold = {"customer_id": "C600001", "tier": "gold", "queue": "dedicated", "priority": False}
    assert model.answer(phone="13900060001") == gold

    changed = new_envelope(
        ev.CustomerProfileUpdated(customer_id="C600001", phone="13900060002"),
        source="profile-svc",
    )
    await tiering.handle(tiering.handlers[ev.CustomerProfileUpdated.TYPE], changed)
    model.apply(changed.to_json())

    assert (await tiering.state("C600001")).phone == "13900060002"
    assert model.answer(phone="13900060002") == gold
    assert model.answer(phone="13900060001") == UNKNOWN
    # A fresh snapshot agrees with what the events said.
    reloaded = RoutingModel()
    await reloaded.load(tiering.db)
    assert reloaded.answer(phone="13900060002") == gold
    assert reloaded.answer(phone="13900060001") == UNKNOWN


async def test_tiering_routing_model_ignores_what_it_cannot_use():
    model = RoutingModel()
    model.set_tier("C600002", "silver")
    before = model.answer(customer_id="C600002")
    bad_tier = new_envelope(
        ev.TierChanged(
            customer_id="C600002",
            old_tier="silver",
            new_tier="gold",
            reason="upgrade",
            effective_on=date(2026, 11, 20),
        ),
        source="tiering-svc",
    ).to_json()
    for value in (
        b"not json",
        b"[]",
        b'{"type": "TierChanged", "data": null}',
        bad_tier.replace(b'"new_tier":"gold"', b'"new_tier":"diamond"'),
        b'{"type": "CustomerRegistered", "data": {"customer_id": "C600002", "phone": 5}}',
    ):
        model.apply(value)
    assert model.answer(customer_id="C600002") == before
    model.apply(bad_tier)
    assert model.answer(customer_id="C600002")["tier"] == "gold"
