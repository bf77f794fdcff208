"""notify-svc use cases on the delivery side: claim due messages, record what a send did,
apply delivery reports, settle unknown sends by a status query, expire, and the circuit breaker.

The invariant that keeps every SMS single: a message is moved to ``submitting`` (with the
``out_id`` it will be sent under) in a transaction committed *before* the HTTP call, and a
``submitting`` or ``unknown`` message is never sent again until the provider's status query
has shown that it never accepted that ``out_id``. Session first, keyword-only, never commits.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    any_,
    bindparam,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Outbox

from . import metrics, rules, service
from .channels import Outgoing, SendResult, StatusResult
from .config import Settings
from .models import Circuit, DeliveryReport, Message
from .rules import Category, Channel, SendOutcome, State

log = logging.getLogger(__name__)

m = Message.__table__
DUE_STATES = (State.SCHEDULED.value, State.RECONCILED.value)
FINAL = tuple(s.value for s in rules.FINAL_STATES)
REPORT_RECHECK = timedelta(seconds=5)
SMS_GATEWAY = "sms"


def _among(session: AsyncSession, column: Any, values: Sequence[Any]) -> Any:
    """``column IN (values)``; on PostgreSQL ``= ANY(array)``: one parameter, not thousands."""
    if not service.is_postgres(session):
        return column.in_(list(values))
    element = BigInteger() if values and isinstance(values[0], int) else String()
    return column == any_(literal(list(values), postgresql.ARRAY(element)))


async def relaxed_commit(session: AsyncSession) -> None:
    """Let PostgreSQL acknowledge this transaction's commit before its WAL reaches the disk.

    Only for transactions whose loss after a database crash is harmless: recorded outcomes
    (their messages stay submitting, and the reconciler asks the provider), applied reports
    (kept raw and applied again), expanded campaign chunks (expanded again, deduplicated).
    Never for the claim: "submitting" must be durable before the HTTP call.
    """
    if service.is_postgres(session):
        await session.execute(text("SET LOCAL synchronous_commit = off"))


# ----------------------------------------------------------------------------- claiming


@dataclass(slots=True)
class Item:
    id: str
    address: str
    attempts: int
    category: str
    created_at: datetime


@dataclass
class Group:
    """Messages that go out in one call under one ``out_id``."""

    channel: Channel
    out_id: str
    template_code: str | None
    params: dict[str, Any]
    category: Category
    items: list[Item] = field(default_factory=list)
    body: str = ""
    subject: str | None = None

    def outgoing(self) -> Outgoing:
        return Outgoing(
            out_id=self.out_id,
            addresses=[i.address for i in self.items],
            template_code=self.template_code,
            params=self.params,
            body=self.body,
            subject=self.subject,
        )


async def claim(
    session: AsyncSession,
    *,
    channel: Channel,
    now: datetime,
    limit: int,
    batch_max: int,
    stale_after_s: float,
) -> list[Group]:
    """Claim due messages and move them to ``submitting``; the caller commits before sending.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so several senders never claim the same row. SQLite
    has no row locks: one sender per database. Outside 08:00-22:00 Beijing time marketing and
    advisory messages are not claimed (a retry may have been scheduled into the night).
    """
    cond = [m.c.state.in_(DUE_STATES), m.c.channel == channel.value, m.c.next_attempt_at <= now]
    if rules.marketing_send_at(now) != now:
        cond.append(m.c.category.not_in(service.WINDOW_CATEGORIES))
    rows = (
        await session.execute(
            select(
                m.c.id,
                m.c.address,
                m.c.provider_template_code,
                m.c.params,
                m.c.solo,
                m.c.attempts,
                m.c.category,
                m.c.created_at,
                m.c.state,
                m.c.out_id,
                m.c.body,
                m.c.subject,
            )
            .where(*cond)
            .order_by(m.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return []
    no_address = [r.id for r in rows if not r.address]
    if no_address:
        await session.execute(
            update(m)
            .where(_among(session, m.c.id, no_address))
            .values(state=State.FAILED.value, reason="no_address", finished_at=now, updated_at=now)
        )
    rows = [r for r in rows if r.address]
    groups = _group(channel, rows, batch_max)
    stale_at = now + timedelta(seconds=stale_after_s)
    moving = {"state": State.SUBMITTING.value, "submitted_at": now, "updated_at": now}
    due = m.c.state.in_(DUE_STATES)
    moved = 0
    singles = [g.items[0].id for g in groups if len(g.items) == 1 and g.out_id == g.items[0].id]
    for chunk in _chunks(singles, 1000):
        result = await session.execute(
            update(m)
            .where(_among(session, m.c.id, chunk), due)
            .values(**moving, out_id=m.c.id, next_attempt_at=stale_at)
        )
        moved += result.rowcount  # type: ignore[attr-defined]
    for g in groups:
        if len(g.items) == 1 and g.out_id == g.items[0].id:
            continue
        result = await session.execute(
            update(m)
            .where(_among(session, m.c.id, [i.id for i in g.items]), due)
            .values(**moving, out_id=g.out_id, next_attempt_at=stale_at)
        )
        moved += result.rowcount  # type: ignore[attr-defined]
    claimed = sum(len(g.items) for g in groups)
    if moved != claimed:
        # SQLite only (PostgreSQL holds the rows locked): a row changed between the read and
        # the write, e.g. a late report settled it. Send only what really moved.
        ids = [i.id for g in groups for i in g.items]
        mine = {
            (row.id, row.out_id)
            for chunk in _chunks(ids, 1000)
            for row in (
                await session.execute(
                    select(m.c.id, m.c.out_id).where(
                        _among(session, m.c.id, chunk),
                        m.c.state == State.SUBMITTING.value,
                        m.c.submitted_at == now,
                    )
                )
            ).all()
        }
        for g in groups:
            g.items = [i for i in g.items if (i.id, g.out_id) in mine]
        groups = [g for g in groups if g.items]
    return groups


def _item(row: Any) -> Item:
    return Item(row.id, row.address, row.attempts, row.category, row.created_at)


def _group(channel: Channel, rows: Sequence[Any], batch_max: int) -> list[Group]:
    """One group per call. SMS: numbers sharing template and parameters, up to ``batch_max``.

    A reconciled message goes out again under its old ``out_id`` (its group is rebuilt), so a
    late report of the first attempt still finds it. Solo messages (and every IM and e-mail)
    are sent under their own id. A second message to the same number with the same text waits
    for the next claim: one call cannot carry a number twice.
    """
    groups: list[Group] = []
    decoded: dict[str, dict[str, Any]] = {}

    def params_of(raw: str) -> dict[str, Any]:
        params = decoded.get(raw)
        if params is None:
            params = decoded[raw] = json.loads(raw)
        return params

    def single(row: Any, out_id: str | None = None) -> Group:
        return Group(
            channel=channel,
            out_id=out_id or row.id,
            template_code=row.provider_template_code,
            params=params_of(row.params),
            category=Category(row.category),
            items=[_item(row)],
            body=row.body or "",
            subject=row.subject,
        )

    if channel != Channel.SMS or batch_max == 1:
        return [single(r) for r in rows]
    again: dict[str, list[Any]] = defaultdict(list)
    fresh: dict[tuple[str | None, str], list[Any]] = defaultdict(list)
    for r in rows:
        if r.state == State.RECONCILED.value and r.out_id:
            again[r.out_id].append(r)
        elif r.solo:
            groups.append(single(r))
        else:
            fresh[(r.provider_template_code, r.params)].append(r)
    for out_id, members in again.items():
        first = members[0]
        group = single(first, out_id)
        seen = {first.address}
        for r in members[1:]:
            if r.address not in seen and len(group.items) < batch_max:
                seen.add(r.address)
                group.items.append(_item(r))
        groups.append(group)
    for (_template, raw), members in fresh.items():
        params = params_of(raw)
        by_phone: dict[str, Any] = {}
        for r in members:
            by_phone.setdefault(r.address, r)
        for _params, phones in rules.batch_by_params(
            [(phone, params) for phone in by_phone], limit=batch_max
        ):
            chosen = [by_phone[phone] for phone in phones]
            group = single(chosen[0], service.new_id() if len(chosen) > 1 else None)
            group.items.extend(_item(r) for r in chosen[1:])
            groups.append(group)
    return groups


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# ----------------------------------------------------------------------------- send outcomes


@dataclass
class Recorded:
    """What recording a round of sends found: the circuit signal and the messages now final."""

    open_circuit: str | None = None
    accepted: int = 0
    finals: list[Any] = field(default_factory=list)


async def record_results(
    session: AsyncSession,
    *,
    results: Sequence[tuple[Group, SendResult]],
    confirms_delivery: bool,
    settings: Settings,
    outbox: Outbox,
    now: datetime,
    rand: Callable[[], float],
) -> Recorded:
    """Move each submitted message on by its call's outcome (rules.SendOutcome)."""
    await relaxed_commit(session)
    backoff = settings.backoff()
    changes: list[tuple[str, dict[str, Any]]] = []
    finals: list[str] = []
    recorded = Recorded()
    for group, result in results:
        outcome = result.outcome
        channel = group.channel.value
        multi = len(group.items) > 1
        metrics.NOTIFICATIONS_SENT.labels(channel, _metric_status(outcome, confirms_delivery)).inc(
            len(group.items)
        )
        reason = result.code or (f"http_{result.http_status}" if result.http_status else None)
        if outcome == SendOutcome.OPEN_CIRCUIT:
            recorded.open_circuit = result.code or reason or "gateway_refused"
            retry_at = now + timedelta(seconds=settings.circuit_cooldown_s)
            for item in group.items:
                changes.append(
                    (
                        item.id,
                        _scheduled(rules.earliest_send_at(group.category, retry_at), reason, now),
                    )
                )
            continue
        if multi and outcome in (
            SendOutcome.DEFER,
            SendOutcome.SUPPRESS,
            SendOutcome.PERMANENT_FAILURE,
        ):
            # The refusal names no number: send each alone to find the one it was about.
            for item in group.items:
                changes.append((item.id, {**_scheduled(now, reason, now), "solo": True}))
            continue
        if outcome == SendOutcome.DEFER:
            item = group.items[0]
            if item.created_at <= now - timedelta(hours=settings.max_defer_h):
                changes.append((item.id, _final(State.FAILED, "deferred_too_long", now)))
                finals.append(item.id)
            else:
                later = rules.earliest_send_at(
                    group.category, now + timedelta(seconds=settings.defer_s)
                )
                changes.append((item.id, _scheduled(later, reason, now)))
            continue
        delay = None
        for item in group.items:
            used = item.attempts + (1 if rules.counts_as_attempt(outcome) else 0)
            state = rules.state_after_send(outcome, attempts_used=used, backoff=backoff)
            values: dict[str, Any] = {"attempts": used, "updated_at": now}
            if state == State.ACCEPTED and confirms_delivery:
                state = State.DELIVERED
            if state == State.ACCEPTED:
                recorded.accepted += 1
                values.update(
                    state=state.value,
                    biz_id=result.biz_id,
                    accepted_at=now,
                    reason=None,
                    next_attempt_at=now + timedelta(seconds=settings.report_grace_s),
                )
            elif state == State.DELIVERED:
                recorded.accepted += 1
                values.update(state=state.value, accepted_at=now, finished_at=now, reason=None)
            elif state == State.UNKNOWN:
                values.update(
                    state=state.value,
                    reason="timeout_after_send",
                    next_attempt_at=now + timedelta(seconds=settings.unknown_query_delay_s),
                )
            elif state == State.SCHEDULED:
                if delay is None:
                    delay = rules.retry_delay(max(1, used), backoff, rand())
                retry_at = rules.earliest_send_at(group.category, now + timedelta(seconds=delay))
                values.update(state=state.value, reason=reason, next_attempt_at=retry_at)
            else:
                values.update(state=state.value, reason=reason or outcome.value, finished_at=now)
            if state.value in FINAL:
                finals.append(item.id)
            changes.append((item.id, values))
    # Only rows still submitting change: a report that overtook the answer has settled the
    # others already (with the provider's biz_id from the report).
    await _apply_changes(session, changes, from_states=(State.SUBMITTING.value,))
    if finals:
        recorded.finals = await _final_rows(session, finals)
        await outbox.add_many(session, service.outcome_events(recorded.finals, now=now))
    return recorded


def _scheduled(at: datetime, reason: str | None, now: datetime) -> dict[str, Any]:
    return {
        "state": State.SCHEDULED.value,
        "next_attempt_at": at,
        "reason": reason,
        "updated_at": now,
    }


def _final(state: State, reason: str, now: datetime) -> dict[str, Any]:
    return {"state": state.value, "reason": reason, "finished_at": now, "updated_at": now}


def _metric_status(outcome: SendOutcome, confirms_delivery: bool) -> str:
    if outcome == SendOutcome.ACCEPTED and confirms_delivery:
        return "delivered"
    return outcome.value


async def _apply_changes(
    session: AsyncSession,
    changes: Sequence[tuple[str, dict[str, Any]]],
    *,
    from_states: tuple[str, ...],
) -> None:
    """Write per-message changes with as few statements as possible.

    Messages with identical new values share one ``UPDATE ... WHERE id IN``; the rest go in
    one executemany per shape. Only rows still in ``from_states`` change: a delivery report
    that got there first is never overwritten.
    """
    same: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for message_id, values in changes:
        same[tuple(sorted(values.items()))].append(message_id)
    singles: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for key, ids in same.items():
        values = dict(key)
        if len(ids) == 1:
            shape = tuple(sorted(values))
            singles[shape].append({"_mid": ids[0], **{f"_{k}": v for k, v in values.items()}})
            continue
        for chunk in _chunks(ids, 1000):
            await session.execute(
                update(m)
                .where(_among(session, m.c.id, chunk), m.c.state.in_(from_states))
                .values(**values)
            )
    for shape, params in singles.items():
        stmt = (
            update(m)
            .where(m.c.id == bindparam("_mid"), or_(*(m.c.state == s for s in from_states)))
            .values(**{k: bindparam(f"_{k}") for k in shape})
        )
        await session.execute(stmt, params)


async def _final_rows(session: AsyncSession, ids: Sequence[str]) -> list[Any]:
    rows: list[Any] = []
    for chunk in _chunks(list(ids), 1000):
        rows += (
            await session.execute(
                select(*service.OUTCOME_COLUMNS).where(
                    _among(session, m.c.id, chunk), m.c.state.in_(FINAL)
                )
            )
        ).all()
    return rows


# ----------------------------------------------------------------------------- circuit breaker


async def load_circuit(session: AsyncSession, *, name: str, now: datetime) -> Circuit:
    circuit = await session.get(Circuit, name)
    if circuit is None:
        await session.execute(
            service._insert(session)(Circuit)
            .values(name=name, state="closed", updated_at=now)
            .on_conflict_do_nothing(index_elements=[Circuit.name])
        )
        circuit = await session.get(Circuit, name)
        assert circuit is not None
    metrics.CIRCUIT_STATE.labels(name).set(metrics.CIRCUIT_LEVELS[circuit.state])
    return circuit


async def open_circuit(
    session: AsyncSession,
    *,
    name: str,
    code: str,
    now: datetime,
    settings: Settings,
    outbox: Outbox,
) -> bool:
    """Stop sending through a gateway after a configuration or account error; alert operations
    once per outage (a failed half-open probe re-opens it quietly)."""
    circuit = await load_circuit(session, name=name, now=now)
    was = circuit.state
    circuit.state = "open"
    circuit.reason = code[:120]
    circuit.retry_at = now + timedelta(seconds=settings.circuit_cooldown_s)
    circuit.updated_at = now
    metrics.CIRCUIT_STATE.labels(name).set(metrics.CIRCUIT_LEVELS["open"])
    if was != "closed":
        # Still broken (a failed probe, or another lane's send): one alert per outage.
        log.warning("gateway circuit stays open", extra={"gateway": name, "code": code})
        return False
    circuit.opened_at = now
    metrics.CIRCUIT_OPENED.labels(name, code).inc()
    log.error(
        "gateway circuit opened: sending stopped, operations alerted",
        extra={"gateway": name, "code": code, "cooldown_s": settings.circuit_cooldown_s},
    )
    await service.plan_message(
        session,
        request=service.Request(
            trigger_ref=f"circuit:{name}:{now.isoformat()}",
            template_code="CIRCUIT_ALERT",
            category=Category.STAFF_ALERT,
            route="ops",
            params={
                "gateway": name,
                "code": code,
                "cooldown_s": str(int(settings.circuit_cooldown_s)),
            },
        ),
        settings=settings,
        outbox=outbox,
        now=now,
    )
    return True


async def set_circuit(session: AsyncSession, *, name: str, state: str, now: datetime) -> None:
    circuit = await load_circuit(session, name=name, now=now)
    if circuit.state != state:
        log.warning("gateway circuit %s", state, extra={"gateway": name, "was": circuit.state})
    circuit.state = state
    circuit.updated_at = now
    if state == "closed":
        circuit.reason = None
        circuit.retry_at = None
    metrics.CIRCUIT_STATE.labels(name).set(metrics.CIRCUIT_LEVELS[state])


# ----------------------------------------------------------------------------- delivery reports


def _report_row(r: dict[str, Any], *, source: str, now: datetime) -> dict[str, Any]:
    return {
        "out_id": str(r.get("out_id") or "")[:255],
        "phone_number": str(r.get("phone_number") or "")[:32],
        "success": bool(r.get("success")),
        "err_code": (str(r["err_code"])[:64] if r.get("err_code") else None),
        "report_time": (str(r["report_time"])[:32] if r.get("report_time") else None),
        "biz_id": (str(r["biz_id"])[:64] if r.get("biz_id") else None),
        "source": source,
        "received_at": now,
        "next_check_at": now,
    }


async def store_reports(
    session: AsyncSession, *, reports: Sequence[dict[str, Any]], source: str, now: datetime
) -> list[int]:
    """Keep the reports as they came (raw); ``apply_reports`` settles messages from them."""
    if not reports:
        return []
    rows = [_report_row(r, source=source, now=now) for r in reports]
    ids: list[int] = []
    for chunk in _chunks(rows, 1000):
        ids += (
            (
                await session.execute(
                    insert(DeliveryReport.__table__).returning(DeliveryReport.__table__.c.id), chunk
                )
            )
            .scalars()
            .all()
        )
    metrics.DELIVERY_REPORTS.labels("received").inc(len(rows))
    return ids


@dataclass
class Applied:
    matched: int = 0
    unmatched: int = 0
    changed: int = 0


async def apply_reports(
    session: AsyncSession,
    *,
    now: datetime,
    outbox: Outbox,
    ids: Sequence[int] | None = None,
    limit: int = 2000,
) -> Applied:
    """Apply unapplied raw reports set-based: idempotent, and out-of-order safe.

    The first report that reaches a message settles it (rules.apply_report): a final state
    never changes, so a repeated or older report is matched and ignored. A report whose
    message is not found (or is locked by a sender right now) stays and is tried again later;
    after 72 hours it is dropped as an orphan.
    """
    d = DeliveryReport.__table__
    cond = [d.c.applied_at.is_(None)]
    cond.append(_among(session, d.c.id, list(ids)) if ids is not None else d.c.next_check_at <= now)
    raw = (
        await session.execute(
            select(
                d.c.id,
                d.c.out_id,
                d.c.phone_number,
                d.c.success,
                d.c.err_code,
                d.c.biz_id,
                d.c.received_at,
            )
            .where(*cond)
            .order_by(d.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    stats = Applied()
    if not raw:
        return stats
    await relaxed_commit(session)
    out_ids = sorted({r.out_id for r in raw})
    messages: dict[tuple[str, str], Any] = {}
    for chunk in _chunks(out_ids, 1000):
        for row in (
            await session.execute(
                select(m.c.id, m.c.out_id, m.c.address, m.c.state)
                .where(_among(session, m.c.out_id, chunk))
                .with_for_update(skip_locked=True)
            )
        ).all():
            messages[(row.out_id, row.address)] = row
    targets: dict[str, tuple[State, Any]] = {}
    matched: list[int] = []
    unmatched: list[int] = []
    for r in raw:
        msg = messages.get((r.out_id, r.phone_number))
        if msg is None:
            unmatched.append(r.id)
            continue
        matched.append(r.id)
        if msg.id in targets:
            continue  # an earlier report in this batch settled it
        current = State(msg.state)
        targets[msg.id] = (rules.apply_report(current, bool(r.success)), r)
        if targets[msg.id][0] == current:
            targets[msg.id] = (current, None)  # final already: the first report won
    changes: list[tuple[str, dict[str, Any]]] = []
    for message_id, (state, report) in targets.items():
        if report is None or state not in (State.DELIVERED, State.UNDELIVERED):
            continue
        values: dict[str, Any] = {"state": state.value, "finished_at": now, "updated_at": now}
        values["reason"] = None if state == State.DELIVERED else (report.err_code or "undelivered")
        if report.biz_id:
            values["biz_id"] = report.biz_id
        changes.append((message_id, values))
    if changes:
        sources = tuple(s.value for s in State if rules.can_transition(s, State.DELIVERED))
        await _apply_changes(session, changes, from_states=sources)
        finals = await _final_rows(session, [c[0] for c in changes])
        finals = [f for f in finals if f.state in (State.DELIVERED.value, State.UNDELIVERED.value)]
        stats.changed = len(finals)
        for state in (State.DELIVERED, State.UNDELIVERED):
            n = sum(1 for f in finals if f.state == state.value)
            if n:
                metrics.NOTIFICATIONS_SENT.labels("sms", state.value).inc(n)
        await outbox.add_many(session, service.outcome_events(finals, now=now))
    for chunk in _chunks(matched, 1000):
        await session.execute(
            update(d).where(_among(session, d.c.id, chunk)).values(applied_at=now)
        )
    if unmatched:
        orphan_before = now - rules.REPORT_TIMEOUT
        orphans = [r.id for r in raw if r.id in set(unmatched) and r.received_at <= orphan_before]
        retry = sorted(set(unmatched) - set(orphans))
        for chunk in _chunks(retry, 1000):
            await session.execute(
                update(d)
                .where(_among(session, d.c.id, chunk))
                .values(next_check_at=now + REPORT_RECHECK)
            )
        for chunk in _chunks(orphans, 1000):
            await session.execute(
                update(d).where(_among(session, d.c.id, chunk)).values(applied_at=now)
            )
        if orphans:
            metrics.DELIVERY_REPORTS.labels("orphan").inc(len(orphans))
    stats.matched, stats.unmatched = len(matched), len(unmatched)
    metrics.DELIVERY_REPORTS.labels("matched").inc(stats.matched)
    return stats


# ----------------------------------------------------------------------------- reconciliation


@dataclass
class Check:
    id: str
    address: str
    state: str
    attempts: int


async def claim_checks(
    session: AsyncSession, *, now: datetime, settings: Settings, limit: int = 200
) -> dict[str, list[Check]]:
    """SMS sends to ask the provider about, by out_id: unknown ones, and accepted ones whose
    report is overdue. A sender that died mid-call left its messages in submitting: those are
    unknown now. IM and e-mail have no status query: an unknown one is sent again."""
    await session.execute(
        update(m)
        .where(m.c.state == State.SUBMITTING.value, m.c.next_attempt_at <= now)
        .values(state=State.UNKNOWN.value, reason="sender_lost", updated_at=now)
    )
    await session.execute(
        update(m)
        .where(m.c.state == State.UNKNOWN.value, m.c.channel != Channel.SMS.value)
        .values(state=State.RECONCILED.value, next_attempt_at=now, updated_at=now)
    )
    rows = (
        await session.execute(
            select(m.c.id, m.c.out_id, m.c.address, m.c.state, m.c.attempts)
            .where(
                m.c.state.in_([State.ACCEPTED.value, State.UNKNOWN.value]),
                m.c.next_attempt_at <= now,
                m.c.channel == Channel.SMS.value,
            )
            .order_by(m.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    checks: dict[str, list[Check]] = defaultdict(list)
    for r in rows:
        checks[r.out_id or r.id].append(Check(r.id, r.address, r.state, r.attempts))
    if rows:
        # A lease: another replica does not ask about the same sends meanwhile.
        lease = now + timedelta(seconds=max(30.0, settings.sms_timeout_s * 3))
        for chunk in _chunks([r.id for r in rows], 1000):
            await session.execute(
                update(m).where(_among(session, m.c.id, chunk)).values(next_attempt_at=lease)
            )
    return dict(checks)


async def record_check(
    session: AsyncSession,
    *,
    out_id: str,
    checks: Sequence[Check],
    status: StatusResult,
    settings: Settings,
    outbox: Outbox,
    now: datetime,
) -> None:
    """Settle what the status query showed: reports settle; an unknown send the provider never
    accepted becomes reconciled (safe to send again); an accepted one waits for its report."""
    if not status.ok:
        return  # the lease expires and the query is made again
    reported = {str(r.get("phone_number")) for r in status.reports if r.get("out_id") == out_id}
    if status.reports:
        ids = await store_reports(session, reports=status.reports, source="query", now=now)
        await apply_reports(session, now=now, outbox=outbox, ids=ids)
    backoff = settings.backoff()
    changes: list[tuple[str, dict[str, Any]]] = []
    finals: list[str] = []
    for c in checks:
        if c.address in reported:
            continue
        if c.state == State.UNKNOWN.value:
            if c.attempts >= backoff.max_attempts:
                changes.append((c.id, _final(State.FAILED, "not_accepted_after_timeout", now)))
                finals.append(c.id)
            else:
                changes.append(
                    (
                        c.id,
                        {
                            "state": State.RECONCILED.value,
                            "reason": "not_accepted",
                            "next_attempt_at": now,
                            "updated_at": now,
                        },
                    )
                )
                metrics.NOTIFICATIONS_SENT.labels("sms", "reconciled").inc()
        else:
            recheck = now + timedelta(seconds=max(settings.report_grace_s, 3600.0))
            changes.append((c.id, {"next_attempt_at": recheck, "updated_at": now}))
    if changes:
        await _apply_changes(
            session, changes, from_states=(State.UNKNOWN.value, State.ACCEPTED.value)
        )
    if finals:
        rows = await _final_rows(session, finals)
        await outbox.add_many(session, service.outcome_events(rows, now=now))


async def expire_overdue(session: AsyncSession, *, now: datetime, outbox: Outbox) -> int:
    """Accepted or unknown with no report 72 hours on: carriers will not send one any more."""
    cutoff = now - rules.REPORT_TIMEOUT
    stmt = (
        update(m)
        .where(
            m.c.state.in_([State.ACCEPTED.value, State.UNKNOWN.value]),
            ((m.c.accepted_at.is_not(None)) & (m.c.accepted_at <= cutoff))
            | ((m.c.accepted_at.is_(None)) & (m.c.submitted_at <= cutoff)),
        )
        .values(state=State.EXPIRED.value, reason="no_report", finished_at=now, updated_at=now)
        .returning(*service.OUTCOME_COLUMNS)
    )
    rows = (await session.execute(stmt)).all()
    if rows:
        metrics.NOTIFICATIONS_SENT.labels("sms", "expired").inc(len(rows))
        await outbox.add_many(session, service.outcome_events(rows, now=now))
    return len(rows)


async def purge_reports(session: AsyncSession, *, now: datetime, keep_days: int = 7) -> None:
    d = DeliveryReport.__table__
    await session.execute(
        d.delete().where(
            d.c.applied_at.is_not(None), d.c.applied_at < now - timedelta(days=keep_days)
        )
    )
