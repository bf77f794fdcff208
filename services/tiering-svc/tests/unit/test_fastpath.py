"""The routing fast path's shortcuts give exactly what the general code gives."""

from __future__ import annotations

from urllib.parse import parse_qs

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tiering_svc.routing.fastpath import parse_query
from tiering_svc.routing.read_model import PLAIN_QUERY, UNKNOWN_JSON, RoutingModel
from tiering_svc.routing.rules import caller_query
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


def _asked(model: RoutingModel, query: str) -> bytes:
    """What the general way answers a query: parse_qs, caller_query, the model's dicts."""
    values = parse_qs(query)
    phone, customer_id = caller_query(values.get("phone"), values.get("customer_id"))
    return model.answer_json(phone=phone, customer_id=customer_id)


_IDS = ["C1", "C2", "C3", "C 4", "C%5"]  # the last two are kept by neither spelling
_PHONES = ["13900000001", "13900000002", "8613900000003", "+8613900000004", "1390"]
_STEPS = st.one_of(
    st.tuples(st.just("tier"), st.sampled_from(_IDS), st.sampled_from([t.value for t in Tier])),
    st.tuples(st.just("phone"), st.sampled_from(_IDS), st.sampled_from(_PHONES)),
    st.tuples(
        st.just("group"),
        st.sampled_from(_IDS),
        st.tuples(st.sampled_from([None, "G1", 'G"2']), st.sampled_from(["2026-11", "2026-12"])),
    ),
)


@given(st.lists(_STEPS, max_size=25))
def test_every_kept_answer_is_what_the_general_way_answers(
    steps: list[tuple[str, str, object]],
) -> None:
    """The fast path answers a query found in ``model.answers`` from there alone: whatever
    changed before, each kept answer must be the general way's answer to that query, and a
    known caller asked plainly must be found there."""
    model = RoutingModel()
    for kind, cid, value in steps:
        if kind == "tier":
            model.set_tier(cid, value)
        elif kind == "phone":
            model.set_phone(cid, value)
        else:
            model.set_group(cid, value[0], value[1])
    for query, body in model.answers.items():
        assert body == _asked(model, query.decode()), query
    plain = [f"customer_id={cid}" for cid in ("C1", "C2", "C3") if cid in model.tier_by_customer]
    plain += [f"phone={p}" for p in model.customer_by_phone if p in _PHONES[:2]]
    for query in plain:
        assert model.answers[query.encode()] == _asked(model, query), query
    # Asked plainly, a caller not kept is unknown: what the fast path answers without asking
    # the general way (an id and a phone perhaps unknown, one surely unknown of each).
    asked = ["customer_id=C2", "customer_id=C9", "phone=13900000002", "phone=13900000009"]
    for query in [*plain, *asked]:
        assert PLAIN_QUERY(query.encode())
        assert model.answers.get(query.encode(), UNKNOWN_JSON) == _asked(model, query), query
    # Spelled otherwise, a caller is not kept: the general way answers it.
    assert not any(b"+" in q or b"%" in q or b"=86" in q for q in model.answers)
