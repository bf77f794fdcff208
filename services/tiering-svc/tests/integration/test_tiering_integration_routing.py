"""The routing read model on a real database: snapshot load, then phone and tier change events."""

from __future__ import annotations

from datetime import date

import orjson

from brokerage_common import events as ev
from brokerage_common import new_envelope
from tiering_svc.routing.read_model import RoutingModel

UNKNOWN = {
    "customer_id": None,
    "tier": None,
    "queue": "general",
    "priority": False,
    "group_id": None,
}


async def test_tiering_routing_model_follows_phone_changes(tiering):
    await tiering.register("C600001", phone="13900060001")
    await tiering.snapshot("C600001", "500000.00")
    model = RoutingModel()
    await model.load(tiering.db)
    gold = {
        "customer_id": "C600001",
        "tier": "gold",
        "queue": "dedicated",
        "priority": False,
        "group_id": None,
    }
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


def assigned(customer_id: str, group_id: str | None, month: str) -> object:
    return new_envelope(
        ev.CustomerAssigned(
            customer_id=customer_id,
            group_id=group_id,
            branch_id="B001",
            month=month,
            effective_on=date.fromisoformat(f"{month}-01"),
        ),
        source="ops-assessment-svc",
    )


async def test_tiering_routing_names_the_group_of_gold_and_platinum_callers(tiering):
    await tiering.register("C600011", phone="13900060011")
    await tiering.snapshot("C600011", "500000.00")  # gold
    await tiering.register("C600012", phone="13900060012")
    await tiering.snapshot("C600012", "100000.00")  # silver: no group in its answer
    on_assigned = tiering.handlers[ev.CustomerAssigned.TYPE]
    for env in (
        assigned("C600011", "G01", "2026-11"),
        assigned("C600012", "G02", "2026-11"),
        assigned("C600011", "G03", "2026-12"),
        assigned("C600011", "G00", "2026-10"),  # an earlier month, late: changes nothing
        assigned("C600013", "G04", "2026-12"),  # not met yet: kept for when the tier comes
    ):
        await tiering.handle(on_assigned, env)
    await tiering.handle(on_assigned, assigned("C600011", "G03", "2026-12"))  # replayed

    gold = await tiering.state("C600011")
    assert (gold.group_id, gold.group_month, gold.tier) == ("G03", "2026-12", "gold")
    assert (await tiering.state("C600013")).group_id == "G04"

    model = RoutingModel()
    await model.load(tiering.db)
    assert model.answer(phone="13900060011") == {
        "customer_id": "C600011",
        "tier": "gold",
        "queue": "dedicated",
        "priority": False,
        "group_id": "G03",
    }
    assert model.answer(phone="13900060012")["group_id"] is None  # silver
    assert model.answer(customer_id="C600013")["group_id"] is None  # standard
    assert model.answer(phone="13700000000")["group_id"] is None  # unknown

    # Followed live: a new month's assignment, then the customer's upgrade to platinum.
    model.apply(assigned("C600012", "G05", "2027-01").to_json())  # type: ignore[attr-defined]
    platinum = new_envelope(
        ev.TierChanged(
            customer_id="C600012",
            old_tier="silver",
            new_tier="platinum",
            reason="upgrade",
            effective_on=date(2027, 1, 5),
        ),
        source="tiering-svc",
    )
    model.apply(platinum.to_json())
    assert model.answer(phone="13900060012")["group_id"] == "G05"


async def test_tiering_routing_drops_the_group_when_ops_sends_the_customer_back_to_the_branch(
    tiering,
):
    """ops-assessment-svc's CustomerAssigned with group_id null (a dissolved group, ADR 0011):
    the gold caller's answer names no group any more, in the table and in the live model."""
    await tiering.register("C600021", phone="13900060021")
    await tiering.snapshot("C600021", "500000.00")  # gold
    on_assigned = tiering.handlers[ev.CustomerAssigned.TYPE]
    await tiering.handle(on_assigned, assigned("C600021", "G01", "2026-11"))
    model = RoutingModel()
    await model.load(tiering.db)
    assert model.answer(phone="13900060021")["group_id"] == "G01"

    back = assigned("C600021", None, "2026-11")
    await tiering.handle(on_assigned, back)
    assert (await tiering.state("C600021")).group_id is None
    model.apply(back.to_json())  # type: ignore[attr-defined]
    answer = model.answer(phone="13900060021")
    assert (answer["queue"], answer["group_id"]) == ("dedicated", None)
    assert orjson.loads(model.answer_json(phone="13900060021")) == answer
    reloaded = RoutingModel()
    await reloaded.load(tiering.db)
    assert reloaded.answer(phone="13900060021")["group_id"] is None
