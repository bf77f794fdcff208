"""profile-svc use cases: register and update customers, audit reveals, assess risk, log contacts,
record transfer-away requests and keep each customer's segment up to date from settlement events.

Every function takes the session first and keyword-only arguments, writes its
rows and outbox events into that session, and never commits.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Outbox
from brokerage_common import events as ev

from . import rules
from .exceptions import Conflict, InvalidField, NotFound
from .models import (
    AssetSnapshot,
    Customer,
    CustomerSegment,
    Interaction,
    PiiAccess,
    RiskAssessment,
    SettledTrade,
    TransferRequest,
)
from .schemas import CustomerCreate, CustomerUpdate, InteractionCreate, RiskAnswers

log = logging.getLogger(__name__)

PII_FIELDS = ("phone", "id_number")
# A contact logged a little ahead of the server clock is clock skew, not a future contact.
CLOCK_SKEW = timedelta(minutes=5)
_CHUNK = 2000
_CENT = Decimal("0.01")
_RATIO = Decimal("0.0001")


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT (for ON CONFLICT), PostgreSQL or SQLite."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _table(model: Any) -> Any:
    return model.__table__


def hash_id_number(id_number: str, *, key: bytes) -> str:
    """Keyed hash (HMAC-SHA256) of a normalised ID number: equal numbers, equal hashes.

    Without the key, a dump of the hashes cannot be matched against the small space
    of valid ID numbers (a plain SHA-256 of one could be brute-forced in minutes).
    """
    return hmac.new(key, id_number.encode(), hashlib.sha256).hexdigest()


def new_customer_id() -> str:
    return f"C{secrets.token_hex(5).upper()}"


def new_request_id(now: datetime) -> str:
    """An id for an app request that came without one (retries then cannot be recognised)."""
    return f"APP-{now:%Y%m%d}-{secrets.token_hex(6).upper()}"


# ----------------------------------------------------------------------------- customers


async def get_customer(session: AsyncSession, *, customer_id: str) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


async def find_customer(session: AsyncSession, *, customer_id: str) -> Customer | None:
    return await session.get(Customer, customer_id)


async def register_customer(
    session: AsyncSession,
    *,
    data: CustomerCreate,
    actor: str,
    today: date,
    hash_key: bytes,
    outbox: Outbox,
) -> Customer:
    """Open a customer's file and announce it (CustomerRegistered, without the ID number).

    409 for a customer id, phone or ID number already on file; 422 for a date in the
    future or a referrer who is not a customer.
    """
    if data.birth_date > today:
        raise InvalidField("id_number", "the birth date it encodes is in the future")
    if data.opened_on > today:
        raise InvalidField("opened_on", "must not be in the future")
    if data.market_entry_year is not None and data.market_entry_year > today.year:
        raise InvalidField("market_entry_year", "must not be in the future")
    customer_id = data.customer_id or new_customer_id()
    id_hash = hash_id_number(data.id_number, key=hash_key)
    if await session.get(Customer, customer_id) is not None:
        raise Conflict(f"customer {customer_id} already exists")
    if (
        await session.execute(select(Customer.customer_id).where(Customer.phone == data.phone))
    ).first():
        raise Conflict("a customer with this phone number already exists")
    if (
        await session.execute(
            select(Customer.customer_id).where(Customer.id_number_hash == id_hash)
        )
    ).first():
        raise Conflict("a customer with this ID number already exists")
    if data.referrer_id is not None:
        if data.referrer_id == customer_id:
            raise InvalidField("referrer_id", "a customer cannot refer themself")
        if await session.get(Customer, data.referrer_id) is None:
            raise InvalidField("referrer_id", "no customer with this id")
    now = datetime.now(UTC)
    customer = Customer(
        customer_id=customer_id,
        name=data.name,
        phone=data.phone,
        id_number=data.id_number,
        id_number_hash=id_hash,
        birth_date=data.birth_date,
        gender=data.gender,
        branch_id=data.branch_id,
        opened_on=data.opened_on,
        onsite=data.onsite,
        referrer_id=data.referrer_id,
        preferred_channels=list(data.preferred_channels),
        email=data.email,
        investor_category=data.investor_category,
        market_entry_year=data.market_entry_year,
        family_life_cycle=data.family_life_cycle,
        time_on_stocks=data.time_on_stocks,
        past_success=data.past_success,
        status=rules.CustomerStatus.ACTIVE.value,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("a customer with this id, phone or ID number already exists") from exc
    await outbox.add(
        session,
        ev.CustomerRegistered(
            customer_id=customer.customer_id,
            name=customer.name,
            phone=customer.phone,
            branch_id=customer.branch_id,
            opened_on=customer.opened_on,
            birth_month_day=rules.birth_month_day(customer.birth_date),
            onsite=customer.onsite,
            referrer_id=customer.referrer_id,
            preferred_channels=customer.preferred_channels,
            email=customer.email,
            status="active",
            investor_category="professional"
            if customer.investor_category == "professional"
            else "ordinary",
        ),
    )
    return customer


# What other services keep of a customer (CustomerProfileUpdated); the other fields stay here.
_PUBLISHED_FIELDS = ("phone", "preferred_channels", "email", "status", "investor_category")


async def update_customer(
    session: AsyncSession,
    *,
    customer: Customer,
    changes: CustomerUpdate,
    today: date,
    outbox: Outbox,
) -> Customer:
    """Apply a partial update; publish CustomerProfileUpdated if contact facts or status changed."""
    values = changes.model_dump(exclude_unset=True)
    if "market_entry_year" in values and values["market_entry_year"] is not None:
        year = values["market_entry_year"]
        if year > today.year:
            raise InvalidField("market_entry_year", "must not be in the future")
        if year < customer.birth_date.year:
            raise InvalidField("market_entry_year", "is before the birth year")
    if "phone" in values and values["phone"] != customer.phone:
        taken = await session.execute(
            select(Customer.customer_id).where(
                Customer.phone == values["phone"], Customer.customer_id != customer.customer_id
            )
        )
        if taken.first():
            raise Conflict("a customer with this phone number already exists")
    channels = values.get("preferred_channels", customer.preferred_channels)
    email = values.get("email", customer.email)
    if "email" in channels and email is None:
        raise InvalidField(
            "email", "an email address is required when email is a preferred channel"
        )
    changed = {k: v for k, v in values.items() if getattr(customer, k) != v}
    if not changed:
        return customer
    for key, value in changed.items():
        setattr(customer, key, list(value) if key == "preferred_channels" else value)
    customer.updated_at = datetime.now(UTC)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("a customer with this phone number already exists") from exc
    published = {k: v for k, v in changed.items() if k in _PUBLISHED_FIELDS}
    if "email" in published and published["email"] is None:
        published.pop("email")  # "absent means unchanged": a removed address cannot be said in v1
    if published:
        await outbox.add(
            session, ev.CustomerProfileUpdated(customer_id=customer.customer_id, **published)
        )
    return customer


async def record_pii_access(
    session: AsyncSession,
    *,
    customer: Customer,
    actor: str,
    actor_branch_id: str,
    fields: Sequence[str],
    reason: str,
    at: datetime,
) -> PiiAccess:
    """Append who saw which personal numbers of whom, when and why (before they are shown)."""
    entry = PiiAccess(
        customer_id=customer.customer_id,
        actor=actor,
        actor_branch_id=actor_branch_id,
        fields=",".join(f for f in PII_FIELDS if f in fields),
        reason=reason,
        accessed_at=at,
    )
    session.add(entry)
    await session.flush()
    return entry


async def pii_access_log(
    session: AsyncSession, *, customer_id: str, limit: int = 200
) -> list[PiiAccess]:
    stmt = (
        select(PiiAccess)
        .where(PiiAccess.customer_id == customer_id)
        .order_by(PiiAccess.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


# ----------------------------------------------------------------------------- risk assessment


async def assess_risk(
    session: AsyncSession,
    *,
    customer: Customer,
    answers: RiskAnswers,
    today: date,
    validity_years: int,
    actor: str,
    outbox: Outbox,
) -> RiskAssessment:
    """Score the questionnaire with today's age, keep it and publish RiskProfileAssessed."""
    result = rules.assess_risk(
        rules.Answers(**answers.model_dump()),
        birth_date=customer.birth_date,
        assessed_on=today,
        validity_years=validity_years,
    )
    assessment = RiskAssessment(
        assessment_id=str(uuid.uuid4()),
        customer_id=customer.customer_id,
        answers=answers.model_dump(),
        age=rules.age_on(customer.birth_date, today),
        capacity_score=result.capacity_score,
        capacity_level=result.capacity_level.value,
        tolerance_score=result.tolerance_score,
        tolerance_level=result.tolerance_level.value,
        allocation_low=result.allocation.low,
        allocation_mid=result.allocation.mid,
        allocation_high=result.allocation.high,
        risk_level=result.risk_level.value,
        assessed_on=result.assessed_on,
        valid_until=result.valid_until,
        assessed_by=actor,
        created_at=datetime.now(UTC),
    )
    session.add(assessment)
    await session.flush()
    await outbox.add(
        session,
        ev.RiskProfileAssessed(
            customer_id=customer.customer_id,
            assessment_id=assessment.assessment_id,
            capacity_score=result.capacity_score,
            capacity_level=result.capacity_level.value,
            tolerance_score=result.tolerance_score,
            tolerance_level=result.tolerance_level.value,
            risk_level=result.risk_level.value,
            assessed_on=result.assessed_on,
            valid_until=result.valid_until,
        ),
    )
    return assessment


async def risk_history(
    session: AsyncSession, *, customer_id: str, limit: int = 100
) -> list[RiskAssessment]:
    """Every assessment of a customer, newest first."""
    stmt = (
        select(RiskAssessment)
        .where(RiskAssessment.customer_id == customer_id)
        .order_by(RiskAssessment.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def current_assessment(session: AsyncSession, *, customer_id: str) -> RiskAssessment | None:
    history = await risk_history(session, customer_id=customer_id, limit=1)
    return history[0] if history else None


# ----------------------------------------------------------------------------- CRM interactions


async def log_interaction(
    session: AsyncSession,
    *,
    customer: Customer,
    staff_id: str,
    data: InteractionCreate,
    now: datetime,
    outbox: Outbox,
) -> Interaction:
    """Record a service contact (CRM 记录) and publish InteractionLogged."""
    if data.occurred_at > now + CLOCK_SKEW:
        raise InvalidField("occurred_at", "must not be in the future")
    interaction = Interaction(
        interaction_id=str(uuid.uuid4()),
        customer_id=customer.customer_id,
        staff_id=staff_id,
        branch_id=customer.branch_id,
        channel=data.channel,
        topic=data.topic,
        outcome=data.outcome,
        next_step=data.next_step,
        occurred_at=data.occurred_at,
        created_at=now,
    )
    session.add(interaction)
    await session.flush()
    await outbox.add(
        session,
        ev.InteractionLogged(
            customer_id=customer.customer_id,
            interaction_id=interaction.interaction_id,
            staff_id=staff_id,
            branch_id=customer.branch_id,
            channel=data.channel,
            topic=data.topic,
            outcome=data.outcome,
            occurred_at=data.occurred_at,
        ),
    )
    return interaction


async def interaction_timeline(
    session: AsyncSession, *, customer_id: str, limit: int, offset: int
) -> list[Interaction]:
    """A customer's contacts, the most recent contact first."""
    stmt = (
        select(Interaction)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())  # type: ignore[attr-defined, union-attr]
        .limit(limit)
        .offset(offset)
    )
    return list((await session.execute(stmt)).scalars())


# ----------------------------------------------------------------------------- transfer-away

TransferChannel = Literal["branch-counter", "mobile-app"]


async def record_transfer_request(
    session: AsyncSession,
    *,
    request: ev.CustomerTransferRequested,
    channel: TransferChannel,
    received_at: datetime,
    outbox: Outbox,
) -> tuple[TransferRequest, bool]:
    """Record a transfer-away request once per request id; True when it was new.

    Only records and announces (TransferAwayRecorded, and the status change): the
    request itself is never refused, held or delayed here, whatever retention does.
    The same request arriving from the app and from the topic is recorded once.
    """
    customer = await session.get(Customer, request.customer_id)
    inserted = (
        await session.execute(
            _insert(session)(_table(TransferRequest))
            .values(
                request_id=request.request_id,
                customer_id=request.customer_id,
                branch_id=customer.branch_id if customer else None,
                kind=request.kind,
                market=request.market,
                reason=request.reason,
                channel=channel,
                requested_at=request.requested_at,
                received_at=received_at,
            )
            .on_conflict_do_nothing(index_elements=["request_id"])
            .returning(_table(TransferRequest).c.request_id)
        )
    ).scalar_one_or_none()
    row = await session.get(TransferRequest, request.request_id)
    assert row is not None
    if row.customer_id != request.customer_id:
        raise Conflict(f"request {request.request_id} belongs to another customer")
    if inserted is None:
        return row, False
    log.info(
        "transfer request recorded",
        extra={"request_id": row.request_id, "customer_id": row.customer_id, "channel": channel},
    )
    if customer is None:
        log.warning(
            "transfer request for a customer not on file",
            extra={"request_id": row.request_id, "customer_id": row.customer_id},
        )
        return row, True
    await outbox.add(
        session,
        ev.TransferAwayRecorded(
            customer_id=customer.customer_id,
            request_id=request.request_id,
            branch_id=customer.branch_id,
            kind=request.kind,
            market=request.market,
            reason=request.reason,
            channel=channel,
            requested_at=request.requested_at,
        ),
    )
    new_status = rules.status_after_transfer_request(rules.CustomerStatus(customer.status))
    if new_status is not None:
        customer.status = new_status.value
        customer.updated_at = received_at
        await outbox.add(
            session,
            ev.CustomerProfileUpdated(customer_id=customer.customer_id, status=new_status.value),
        )
    return row, True


async def transfer_requests(session: AsyncSession, *, customer_id: str) -> list[TransferRequest]:
    stmt = (
        select(TransferRequest)
        .where(TransferRequest.customer_id == customer_id)
        .order_by(TransferRequest.received_at.desc())  # type: ignore[attr-defined]
    )
    return list((await session.execute(stmt)).scalars())


# ----------------------------------------------------------------------------- segmentation


@dataclass(frozen=True)
class SegmentPolicy:
    thresholds: rules.SegmentThresholds
    window_days: int


async def apply_asset_snapshots(
    session: AsyncSession, *, snapshots: Sequence[ev.AssetSnapshotTaken], policy: SegmentPolicy
) -> None:
    """Keep each day's end-of-day assets (a corrected snapshot replaces the day) and re-segment."""
    rows: dict[tuple[str, date], Decimal] = {}
    for s in snapshots:
        rows[(s.customer_id, s.as_of)] = s.total_assets
    ins = _insert(session)(_table(AssetSnapshot))
    stmt = ins.on_conflict_do_update(
        index_elements=["customer_id", "as_of"], set_={"total_assets": ins.excluded.total_assets}
    )
    items = [
        {"customer_id": c, "as_of": d, "total_assets": v} for (c, d), v in sorted(rows.items())
    ]
    for chunk in _chunks(items):
        await session.execute(stmt, list(chunk))
    hints: dict[str, date] = {}
    for cid, day in rows:
        hints[cid] = max(day, hints.get(cid, day))
    await recompute_segments(session, hints=hints, policy=policy)


async def apply_trades(
    session: AsyncSession, *, trades: Sequence[ev.TradeSettled], policy: SegmentPolicy
) -> None:
    """Keep each settled trade's amount and commission once (by trade id) and re-segment."""
    unique: dict[str, ev.TradeSettled] = {}
    for t in trades:
        unique.setdefault(t.trade_id, t)
    items = [
        {
            "trade_id": t.trade_id,
            "customer_id": t.customer_id,
            "trade_date": t.trade_date,
            "amount": t.amount,
            "commission": t.commission,
        }
        for t in unique.values()
    ]
    stmt = _insert(session)(_table(SettledTrade)).on_conflict_do_nothing(
        index_elements=["trade_id"]
    )
    for chunk in _chunks(items):
        await session.execute(stmt, list(chunk))
    hints: dict[str, date] = {}
    for t in unique.values():
        hints[t.customer_id] = max(t.trade_date, hints.get(t.customer_id, t.trade_date))
    await recompute_segments(session, hints=hints, policy=policy)


async def cancel_trade(
    session: AsyncSession, *, cancel: ev.TradeCancelled, policy: SegmentPolicy
) -> bool:
    """Forget a cancelled trade's amount and commission; True when the trade was known."""
    trade_date = (
        await session.execute(
            delete(SettledTrade)
            .where(
                SettledTrade.trade_id == cancel.trade_id,
                SettledTrade.customer_id == cancel.customer_id,
            )
            .returning(SettledTrade.trade_date)
        )
    ).scalar_one_or_none()
    if trade_date is None:
        return False
    await recompute_segments(session, hints={cancel.customer_id: trade_date}, policy=policy)
    return True


async def recompute_segments(
    session: AsyncSession, *, hints: dict[str, date], policy: SegmentPolicy
) -> None:
    """Recompute the value segment of the given customers, a few statements per chunk.

    The window ends on each customer's latest event day (snapshot or trade), not on
    the wall clock, so replaying the same events gives the same segments.
    """
    ids = sorted(hints)
    now = datetime.now(UTC)
    seg_t = _table(CustomerSegment)
    snap_t = _table(AssetSnapshot)
    trade_t = _table(SettledTrade)
    for chunk in _chunks(ids):
        existing = {
            r["customer_id"]: r
            for r in (
                await session.execute(select(seg_t).where(seg_t.c.customer_id.in_(chunk)))
            ).mappings()
        }
        refs = {
            cid: max(hints[cid], existing[cid]["as_of"]) if cid in existing else hints[cid]
            for cid in chunk
        }
        starts = {cid: ref - timedelta(days=policy.window_days - 1) for cid, ref in refs.items()}
        since = min(starts.values())
        snaps: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for cid, day, value in await session.execute(
            select(snap_t.c.customer_id, snap_t.c.as_of, snap_t.c.total_assets).where(
                snap_t.c.customer_id.in_(chunk), snap_t.c.as_of >= since
            )
        ):
            snaps[cid].append((day, value))
        trades: dict[str, list[tuple[date, Decimal, Decimal]]] = defaultdict(list)
        for cid, day, amount, commission in await session.execute(
            select(
                trade_t.c.customer_id, trade_t.c.trade_date, trade_t.c.amount, trade_t.c.commission
            ).where(trade_t.c.customer_id.in_(chunk), trade_t.c.trade_date >= since)
        ):
            trades[cid].append((day, amount, commission))
        rows = [
            _segment_row(
                cid,
                ref=refs[cid],
                start=starts[cid],
                previous=existing.get(cid),
                snaps=snaps[cid],
                trades=trades[cid],
                policy=policy,
                now=now,
            )
            for cid in chunk
        ]
        ins = _insert(session)(seg_t)
        stmt = ins.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={c.name: ins.excluded[c.name] for c in seg_t.columns if c.name != "customer_id"},
        )
        await session.execute(stmt, rows)
        # Rows well before every window in this chunk can no longer count: keep the tables small.
        horizon = since - timedelta(days=policy.window_days)
        await session.execute(
            delete(snap_t).where(snap_t.c.customer_id.in_(chunk), snap_t.c.as_of < horizon)
        )
        await session.execute(
            delete(trade_t).where(trade_t.c.customer_id.in_(chunk), trade_t.c.trade_date < horizon)
        )


def _segment_row(
    cid: str,
    *,
    ref: date,
    start: date,
    previous: Any,
    snaps: list[tuple[date, Decimal]],
    trades: list[tuple[date, Decimal, Decimal]],
    policy: SegmentPolicy,
    now: datetime,
) -> dict[str, Any]:
    total_assets = previous["total_assets"] if previous is not None else Decimal(0)
    assets_as_of = previous["assets_as_of"] if previous is not None else None
    if snaps:
        day, value = max(snaps)
        if assets_as_of is None or day >= assets_as_of:
            total_assets, assets_as_of = value, day
    in_window = [v for d, v in snaps if start <= d <= ref]
    average = (
        (sum(in_window, Decimal(0)) / len(in_window)).quantize(_CENT) if in_window else Decimal(0)
    )
    traded = sum((a for d, a, _ in trades if start <= d <= ref), Decimal(0))
    commission = sum((c for d, _, c in trades if start <= d <= ref), Decimal(0))
    seg = rules.classify_segment(
        total_assets=total_assets, average_assets=average, traded_amount=traded, t=policy.thresholds
    )
    return {
        "customer_id": cid,
        "as_of": ref,
        "total_assets": total_assets,
        "assets_as_of": assets_as_of,
        "average_assets": average,
        "traded_amount": traded,
        "commission": commission,
        "turnover": seg.turnover.quantize(_RATIO) if seg.turnover is not None else None,
        "asset_size": seg.asset_size.value,
        "turnover_class": seg.turnover_class.value,
        "value_segment": seg.value_segment,
        "updated_at": now,
    }


async def segment_of(session: AsyncSession, *, customer_id: str) -> CustomerSegment | None:
    return await session.get(CustomerSegment, customer_id)


SegmentKind = Literal["value", "life_stage", "family_life_cycle"]
SortKey = Literal["assets", "contribution"]


def segment_kind(segment: str) -> SegmentKind:
    if segment in rules.VALUE_SEGMENTS:
        return "value"
    if segment in {s.value for s in rules.LifeStage}:
        return "life_stage"
    if segment in {s.value for s in rules.FamilyLifeCycle}:
        return "family_life_cycle"
    raise NotFound(f"unknown segment {segment!r}")


@dataclass(frozen=True)
class SegmentMember:
    customer_id: str
    name: str
    status: str
    birth_date: date
    value_segment: str | None
    total_assets: Decimal
    contribution: Decimal
    turnover: Decimal | None


async def list_segment(
    session: AsyncSession,
    *,
    segment: str,
    branch_id: str,
    today: date,
    sort: SortKey,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[SegmentKind, int, list[SegmentMember]]:
    """A branch's customers in a value segment, a life stage or a family life cycle stage, sorted.

    Value segments need settlement figures (inner join); life stages and family stages
    list every customer of the stage, those without figures counting as zero.
    """
    kind = segment_kind(segment)
    c = _table(Customer).c
    s = _table(CustomerSegment).c
    assets = func.coalesce(s.total_assets, 0)
    contribution = func.coalesce(s.commission, 0)
    stmt: Select[Any] = select(
        c.customer_id,
        c.name,
        c.status,
        c.birth_date,
        s.value_segment,
        assets.label("total_assets"),
        contribution.label("contribution"),
        s.turnover,
    ).where(c.branch_id == branch_id)
    if kind == "value":
        stmt = stmt.select_from(
            _table(Customer).join(_table(CustomerSegment), s.customer_id == c.customer_id)
        )
        stmt = stmt.where(s.value_segment == segment)
    else:
        stmt = stmt.select_from(
            _table(Customer).outerjoin(_table(CustomerSegment), s.customer_id == c.customer_id)
        )
        if kind == "life_stage":
            born_after, born_by = rules.life_stage_birth_range(rules.LifeStage(segment), today)
            stmt = stmt.where(c.birth_date <= born_by)
            if born_after is not None:
                stmt = stmt.where(c.birth_date > born_after)
        else:
            stmt = stmt.where(c.family_life_cycle == segment)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    key = assets if sort == "assets" else contribution
    stmt = (
        stmt.order_by(key.desc() if descending else key.asc(), c.customer_id.asc())
        .limit(limit)
        .offset(offset)
    )
    members = [
        SegmentMember(
            customer_id=r.customer_id,
            name=r.name,
            status=r.status,
            birth_date=r.birth_date,
            value_segment=r.value_segment,
            total_assets=Decimal(r.total_assets),
            contribution=Decimal(r.contribution),
            turnover=r.turnover,
        )
        for r in await session.execute(stmt)
    ]
    return kind, int(total), members
