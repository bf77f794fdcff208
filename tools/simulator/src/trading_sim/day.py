"""A trading day for N customers, as the settlement system and the counters would publish it."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

import orjson

from brokerage_common import CST
from brokerage_common.kafka import CLOUDEVENTS_HEADERS, Connection, make_producer

MIN_COMMISSION = Decimal("5.00")
MAX_RATE = Decimal("0.003")  # 3‰ of the traded amount
CENT = Decimal("0.01")
SOURCE_SETTLEMENT = "settlement-system"


@dataclass(frozen=True)
class DayConfig:
    customers: int = 300
    trades_per_customer: float = 3.0
    trade_date: date = date(2026, 11, 20)
    cancel_rate: float = 0.01
    transfers: int = 3
    first_customer: int = 1
    seed: int = 20261120
    snapshots: bool = True
    # The counter's base commission rates and the day's closes (advisory-svc's prices and
    # pick tracking); off by default so consumers of the settlement events see only those.
    market: bool = False


# Stocks that close every simulated day whether traded or not (so a pick on one of them is
# tracked day after day), and the CSI 300 index picks are compared with.
WATCH_LIST: tuple[tuple[str, str, Decimal], ...] = (
    ("600519", "SH", Decimal("1500.00")),
    ("601318", "SH", Decimal("45.00")),
    ("000001", "SZ", Decimal("11.00")),
    ("000858", "SZ", Decimal("130.00")),
    ("300750", "SZ", Decimal("250.00")),
)
INDEX = ("000300", "SH", Decimal("3900.00"))
SOURCE_MARKET = "market-data"
SOURCE_COUNTER = "branch-counter"


def customer_id(n: int) -> str:
    return f"C{n:06d}"


def customer_phone(n: int) -> str:
    """Deterministic, valid mainland mobile numbers: 139 + 8 digits."""
    return f"139{n:08d}"


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number_for(n: int, birth: date) -> str:
    """A well-formed (synthetic) resident ID number with a correct GB 11643 check digit."""
    first17 = f"110101{birth:%Y%m%d}{n % 1000:03d}"
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + _CHECK[total % 11]


def _envelope(
    event_type: str,
    data: dict[str, object],
    at: datetime,
    source: str = SOURCE_SETTLEMENT,
    subject: str | None = None,
) -> bytes:
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "type": event_type,
            "source": source,
            "time": at.isoformat(),
            "subject": subject or data["customer_id"],
            "datacontenttype": "application/json",
            "data": data,
        }
    )


def _commission(amount: Decimal, rng: random.Random) -> Decimal:
    rate = Decimal(rng.randint(2, 30)) / Decimal(10000)  # 0.2‰ .. 3‰
    # Rounded down: rounding up could put a 3‰ commission one fen above 3‰ of the amount.
    return max(MIN_COMMISSION, (amount * rate).quantize(CENT, ROUND_DOWN))


def generate_day(cfg: DayConfig) -> Iterator[tuple[str, str, bytes]]:
    """Yield (topic, key, envelope) in a realistic order: trades, cancels, transfers, snapshots."""
    rng = random.Random(cfg.seed)
    settle_at = datetime.combine(cfg.trade_date, time(15, 30), CST)
    markets = ("SH", "SZ", "BJ")
    customers = range(cfg.first_customer, cfg.first_customer + cfg.customers)
    trade_seq = 0
    trades: list[tuple[str, str]] = []
    last_price: dict[str, tuple[str, Decimal]] = {}
    for n in customers:
        cid = customer_id(n)
        count = int(cfg.trades_per_customer) + (
            1 if rng.random() < cfg.trades_per_customer % 1 else 0
        )
        for _ in range(count):
            trade_seq += 1
            market = rng.choice(markets)
            quantity = 100 * rng.randint(1, 50)
            # Prices from 2 to 200 yuan; the amount is always at least 5 / 3‰, so the
            # 5-yuan minimum never exceeds 3‰ of the amount.
            price = Decimal(rng.randint(200, 20000)) / 100
            amount = (price * quantity).quantize(CENT)
            if amount * MAX_RATE < MIN_COMMISSION:
                quantity = int((MIN_COMMISSION / MAX_RATE / price) / 100 + 1) * 100
                amount = (price * quantity).quantize(CENT)
            trade_id = f"T{cfg.trade_date:%Y%m%d}-{trade_seq:09d}-{cfg.seed % 1000:03d}"
            data = {
                "trade_id": trade_id,
                "customer_id": cid,
                "account_id": f"A{n:07d}",
                "market": market,
                "security_code": rng.choice(("600", "601", "000", "300", "830"))
                + f"{rng.randint(0, 999):03d}",
                "side": rng.choice("BS"),
                "quantity": quantity,
                "price": str(price.quantize(CENT)),
                "amount": str(amount),
                "commission": str(_commission(amount, rng)),
                "trade_date": cfg.trade_date.isoformat(),
                "settled_on": cfg.trade_date.isoformat(),
            }
            trades.append((cid, trade_id))
            last_price[str(data["security_code"])] = (market, price)
            yield "trade.settled", cid, _envelope("TradeSettled", data, settle_at)
    for cid, trade_id in trades:
        if rng.random() < cfg.cancel_rate:
            data = {"trade_id": trade_id, "customer_id": cid, "reason": "error correction"}
            yield (
                "trade.settled",
                cid,
                _envelope("TradeCancelled", data, settle_at + timedelta(minutes=20)),
            )
    for i in range(cfg.transfers):
        n = rng.choice(list(customers))
        cid = customer_id(n)
        kind, market = rng.choice((("custody_transfer", "SZ"), ("designation_cancel", "SH")))
        requested = datetime.combine(cfg.trade_date, time(10, 12 + i), CST)
        data = {
            "request_id": f"R{cfg.trade_date:%Y%m%d}-{i + 1:04d}",
            "customer_id": cid,
            "kind": kind,
            "market": market,
            "reason": rng.choice(
                ("friend works at another broker", "branch too far from home", "commission")
            ),
            "requested_at": requested.isoformat(),
        }
        yield (
            "customer.transfer-requested",
            cid,
            _envelope("CustomerTransferRequested", data, requested, "branch-counter"),
        )
    if cfg.snapshots:
        for n in customers:
            cid = customer_id(n)
            total = Decimal(int(rng.lognormvariate(12.0, 1.4))).quantize(CENT)
            cash = (total * Decimal(rng.randint(2, 40)) / 100).quantize(CENT)
            data = {
                "customer_id": cid,
                "as_of": cfg.trade_date.isoformat(),
                "total_assets": str(total),
                "cash": str(cash),
                "securities_value": str(total - cash),
                "net_inflow": str(Decimal(rng.randint(-20000, 50000))),
            }
            yield (
                "account.asset-snapshots",
                cid,
                _envelope("AssetSnapshotTaken", data, settle_at + timedelta(hours=2)),
            )

    if cfg.market:
        yield from _market(cfg, customers, last_price)


def walk_close(code: str, base: Decimal, day: date) -> Decimal:
    """A deterministic close for ``day``: a daily random walk (±2%) from ``base`` since
    2026-01-01, the same in every run, so later days' closes continue earlier ones."""
    price = base
    start = date(2026, 1, 1)
    for n in range((day - start).days + 1):
        step = random.Random(f"{code}:{start + timedelta(days=n)}").uniform(-0.02, 0.02)
        price *= 1 + Decimal(str(round(step, 4)))
    return price.quantize(CENT)


def _market(
    cfg: DayConfig, customers: range, last_price: dict[str, tuple[str, Decimal]]
) -> Iterator[tuple[str, str, bytes]]:
    """The counter's base rates of the customers and the day's closes (after settlement)."""
    rng = random.Random(cfg.seed + 1)
    rate_at = datetime.combine(cfg.trade_date, time(8, 30), CST)
    for n in customers:
        cid = customer_id(n)
        rate = Decimal(rng.randint(2, 20)) / Decimal(10000)  # 0.2‰ .. 2.0‰
        data = {"customer_id": cid, "rate": str(rate), "effective_from": cfg.trade_date.isoformat()}
        yield (
            "account.commission-rates",
            cid,
            _envelope("CommissionRateSet", data, rate_at, SOURCE_COUNTER),
        )
    close_at = datetime.combine(cfg.trade_date, time(15, 5), CST)
    closes: dict[str, tuple[str, str, Decimal, Decimal]] = {
        code: (market, "stock", price, price) for code, (market, price) in last_price.items()
    }
    previous_day = cfg.trade_date - timedelta(days=1)
    for code, market, base in WATCH_LIST:
        closes[code] = (
            market,
            "stock",
            walk_close(code, base, cfg.trade_date),
            walk_close(code, base, previous_day),
        )
    code, market, base = INDEX
    closes[code] = (
        market,
        "index",
        walk_close(code, base, cfg.trade_date),
        walk_close(code, base, previous_day),
    )
    for code, (market, kind, close, prev) in closes.items():
        data = {
            "security_code": code,
            "market": market,
            "kind": kind,
            "trade_date": cfg.trade_date.isoformat(),
            "close": str(close),
            "prev_close": str(prev),
        }
        yield (
            "market.closing-prices",
            code,
            _envelope("ClosingPricePublished", data, close_at, SOURCE_MARKET, subject=code),
        )


async def publish(
    messages: Iterable[tuple[str, str, bytes]],
    bootstrap: Connection,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Publish (topic, key, value) with an idempotent producer; returns the acknowledged count.

    ``progress``, if given, is called with the acknowledged count after every batch of acks.
    """
    producer = make_producer(
        bootstrap, client_id="trading-sim", linger_ms=20, max_batch_size=1024 * 1024
    )
    await producer.start()
    sent = 0
    headers = list(CLOUDEVENTS_HEADERS)
    try:
        pending = []
        for topic, key, value in messages:
            pending.append(
                await producer.send(topic, key=key.encode(), value=value, headers=headers)
            )
            if len(pending) >= 20000:
                for fut in pending:
                    await fut
                sent += len(pending)
                pending = []
                if progress is not None:
                    progress(sent)
        for fut in pending:
            await fut
        sent += len(pending)
        if progress is not None:
            progress(sent)
    finally:
        await producer.stop()
    return sent
