"""The simulated day keeps the settlement system's contract and the commission rule of the issue."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import orjson

from brokerage_common.events import parse_envelope
from trading_sim import DayConfig, customer_phone, generate_day, id_number_for

MIN_COMMISSION = Decimal("5.00")  # the 5-yuan minimum
MAX_RATE = Decimal("0.003")  # 3‰ of the amount


def test_every_event_parses_and_lands_on_its_contract_topic() -> None:
    topics = {
        "TradeSettled": "trade.settled",
        "TradeCancelled": "trade.settled",
        "AssetSnapshotTaken": "account.asset-snapshots",
        "CustomerTransferRequested": "customer.transfer-requested",
    }
    kinds: Counter[str] = Counter()
    for topic, key, value in generate_day(DayConfig(customers=200, cancel_rate=0.05, transfers=4)):
        env = parse_envelope(value)
        kinds[env.type] += 1
        assert topic == topics[env.type]
        assert key == env.subject == env.data.customer_id
    assert kinds["AssetSnapshotTaken"] == 200
    assert kinds["CustomerTransferRequested"] == 4
    assert kinds["TradeCancelled"] > 0
    assert kinds["TradeSettled"] >= 200


def test_commission_is_between_the_minimum_and_three_per_mille() -> None:
    day = DayConfig(customers=300, snapshots=False, transfers=0, cancel_rate=0)
    for _, _, value in generate_day(day):
        trade = parse_envelope(value).data
        assert (
            MIN_COMMISSION
            <= trade.commission
            <= (trade.amount * MAX_RATE).quantize(Decimal("0.01"))
        )
        assert trade.quantity % 100 == 0
        assert trade.amount == (trade.price * trade.quantity).quantize(Decimal("0.01"))


def test_same_seed_same_day_and_unique_trade_ids() -> None:
    day = DayConfig(customers=50, snapshots=False, transfers=0, cancel_rate=0)
    ids = [parse_envelope(v).data.trade_id for _, _, v in generate_day(day)]
    assert len(ids) == len(set(ids))
    assert ids == [parse_envelope(v).data.trade_id for _, _, v in generate_day(day)]


def test_synthetic_people_are_valid_mainland_identities() -> None:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    from datetime import date

    number = id_number_for(42, date(1980, 5, 17))
    assert len(number) == 18
    assert number[6:14] == "19800517"
    total = sum(int(c) * w for c, w in zip(number[:17], weights, strict=True))
    assert number[17] == "10X98765432"[total % 11]
    assert customer_phone(7) == "13900000007"


def test_the_market_day_has_every_customers_rate_and_the_closes_of_what_traded() -> None:
    day = DayConfig(customers=50, snapshots=False, transfers=0, cancel_rate=0, market=True)
    traded: set[str] = set()
    rates: dict[str, Decimal] = {}
    closes: dict[str, dict[str, object]] = {}
    for topic, key, value in generate_day(day):
        env = parse_envelope(value)
        assert topic == env.data.TOPIC.name
        assert key == env.subject == env.data.key
        if env.type == "TradeSettled":
            traded.add(env.data.security_code)
        elif env.type == "CommissionRateSet":
            rates[env.data.customer_id] = env.data.rate
        elif env.type == "ClosingPricePublished":
            closes[env.data.security_code] = {"kind": env.data.kind, "close": env.data.close}
            assert "customer_id" not in orjson.loads(value)["data"]
    assert len(rates) == 50
    assert all(Decimal("0.0002") <= r <= MAX_RATE for r in rates.values())
    assert traded <= set(closes)
    assert closes["000300"]["kind"] == "index"
    assert {"600519", "601318", "000001", "000858", "300750"} <= set(closes)


def test_watch_list_closes_continue_from_day_to_day() -> None:
    from datetime import date

    from trading_sim.day import walk_close

    monday = walk_close("600519", Decimal("1500.00"), date(2026, 11, 23))
    assert monday == walk_close("600519", Decimal("1500.00"), date(2026, 11, 23))
    tuesday = walk_close("600519", Decimal("1500.00"), date(2026, 11, 24))
    assert abs(tuesday / monday - 1) <= Decimal("0.0201")
