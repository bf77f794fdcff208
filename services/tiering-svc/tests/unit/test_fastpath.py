"""The routing fast path's shortcuts give exactly what the general code gives."""

from __future__ import annotations

from urllib.parse import parse_qs

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tiering_svc.routing.fastpath import parse_query
from tiering_svc.routing.read_model import RoutingModel
from tiering_svc.rules import Tier


@pytest.mark.parametrize(
    "query",
    [
        "",
        "phone=13900000001",
        "customer_id=C500001",
        "phone=13900000001&customer_id=C500001",
        "phone=",
        "phone",
        "&&phone=1&",
        "=1",
        "phone=1&phone=2",
        "phone=1=2",
        "phone=%2B8613900000001",  # quoted: parse_qs itself
        "phone=+8613900000001",  # "+" is a space: parse_qs itself
        "a;b=1&phone=2",
    ],
)
def test_parse_query_is_parse_qs(query: str) -> None:
    assert parse_query(query) == parse_qs(query)


@given(st.text(alphabet="ab=&;%+2B 1é", max_size=30))
def test_parse_query_is_parse_qs_for_any_query(query: str) -> None:
    assert parse_query(query) == parse_qs(query)


def test_answer_json_is_the_answer_serialised_for_every_tier_and_unknown_callers() -> None:
    model = RoutingModel()
    for n, tier in enumerate(Tier, start=1):
        model.set_phone(f"C{n}", f"1390000000{n}")
        model.set_tier(f"C{n}", tier.value)
    model.customer_by_phone["13900000009"] = "C9"  # a phone whose customer has no tier yet
    asks = [{"phone": f"1390000000{n}"} for n in range(1, 5)]
    asks += [{"customer_id": f"C{n}"} for n in range(1, 5)]
    asks += [{"phone": "13900000009"}, {"customer_id": "C9"}, {"phone": "10000"}, {}]
    for ask in asks:
        assert model.answer_json(**ask) == orjson.dumps(model.answer(**ask)), ask
    assert orjson.loads(model.answer_json(phone="13900000004")) == {
        "customer_id": "C4",
        "tier": "platinum",
        "queue": "dedicated",
        "priority": True,
        "group_id": None,
    }  # api.md: platinum has the dedicated line and priority


def test_answer_json_names_the_group_of_gold_and_platinum_callers_only() -> None:
    model = RoutingModel()
    for n, tier in enumerate(Tier, start=1):
        model.set_phone(f"C{n}", f"1390000000{n}")
        model.set_tier(f"C{n}", tier.value)
        model.set_group(f"C{n}", f'G"{n}', "2026-12")  # a quote: escaped like orjson does
    model.set_tier("C9", "gold")  # gold, no group
    expected = {"C1": None, "C2": None, "C3": 'G"3', "C4": 'G"4', "C9": None}
    for cid, group in expected.items():
        answer = model.answer(customer_id=cid)
        assert answer["group_id"] == group, cid
        assert model.answer_json(customer_id=cid) == orjson.dumps(answer), cid
    assert model.answer(customer_id="C404")["group_id"] is None


def test_a_later_months_group_replaces_an_earlier_one_never_the_reverse() -> None:
    model = RoutingModel()
    model.set_tier("C1", "platinum")
    model.set_group("C1", "G1", "2026-11")
    model.set_group("C1", "G2", "2026-12")
    model.set_group("C1", "G0", "2026-10")  # late
    assert model.answer(customer_id="C1")["group_id"] == "G2"
