"""Delivery reports and reconciliation: store and apply reports, settle unknown sends by a
status query, expire sends that never got a report.

Session first, keyword-only, never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Outbox

from .. import metrics
from ..config import Settings
from ..models import DeliveryReport, Message, table
from ..planning.outcomes import OUTCOME_COLUMNS, outcome_events
from ..rules import Channel, State, apply_report, can_transition
from ..sql import allow_async_commit, among, chunks
from .changes import apply_changes, final_rows
from .channels import StatusResult
from .rules import REPORT_TIMEOUT
from .service import final_values

message_table = table(Message)
REPORT_RECHECK = timedelta(seconds=5)

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
    for chunk in chunks(rows, 1000):
        ids += (
            (
                await session.execute(
                    insert(table(DeliveryReport)).returning(table(DeliveryReport).c.id), chunk
                )
            )
            .scalars()
            .all()
        )
    metrics.DELIVERY_REPORTS.labels("received").inc(len(rows))
    return ids


@dataclass
class ReportStats:
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
) -> ReportStats:
    """Apply unapplied raw reports set-based: idempotent, and out-of-order safe.

    The first report that reaches a message settles it (apply_report): a final state
    never changes, so a repeated or older report is matched and ignored. A report whose
    message is not found (or is locked by a sender right now) stays and is tried again later;
    after 72 hours it is dropped as an orphan.
    """
    d = table(DeliveryReport)
    cond: list[ColumnElement[bool]] = [d.c.applied_at.is_(None)]
    cond.append(among(session, d.c.id, list(ids)) if ids is not None else d.c.next_check_at <= now)
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
    stats = ReportStats()
    if not raw:
        return stats
    await allow_async_commit(session)
    out_ids = sorted({r.out_id for r in raw})
    messages: dict[tuple[str, str], Any] = {}
    for chunk in chunks(out_ids, 1000):
        for row in (
            await session.execute(
                select(
                    message_table.c.id,
                    message_table.c.out_id,
                    message_table.c.address,
                    message_table.c.state,
                )
                .where(among(session, message_table.c.out_id, chunk))
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
        targets[msg.id] = (apply_report(current, bool(r.success)), r)
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
        sources = tuple(s.value for s in State if can_transition(s, State.DELIVERED))
        # Only what this transaction settled: a concurrent applier (the doubled report in
        # another request, or the worker) published the rest.
        changed = await apply_changes(session, changes, from_states=sources)
        finals = await final_rows(session, [c[0] for c in changes if c[0] in changed])
        stats.changed = len(finals)
        for state in (State.DELIVERED, State.UNDELIVERED):
            n = sum(1 for f in finals if f.state == state.value)
            if n:
                metrics.NOTIFICATIONS_SENT.labels("sms", state.value).inc(n)
        await outbox.add_many(session, outcome_events(finals, now=now))
    for chunk in chunks(matched, 1000):
        await session.execute(update(d).where(among(session, d.c.id, chunk)).values(applied_at=now))
    if unmatched:
        orphan_before = now - REPORT_TIMEOUT
        orphans = [r.id for r in raw if r.id in set(unmatched) and r.received_at <= orphan_before]
        retry = sorted(set(unmatched) - set(orphans))
        for chunk in chunks(retry, 1000):
            await session.execute(
                update(d)
                .where(among(session, d.c.id, chunk))
                .values(next_check_at=now + REPORT_RECHECK)
            )
        for chunk in chunks(orphans, 1000):
            await session.execute(
                update(d).where(among(session, d.c.id, chunk)).values(applied_at=now)
            )
        if orphans:
            metrics.DELIVERY_REPORTS.labels("orphan").inc(len(orphans))
    stats.matched, stats.unmatched = len(matched), len(unmatched)
    metrics.DELIVERY_REPORTS.labels("matched").inc(stats.matched)
    return stats


# ----------------------------------------------------------------------------- reconciliation


@dataclass
class StatusCheck:
    id: str
    address: str
    state: str
    attempts: int
    submitted_at: datetime | None = None


async def claim_checks(
    session: AsyncSession, *, now: datetime, settings: Settings, limit: int = 200
) -> dict[str, list[StatusCheck]]:
    """SMS sends to ask the provider about, by out_id: unknown ones, and accepted ones whose
    report is overdue. A sender that died mid-call left its messages in submitting: those are
    unknown now. IM and e-mail have no status query: an unknown one is sent again."""
    await session.execute(
        update(message_table)
        .where(
            message_table.c.state == State.SUBMITTING.value, message_table.c.next_attempt_at <= now
        )
        .values(state=State.UNKNOWN.value, reason="sender_lost", updated_at=now)
    )
    await session.execute(
        update(message_table)
        .where(
            message_table.c.state == State.UNKNOWN.value,
            message_table.c.channel != Channel.SMS.value,
        )
        .values(state=State.RECONCILED.value, next_attempt_at=now, updated_at=now)
    )
    rows = (
        await session.execute(
            select(
                message_table.c.id,
                message_table.c.out_id,
                message_table.c.address,
                message_table.c.state,
                message_table.c.attempts,
                message_table.c.submitted_at,
            )
            .where(
                message_table.c.state.in_([State.ACCEPTED.value, State.UNKNOWN.value]),
                message_table.c.next_attempt_at <= now,
                message_table.c.channel == Channel.SMS.value,
            )
            .order_by(message_table.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    checks: dict[str, list[StatusCheck]] = defaultdict(list)
    for r in rows:
        checks[r.out_id or r.id].append(
            StatusCheck(r.id, r.address, r.state, r.attempts, _utc(r.submitted_at))
        )
    if rows:
        # A lease: another replica does not ask about the same sends meanwhile.
        lease = now + timedelta(seconds=max(30.0, settings.sms_timeout_s * 3))
        for chunk in chunks([r.id for r in rows], 1000):
            await session.execute(
                update(message_table)
                .where(among(session, message_table.c.id, chunk))
                .values(next_attempt_at=lease)
            )
    return dict(checks)


def _utc(at: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored one is UTC.
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


async def record_check(
    session: AsyncSession,
    *,
    out_id: str,
    checks: Sequence[StatusCheck],
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
    pending = set(status.pending)
    if status.reports:
        ids = await store_reports(session, reports=status.reports, source="query", now=now)
        await apply_reports(session, now=now, outbox=outbox, ids=ids)
    backoff = settings.backoff()
    changes: list[tuple[str, dict[str, Any]]] = []
    finals: list[str] = []
    for c in checks:
        if c.address in reported:
            continue
        if c.state == State.UNKNOWN.value and c.address not in pending:
            if c.attempts >= backoff.max_attempts:
                changes.append(
                    (c.id, final_values(State.FAILED, "not_accepted_after_timeout", now))
                )
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
        changed = await apply_changes(
            session, changes, from_states=(State.UNKNOWN.value, State.ACCEPTED.value)
        )
        finals = [f for f in finals if f in changed]
    if finals:
        rows = await final_rows(session, finals)
        await outbox.add_many(session, outcome_events(rows, now=now))


async def expire_overdue(session: AsyncSession, *, now: datetime, outbox: Outbox) -> int:
    """Accepted or unknown with no report 72 hours on: carriers will not send one any more."""
    cutoff = now - REPORT_TIMEOUT
    stmt = (
        update(message_table)
        .where(
            message_table.c.state.in_([State.ACCEPTED.value, State.UNKNOWN.value]),
            ((message_table.c.accepted_at.is_not(None)) & (message_table.c.accepted_at <= cutoff))
            | ((message_table.c.accepted_at.is_(None)) & (message_table.c.submitted_at <= cutoff)),
        )
        .values(state=State.EXPIRED.value, reason="no_report", finished_at=now, updated_at=now)
        .returning(*OUTCOME_COLUMNS)
    )
    rows = (await session.execute(stmt)).all()
    if rows:
        metrics.NOTIFICATIONS_SENT.labels("sms", "expired").inc(len(rows))
        await outbox.add_many(session, outcome_events(rows, now=now))
    return len(rows)


async def purge_reports(session: AsyncSession, *, now: datetime, keep_days: int = 7) -> None:
    d = table(DeliveryReport)
    await session.execute(
        d.delete().where(
            d.c.applied_at.is_not(None), d.c.applied_at < now - timedelta(days=keep_days)
        )
    )
