"""Tier use cases: the policy, tier state, asset snapshots, the periodic review."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox
from brokerage_common import events as ev
from brokerage_common.bulk import (
    insert_rows,
    rows_by_keys,
    upsert_rows,
)

from .. import rules
from ..config import Settings
from ..models import (
    ConfigValue,
    CustomerMonth,
    CustomerTier,
    TierHistory,
    TierReview,
)
from ..rules import Tier

SYSTEM = "system"
STATE_COLUMNS = (
    "tier",
    "tier_since",
    "bought_tier",
    "bought_until",
    "total_assets",
    "assets_as_of",
    "updated_at",
)
CONFIG_KEYS = (
    "silver_assets",
    "silver_commission",
    "gold_assets",
    "gold_commission",
    "platinum_assets",
    "platinum_commission",
    "bonus_referral",
    "bonus_anniversary",
    "bonus_suggestion",
)


_THRESHOLD_KEYS = tuple(k for k in CONFIG_KEYS if not k.startswith("bonus_"))
_BONUS_KEYS = tuple(k for k in CONFIG_KEYS if k.startswith("bonus_"))


@dataclass(frozen=True)
class Policy:
    thresholds: rules.TierThresholds
    bonuses: rules.BonusAmounts

    @classmethod
    def from_values(cls, values: Mapping[str, Decimal]) -> Policy:
        """From the flat configuration keys (``CONFIG_KEYS``); both parts check their rules."""
        return cls(
            thresholds=rules.TierThresholds(**{k: values[k] for k in _THRESHOLD_KEYS}),
            bonuses=rules.BonusAmounts(
                **{k.removeprefix("bonus_"): values[k] for k in _BONUS_KEYS}
            ),
        )

    def values(self) -> dict[str, Decimal]:
        """The flat configuration keys (``CONFIG_KEYS``) and their values."""
        out = {k: getattr(self.thresholds, k) for k in _THRESHOLD_KEYS}
        out.update({k: getattr(self.bonuses, k.removeprefix("bonus_")) for k in _BONUS_KEYS})
        return out


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT (for ON CONFLICT), PostgreSQL or SQLite."""
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _trailing_months(d: date) -> tuple[str, ...]:
    """The 12 months ending with d's month (YYYY-MM)."""
    return _trailing_months_of(d.year, d.month)


@lru_cache(maxsize=512)
def _trailing_months_of(y: int, m: int) -> tuple[str, ...]:
    out = []
    for _ in range(12):
        out.append(f"{y:04d}-{m:02d}")
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return tuple(out)


# ----------------------------------------------------------------------------- configuration


async def load_policy(session: AsyncSession, *, settings: Settings) -> Policy:
    rows = (await session.execute(select(ConfigValue.key, ConfigValue.value))).all()
    values: dict[str, Decimal] = {k: getattr(settings, k) for k in CONFIG_KEYS}
    values.update({k: Decimal(v) for k, v in rows if k in values})
    return Policy.from_values(values)


async def update_config(
    session: AsyncSession, *, settings: Settings, changes: dict[str, Decimal], actor: str
) -> Policy:
    """Change thresholds or bonus amounts; the whole resulting policy is checked before storing."""
    current = await load_policy(session, settings=settings)
    Policy.from_values({**current.values(), **changes})  # the whole result must hold
    now = datetime.now(UTC)
    for key, value in changes.items():
        stmt = _insert(session)(ConfigValue).values(
            key=key, value=str(value), updated_by=actor, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": stmt.excluded.value, "updated_by": actor, "updated_at": now},
        )
        await session.execute(stmt)
    return await load_policy(session, settings=settings)


# ----------------------------------------------------------------------------- state loading


@dataclass
class _State:
    row: dict[str, Any]
    is_new: bool
    changed: bool = False
    history: list[tuple[str, str, str, date]] = field(default_factory=list)


async def _load_states(
    session: AsyncSession, customer_ids: Iterable[str], *, first_seen: dict[str, date]
) -> dict[str, _State]:
    ids = list(customer_ids)
    table = CustomerTier.__table__  # type: ignore[attr-defined]
    rows = (
        (await session.execute(rows_by_keys(session, table, "customer_id", ids))).mappings().all()
    )
    states = {r["customer_id"]: _State(dict(r), is_new=False) for r in rows}
    now = datetime.now(UTC)
    for cid in ids:
        if cid not in states:
            states[cid] = _State(
                {
                    "customer_id": cid,
                    "tier": "standard",
                    "tier_since": first_seen.get(cid, now.date()),
                    "bought_tier": None,
                    "bought_until": None,
                    "total_assets": Decimal(0),
                    "assets_as_of": None,
                    "phone": None,
                    "branch_id": None,
                    "opened_on": None,
                    "updated_at": now,
                },
                is_new=True,
                changed=True,
            )
    return states


async def _load_commissions(
    session: AsyncSession, customer_ids: Iterable[str], since_month: str
) -> dict[tuple[str, str], Decimal]:
    table = CustomerMonth.__table__  # type: ignore[attr-defined]
    stmt = rows_by_keys(
        session, table, "customer_id", list(customer_ids), table.c.month >= since_month
    )
    rows = (await session.execute(stmt)).mappings()
    return {(r["customer_id"], r["month"]): r["commission"] for r in rows}


def _trailing(commissions: dict[tuple[str, str], Decimal], customer_id: str, on: date) -> Decimal:
    return sum(
        (commissions.get((customer_id, m), Decimal(0)) for m in _trailing_months(on)), Decimal(0)
    )


def _apply_decision(state: _State, *, qualified: Tier, at_review: bool, on: date) -> None:
    row = state.row
    bought = Tier(row["bought_tier"]) if row["bought_tier"] else None
    decision = rules.decide_tier(
        current=Tier(row["tier"]),
        qualified=qualified,
        at_review=at_review,
        bought_tier=bought,
        bought_until=row["bought_until"] if bought else None,
        today=on,
    )
    if decision.changed:
        state.history.append((row["tier"], decision.tier.value, decision.reason, on))
        row["tier"] = decision.tier.value
        row["tier_since"] = on
        state.changed = True


async def _save_states(session: AsyncSession, states: dict[str, _State], *, outbox: Outbox) -> None:
    now = datetime.now(UTC)
    table = CustomerTier.__table__  # type: ignore[attr-defined]
    changed = [s for s in states.values() if s.changed]
    if changed:
        await upsert_rows(
            session,
            table,
            [{**s.row, "updated_at": now} for s in changed],
            conflict=["customer_id"],
            replace=STATE_COLUMNS,
        )
    history_rows = []
    tier_events: list[ev.TierChanged] = []
    for s in changed:
        for old, new, reason, on in s.history:
            history_rows.append(
                {
                    "customer_id": s.row["customer_id"],
                    "old_tier": old,
                    "new_tier": new,
                    "reason": reason,
                    "changed_at": now,
                    "effective_on": on,
                }
            )
            tier_events.append(
                ev.TierChanged(
                    customer_id=s.row["customer_id"],
                    old_tier=old,
                    new_tier=new,
                    reason=reason,  # type: ignore[arg-type]
                    effective_on=on,
                    next_review=rules.next_review_on(on),
                )
            )
    await outbox.add_many(session, tier_events)
    await insert_rows(session, TierHistory.__table__, history_rows)  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- assets and tiers


async def apply_asset_snapshots(
    session: AsyncSession,
    *,
    envelopes: Sequence[Envelope[ev.AssetSnapshotTaken]],
    policy: Policy,
    outbox: Outbox,
) -> None:
    """Take each customer's latest end-of-day assets; an upgrade takes effect at once."""
    latest: dict[str, ev.AssetSnapshotTaken] = {}
    for env in envelopes:
        s = env.data
        if s.customer_id not in latest or s.as_of >= latest[s.customer_id].as_of:
            latest[s.customer_id] = s
    states = await _load_states(session, latest, first_seen={c: s.as_of for c, s in latest.items()})
    since = min(_trailing_months(s.as_of)[-1] for s in latest.values())
    commissions = await _load_commissions(session, states, since)
    for cid, snap in latest.items():
        state = states[cid]
        if state.row["assets_as_of"] is not None and snap.as_of < state.row["assets_as_of"]:
            continue  # an older snapshot delivered late never overwrites a newer one
        state.row["total_assets"] = snap.total_assets
        state.row["assets_as_of"] = snap.as_of
        state.changed = True
        qualified = rules.qualify_tier(
            total_assets=snap.total_assets,
            trailing_commission=_trailing(commissions, cid, snap.as_of),
            thresholds=policy.thresholds,
        )
        _apply_decision(state, qualified=qualified, at_review=False, on=snap.as_of)
    await _save_states(session, states, outbox=outbox)


async def review_tiers(
    session: AsyncSession, *, on: date, policy: Policy, outbox: Outbox, chunk: int = 2000
) -> int | None:
    """The periodic (monthly) review: the only time a tier goes down. Runs once per month."""
    month = _month(on)
    done = (
        await session.execute(select(TierReview).where(TierReview.month == month))
    ).scalar_one_or_none()
    if done is not None:
        return None
    as_of = on - timedelta(days=1)  # the trailing window ends with the last completed day
    downgraded = 0
    last = ""
    while True:
        ids = list(
            (
                await session.execute(
                    select(CustomerTier.customer_id)
                    .where(CustomerTier.customer_id > last)
                    .order_by(CustomerTier.customer_id)
                    .limit(chunk)
                )
            ).scalars()
        )
        if not ids:
            break
        last = ids[-1]
        states = await _load_states(session, ids, first_seen={})
        commissions = await _load_commissions(session, ids, _trailing_months(as_of)[-1])
        for cid, state in states.items():
            before = rules.tier_rank(Tier(state.row["tier"]))
            qualified = rules.qualify_tier(
                total_assets=state.row["total_assets"],
                trailing_commission=_trailing(commissions, cid, as_of),
                thresholds=policy.thresholds,
            )
            _apply_decision(state, qualified=qualified, at_review=True, on=on)
            if rules.tier_rank(Tier(state.row["tier"])) < before:
                downgraded += 1
        await _save_states(session, states, outbox=outbox)
    session.add(TierReview(month=month, ran_at=datetime.now(UTC), downgraded=downgraded))
    return downgraded


async def tier_history(session: AsyncSession, *, customer_id: str) -> list[TierHistory]:
    stmt = (
        select(TierHistory)
        .where(TierHistory.customer_id == customer_id)
        .order_by(TierHistory.id.desc())
    )  # type: ignore[union-attr]
    return list((await session.execute(stmt)).scalars())
