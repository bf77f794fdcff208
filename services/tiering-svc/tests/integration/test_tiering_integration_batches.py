"""Trade batches on a real database: tiers changing inside a batch, trades already in the
ledger, and trades as the consumer's fast decoder hands them over (domain.md §2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from brokerage_common.wire import fast_decoder

D = Decimal
DECODE = fast_decoder(frozenset({"TradeSettled"}))
assert DECODE is not None


def as_on_the_wire(env: Any) -> Any:
    """The envelope as the consumer's fast path decodes it (msgspec struct, money as text)."""
    return DECODE(env.to_json())


async def test_tiering_a_later_trade_reaching_the_threshold_upgrades_the_trades_after_it(
    tiering, build
):
    # 1,000 + 999.99 = 1,999.99 stays standard; the 0.01 makes exactly 2,000 (inclusive):
    # silver from the next trade on, within the same batch.
    cid = "C300001"
    await tiering.settle(
        build.trade(cid, "1000.00", trade_id="T-LATE-1"),
        build.trade(cid, "999.99", trade_id="T-LATE-2"),
        build.trade(cid, "0.01", trade_id="T-LATE-3"),
        build.trade(cid, "10.00", trade_id="T-LATE-4"),
    )
    entries = await tiering.ledger(cid)
    assert [(e.points, e.tier) for e in entries] == [
        (D("1000.00"), "standard"),
        (D("999.99"), "standard"),
        (D("0.01"), "standard"),
        (D("11.00"), "silver"),
    ]
    assert entries[0].reason == "commission 1000.00 x 1.0 (standard)"
    assert entries[3].reason == "commission 10.00 x 1.1 (silver)"
    assert await tiering.tier(cid) == "silver"
    assert await tiering.balance(cid) == D("2011.00")


async def test_tiering_one_batch_can_lift_a_customer_two_tiers_one_trade_at_a_time(tiering, build):
    cid = "C300002"
    await tiering.settle(
        build.trade(cid, "6000.00", trade_id="T-TWO-1"),  # standard; 6,000 makes silver
        build.trade(cid, "4000.00", trade_id="T-TWO-2"),  # x 1.1; 10,000 makes gold
        build.trade(cid, "10.00", trade_id="T-TWO-3"),  # x 1.2
    )
    assert [e.points for e in await tiering.ledger(cid)] == [D("6000.00"), D("4400.00"), D("12.00")]
    changes = await tiering.events("TierChanged", cid)
    assert [(c["old_tier"], c["new_tier"]) for c in changes] == [
        ("standard", "silver"),
        ("silver", "gold"),
    ]
    assert [(h.old_tier, h.new_tier) for h in await tiering.history(cid)] == [
        ("standard", "silver"),
        ("silver", "gold"),
    ]


async def test_tiering_a_batch_with_a_trade_already_in_the_ledger_counts_it_once(tiering, build):
    # T-OLD-1 (1,999.00) is in the ledger. Counted again, it would make the batch's first
    # new trade silver; counted once, 1,999 + 1 reaches 2,000 only after T-OLD-2.
    cid = "C300003"
    assert await tiering.settle(build.trade(cid, "1999.00", trade_id="T-OLD-1")) == 1
    applied = await tiering.settle(
        build.trade(cid, "1999.00", trade_id="T-OLD-1"),  # the same trade, a new event id
        build.trade(cid, "1.00", trade_id="T-OLD-2"),
        build.trade(cid, "10.00", trade_id="T-OLD-3"),
    )
    assert applied == 2
    assert [(e.source_ref, e.points) for e in await tiering.ledger(cid)] == [
        ("T-OLD-1", D("1999.00")),
        ("T-OLD-2", D("1.00")),
        ("T-OLD-3", D("11.00")),
    ]
    assert await tiering.balance(cid) == D("2011.00")
    assert await tiering.commissions(cid) == {"2026-11": D("2010.00")}
    # One upgrade, once: nothing of the undone first attempt is left behind.
    assert len(await tiering.events("TierChanged", cid)) == 1
    assert len(await tiering.history(cid)) == 1


async def test_tiering_a_batch_entirely_in_the_ledger_changes_nothing(tiering, build):
    cid = "C300004"
    batch = [build.trade(cid, f"{n}.00", trade_id=f"T-ALL-{n}") for n in range(1, 6)]
    assert await tiering.settle(*batch) == 5
    before = (await tiering.balance(cid), await tiering.commissions(cid))
    assert await tiering.settle(*batch) == 0
    assert (await tiering.balance(cid), await tiering.commissions(cid)) == before
    assert len(await tiering.ledger(cid)) == 5


async def test_tiering_trades_from_the_fast_decoder_are_awarded_as_the_contracts(tiering, build):
    # The same trades, once as pydantic envelopes and once as the wire structs the worker's
    # consumer hands over: the same entries to the fen.
    for cid, convert in (("C300005", lambda e: e), ("C300006", as_on_the_wire)):
        await tiering.snapshot(cid, "100000.00")
        envs = [
            build.trade(cid, commission, trade_id=f"T-W-{cid}-{n}")
            for n, commission in enumerate(("38.35", "0.05", "1999.60", "12.34"))
        ]
        assert await tiering.settle(*(convert(e) for e in envs)) == 4
    a, b = (await tiering.ledger("C300005")), (await tiering.ledger("C300006"))
    assert [(e.points, e.commission, e.tier, e.reason) for e in a] == [
        (e.points, e.commission, e.tier, e.reason) for e in b
    ]
    assert [e.points for e in b] == [D("42.19"), D("0.06"), D("2199.56"), D("13.57")]
    assert await tiering.balance("C300006") == D("2255.38")
