"""The tier aggregate and the policy it is judged by: pure values, no I/O.

A customer's ``TierState`` is a frozen value. Every change to it (an upgrade, a
downgrade at review, a bought upgrade) returns a new state that records the
``TierChange`` beside the tier, so whoever saves the state also writes the history
and the ``TierChanged`` event from the same record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from ..rules import BonusAmounts, Tier, TierThresholds, decide_tier, tier_rank

ChangeReason = Literal["upgrade", "downgrade_at_review", "points_upgrade"]

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
"""The run-time configurable numbers (domain.md §2), as /v1/config names them."""
_THRESHOLD_KEYS = tuple(k for k in CONFIG_KEYS if not k.startswith("bonus_"))
_BONUS_KEYS = tuple(k for k in CONFIG_KEYS if k.startswith("bonus_"))
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Policy:
    """The tier thresholds and bonus amounts in force."""

    thresholds: TierThresholds
    bonuses: BonusAmounts

    @classmethod
    def from_values(cls, values: Mapping[str, Decimal]) -> Policy:
        """From the flat configuration keys (``CONFIG_KEYS``); both parts check their rules."""
        return cls(
            thresholds=TierThresholds(**{k: values[k] for k in _THRESHOLD_KEYS}),
            bonuses=BonusAmounts(**{k.removeprefix("bonus_"): values[k] for k in _BONUS_KEYS}),
        )

    def values(self) -> dict[str, Decimal]:
        """The flat configuration keys (``CONFIG_KEYS``) and their values."""
        out = {k: getattr(self.thresholds, k) for k in _THRESHOLD_KEYS}
        out.update({k: getattr(self.bonuses, k.removeprefix("bonus_")) for k in _BONUS_KEYS})
        return out


@dataclass(frozen=True, slots=True)
class TierChange:
    """One tier change (升级/降级) and why; the history row and the TierChanged event."""

    old_tier: Tier
    new_tier: Tier
    reason: ChangeReason
    effective_on: date


@dataclass(frozen=True, slots=True)
class TierState:
    """A customer's tier and what it is computed from, with the changes made to it since it
    was loaded (``changes``, oldest first)."""

    customer_id: str
    tier: Tier
    tier_since: date
    bought_tier: Tier | None = None
    bought_until: date | None = None
    total_assets: Decimal = _ZERO
    assets_as_of: date | None = None
    changes: tuple[TierChange, ...] = ()

    @classmethod
    def first_seen(cls, customer_id: str, on: date) -> TierState:
        """A customer tiering meets for the first time: standard since that day."""
        return cls(customer_id=customer_id, tier=Tier.STANDARD, tier_since=on)

    def _changed_to(self, tier: Tier, reason: ChangeReason, on: date) -> TierState:
        change = TierChange(old_tier=self.tier, new_tier=tier, reason=reason, effective_on=on)
        return replace(self, tier=tier, tier_since=on, changes=(*self.changes, change))

    def decided(self, *, qualified: Tier, at_review: bool, on: date) -> TierState:
        """The state after the tier-change rule (``rules.decide_tier``); itself if nothing
        changes."""
        decision = decide_tier(
            current=self.tier,
            qualified=qualified,
            at_review=at_review,
            bought_tier=self.bought_tier,
            bought_until=self.bought_until if self.bought_tier else None,
            today=on,
        )
        if not decision.changed:
            return self
        reason: ChangeReason = "upgrade" if decision.reason == "upgrade" else "downgrade_at_review"
        return self._changed_to(decision.tier, reason, on)

    def with_assets(self, total_assets: Decimal, as_of: date) -> TierState | None:
        """The state with a day's end assets; None for a snapshot older than the one held
        (one delivered late never overwrites a newer one)."""
        if self.assets_as_of is not None and as_of < self.assets_as_of:
            return None
        return replace(self, total_assets=total_assets, assets_as_of=as_of)

    def bought(self, target: Tier, *, until: date, on: date) -> TierState:
        """The state after buying ``target`` with points: held as a floor through ``until``."""
        state = replace(self, bought_tier=target, bought_until=until)
        return state._changed_to(target, "points_upgrade", on)


def month_of(d: date) -> str:
    """YYYY-MM, the key of ``customer_month``."""
    return f"{d.year:04d}-{d.month:02d}"


def trailing_months(d: date) -> tuple[str, ...]:
    """The 12 months ending with d's month (YYYY-MM), newest first."""
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


def trailing_commission(
    commissions: Mapping[tuple[str, str], Decimal], customer_id: str, on: date
) -> Decimal:
    """Trailing-12-month commission (近12个月佣金) up to ``on``'s month, from per-month sums."""
    return sum(
        (commissions.get((customer_id, m), _ZERO) for m in trailing_months(on)),
        _ZERO,
    )


@dataclass(frozen=True, slots=True)
class TierMoves:
    """How many customers a policy would move, from which tier to which (a config preview)."""

    customers: int
    upgraded: int
    downgraded: int
    moves: tuple[tuple[Tier, Tier, int], ...]
    """(from, to, customers) for every pair that moves anyone, highest count first."""


def tier_moves(pairs: Iterable[tuple[Tier, Tier]]) -> TierMoves:
    """Count (tier now, tier after) pairs: upgrades, downgrades and each move's customers."""
    seen = 0
    moved: Counter[tuple[Tier, Tier]] = Counter()
    for before, after in pairs:
        seen += 1
        if before != after:
            moved[(before, after)] += 1
    up = sum(n for (a, b), n in moved.items() if tier_rank(b) > tier_rank(a))
    ordered = sorted(
        moved.items(), key=lambda kv: (-kv[1], tier_rank(kv[0][0]), tier_rank(kv[0][1]))
    )
    return TierMoves(
        customers=seen,
        upgraded=up,
        downgraded=sum(moved.values()) - up,
        moves=tuple((a, b, n) for (a, b), n in ordered),
    )
