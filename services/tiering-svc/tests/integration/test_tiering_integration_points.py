"""Points on a real database: trades, duplicates, cancellations and bonuses (domain.md §2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from brokerage_common import events as ev
from brokerage_common import new_envelope
from tiering_svc.tiers import service as tiers

D = Decimal


# ------------------------------------------------------------------------------- trades


async def test_tiering_trade_awards_commission_times_multiplier_of_tier_in_force(tiering, build):
    cases = [
        # 38.35 x 1.1 = 42.185 and x 1.3 = 49.855: half-up gives .19 and .86 (half-even would not).
        ("C100001", "0.00", "standard", "38.35"),
        ("C100101", "100000.00", "silver", "42.19"),
        ("C100201", "500000.00", "gold", "46.02"),
        ("C100301", "2000000.00", "platinum", "49.86"),
    ]
    for cid, assets, tier, expected in cases:
        await tiering.snapshot(cid, assets)
        assert await tiering.tier(cid) == tier

        trade_id = f"T-MULT-{cid}"
        assert await tiering.settle(build.trade(cid, "38.35", trade_id=trade_id)) == 1

        [entry] = await tiering.ledger(cid)
        assert (entry.kind, entry.points, entry.tier, entry.source_ref) == (
            "trade",
            D(expected),
            tier,
            trade_id,
        )
        assert await tiering.balance(cid) == D(expected)


async def test_tiering_same_trade_twice_or_under_new_event_id_is_awarded_once(tiering, build):
    env = build.trade("C100002", "100.00", trade_id="T-DUP-1")
    same_trade_new_id = build.trade("C100002", "100.00", trade_id="T-DUP-1")
    assert same_trade_new_id.id != env.id

    assert await tiering.settle(env) == 1
    assert await tiering.settle(env) == 0
    assert await tiering.settle(same_trade_new_id) == 0
    # Both copies in one batch, next to a new trade: only the new one counts.
    assert await tiering.settle(same_trade_new_id, env, build.trade("C100002", "1.00")) == 1

    assert [e.points for e in await tiering.ledger("C100002")] == [D("100.00"), D("1.00")]
    assert await tiering.balance("C100002") == D("101.00")
    assert await tiering.commissions("C100002") == {"2026-11": D("101.00")}


async def test_tiering_trades_in_one_batch_each_use_the_tier_then_in_force(tiering, build):
    # The first trade lifts the trailing commission to 2,000 (silver): later trades earn 1.1.
    await tiering.settle(
        build.trade("C100003", "2000.00", trade_id="T-B-1"),
        build.trade("C100003", "10.00", trade_id="T-B-2"),
    )
    assert await tiering.tier("C100003") == "silver"
    assert [e.points for e in await tiering.ledger("C100003")][1] == D("11.00")


# ------------------------------------------------------------------------------- cancellations


async def test_tiering_cancel_reverses_with_a_compensating_entry_once(tiering, build):
    await tiering.settle(build.trade("C100010", "88.88", trade_id="T-CXL-1"))
    await tiering.settle(build.trade("C100010", "11.12", trade_id="T-CXL-2"))

    assert await tiering.cancel("C100010", "T-CXL-1") == D("88.88")
    assert await tiering.cancel("C100010", "T-CXL-1") is None  # redelivered cancel

    entries = await tiering.ledger("C100010")
    assert [(e.kind, e.points, e.source_ref) for e in entries] == [
        ("trade", D("88.88"), "T-CXL-1"),
        ("trade", D("11.12"), "T-CXL-2"),
        ("reversal", D("-88.88"), "T-CXL-1"),
    ]
    assert await tiering.balance("C100010") == D("11.12")
    # The cancelled commission no longer counts towards the tier.
    assert await tiering.commissions("C100010") == {"2026-11": D("11.12")}
    awarded = await tiering.events("PointsAwarded", "C100010")
    assert [(a["points"], a["reason"]) for a in awarded] == [("-88.88", "reversal")]

    # The cancelled trade sent again (a new event id) is not awarded again.
    assert await tiering.settle(build.trade("C100010", "88.88", trade_id="T-CXL-1")) == 0
    assert await tiering.balance("C100010") == D("11.12")


async def test_tiering_cancel_of_an_unknown_trade_changes_nothing(tiering):
    assert await tiering.cancel("C100011", "T-NEVER") is None
    assert await tiering.ledger("C100011") == []


async def test_tiering_reversal_never_drives_the_balance_negative(tiering, build):
    await tiering.settle(build.trade("C100012", "300.00", trade_id="T-SPENT-1"))
    await tiering.redeem("C100012", kind="sms_months", sms_product="SMS1", months=25)
    assert await tiering.balance("C100012") == D("50.00")

    assert await tiering.cancel("C100012", "T-SPENT-1") == D("50.00")

    assert await tiering.balance("C100012") == D("0.00")
    entries = await tiering.ledger("C100012")
    assert [(e.kind, e.points) for e in entries] == [
        ("trade", D("300.00")),
        ("redemption", D("-250.00")),
        ("reversal", D("-50.00")),
    ]
    assert "already spent" in entries[-1].reason
    assert await tiering.cancel("C100012", "T-SPENT-1") is None
    assert await tiering.balance("C100012") == D("0.00")


# ------------------------------------------------------------------------------- bonuses


async def test_tiering_referral_bonus_once_even_if_redelivered(tiering):
    await tiering.register("C100020")
    await tiering.register("C100021", referrer_id="C100020")
    await tiering.register("C100021", referrer_id="C100020")  # the same fact again

    [entry] = await tiering.ledger("C100020")
    assert (entry.kind, entry.points, entry.source_ref) == ("referral", D("500.00"), "C100021")
    assert await tiering.balance("C100020") == D("500.00")
    assert await tiering.ledger("C100021") == []
    assert len(await tiering.events("PointsAwarded", "C100020")) == 1


async def test_tiering_registration_without_referrer_pays_nobody(tiering):
    await tiering.register("C100022")
    assert await tiering.ledger("C100022") == []
    state = await tiering.state("C100022")
    assert (state.tier, state.branch_id, state.opened_on) == ("standard", "B001", date(2020, 5, 10))


async def test_tiering_anniversary_bonus_once_per_customer_and_year(tiering):
    await tiering.register("C100030", opened_on=date(2025, 11, 20))
    await tiering.register("C100031", opened_on=date(2026, 3, 1))  # not a year yet

    assert await tiering.anniversaries(date(2026, 11, 19)) == 0
    assert await tiering.anniversaries(date(2026, 11, 20)) == 1
    assert await tiering.anniversaries(date(2026, 11, 20)) == 0  # the job runs twice a day
    assert await tiering.anniversaries(date(2026, 11, 21)) == 0  # and again tomorrow

    [entry] = await tiering.ledger("C100030")
    assert (entry.kind, entry.points) == ("anniversary", D("200.00"))
    assert await tiering.ledger("C100031") == []

    assert await tiering.anniversaries(date(2027, 11, 20)) == 1  # the second year
    assert await tiering.balance("C100030") == D("400.00")


async def test_tiering_anniversary_of_a_leap_day_account(tiering):
    await tiering.register("C100032", opened_on=date(2024, 2, 29))

    # In a common year the year completes on Feb 28.
    assert await tiering.anniversaries(date(2025, 2, 27)) == 0
    assert await tiering.anniversaries(date(2025, 2, 28)) == 1
    assert await tiering.anniversaries(date(2025, 3, 1)) == 0
    assert await tiering.anniversaries(date(2026, 2, 28)) == 1
    assert await tiering.anniversaries(date(2027, 2, 28)) == 1
    # In a leap year it completes on Feb 29, not a day earlier.
    assert await tiering.anniversaries(date(2028, 2, 28)) == 0
    assert await tiering.anniversaries(date(2028, 2, 29)) == 1
    assert await tiering.anniversaries(date(2028, 3, 1)) == 0

    assert [e.source_ref for e in await tiering.ledger("C100032")] == [
        "C100032:1",
        "C100032:2",
        "C100032:3",
        "C100032:4",
    ]
    assert await tiering.balance("C100032") == D("800.00")


async def test_tiering_suggestion_bonus_once_per_suggestion(tiering):
    adopted = ev.SuggestionAdopted(
        customer_id="C100040", suggestion_id="S-2026-001", adopted_on=date(2026, 11, 20)
    )
    env = new_envelope(adopted, source="ops-assessment-svc")
    again = new_envelope(adopted, source="ops-assessment-svc")  # re-sent under a new event id

    await tiering.handle(tiering.handlers[ev.SuggestionAdopted.TYPE], env)
    await tiering.handle(tiering.handlers[ev.SuggestionAdopted.TYPE], again)

    [entry] = await tiering.ledger("C100040")
    assert (entry.kind, entry.points, entry.source_ref) == ("suggestion", D("100.00"), "S-2026-001")
    assert await tiering.balance("C100040") == D("100.00")


async def test_tiering_bonuses_follow_configured_amounts(tiering):
    await tiering.run(
        tiers.update_config,
        settings=tiering.settings,
        changes={"bonus_referral": D("650")},
        actor="staff:tester",
    )
    await tiering.register("C100051", referrer_id="C100050")
    assert await tiering.balance("C100050") == D("650.00")


async def test_tiering_points_are_booked_by_month_and_the_balance_is_their_sum(tiering, build):
    from sqlalchemy import select

    from tiering_svc import rules
    from tiering_svc.models import CustomerMonth

    cid = "C100030"
    await tiering.settle(
        build.trade(cid, "100.00", trade_id="T-MON-10", settled_on=date(2026, 10, 30))
    )
    await tiering.settle(build.trade(cid, "50.00", trade_id="T-MON-11"))  # 2026-11-20
    cost = rules.sms_subscription_cost(products=1, months=1)
    await tiering.redeem(
        cid, kind="sms_months", sms_product="SMS1", months=1, on=date(2026, 11, 20)
    )
    # The October trade is cancelled in November: points and commission leave October.
    assert await tiering.cancel(cid, "T-MON-10") == D("100.00")

    async with tiering.db.sessionmaker() as session:
        rows = (
            await session.execute(
                select(CustomerMonth.month, CustomerMonth.commission, CustomerMonth.points)
                .where(CustomerMonth.customer_id == cid)
                .order_by(CustomerMonth.month)
            )
        ).all()
    assert [(m, D(c).quantize(D("0.01")), D(p).quantize(D("0.01"))) for m, c, p in rows] == [
        ("2026-10", D("0.00"), D("0.00")),
        ("2026-11", D("50.00"), D("50.00") - cost),
    ]
    assert await tiering.balance(cid) == D("50.00") - cost == await tiering.ledger_total(cid)
    assert await tiering.commissions(cid) == {"2026-11": D("50.00")}
