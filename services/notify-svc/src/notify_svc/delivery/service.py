"""Sending, on the database side: claim due messages and record what each send did.

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
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Outbox

from .. import metrics
from ..agreements.service import agreement_valid_on
from ..clock import new_id
from ..config import Settings
from ..models import Message, table
from ..planning.outcomes import OUTCOME_COLUMNS, outcome_events
from ..planning.rules import SuppressReason
from ..rules import (
    FINAL_STATES,
    WINDOW_CATEGORIES,
    Category,
    Channel,
    State,
    beijing_date,
    earliest_send_at,
    marketing_send_at,
)
from ..sql import allow_async_commit, among, chunks, rows_changed
from . import rules
from .changes import apply_changes, final_rows
from .channels import Outgoing, SendResult
from .rules import SendOutcome

log = logging.getLogger(__name__)

message_table = table(Message)
DUE_STATES = (State.SCHEDULED.value, State.RECONCILED.value)
FINAL = tuple(s.value for s in FINAL_STATES)


# ----------------------------------------------------------------------------- claiming


@dataclass(slots=True)
class ClaimedMessage:
    id: str
    address: str
    attempts: int
    category: str
    created_at: datetime


@dataclass
class SendBatch:
    """Messages that go out in one call under one ``out_id``."""

    channel: Channel
    out_id: str
    template_code: str | None
    params: dict[str, Any]
    category: Category
    items: list[ClaimedMessage] = field(default_factory=list)
    body: str = ""
    subject: str | None = None
    our_template_code: str | None = None

    def outgoing(self) -> Outgoing:
        return Outgoing(
            out_id=self.out_id,
            addresses=[i.address for i in self.items],
            template_code=self.template_code,
            params=self.params,
            body=self.body,
            subject=self.subject,
            our_template_code=self.our_template_code,
        )


async def claim(
    session: AsyncSession,
    *,
    channel: Channel,
    now: datetime,
    limit: int,
    batch_max: int,
    stale_after_s: float,
) -> list[SendBatch]:
    """Claim due messages and move them to ``submitting``; the caller commits before sending.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so several senders never claim the same row. SQLite
    has no row locks: one sender per database. Outside 08:00-22:00 Beijing time marketing and
    advisory messages are not claimed (a retry may have been scheduled into the night).
    """
    cond = [
        message_table.c.state.in_(DUE_STATES),
        message_table.c.channel == channel.value,
        message_table.c.next_attempt_at <= now,
    ]
    if marketing_send_at(now) != now:
        cond.append(message_table.c.category.not_in(WINDOW_CATEGORIES))
    rows = (
        await session.execute(
            select(
                message_table.c.id,
                message_table.c.address,
                message_table.c.provider_template_code,
                message_table.c.template_code,
                message_table.c.params,
                message_table.c.solo,
                message_table.c.attempts,
                message_table.c.category,
                message_table.c.created_at,
                message_table.c.state,
                message_table.c.out_id,
                message_table.c.body,
                message_table.c.subject,
            )
            .where(*cond)
            .order_by(message_table.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return []
    no_address = [r.id for r in rows if not r.address]
    if no_address:
        await session.execute(
            update(message_table)
            .where(among(session, message_table.c.id, no_address))
            .values(state=State.FAILED.value, reason="no_address", finished_at=now, updated_at=now)
        )
    rows = [r for r in rows if r.address]
    groups = _group(channel, rows, batch_max)
    stale_at = now + timedelta(seconds=stale_after_s)
    moving = {"state": State.SUBMITTING.value, "submitted_at": now, "updated_at": now}
    due = message_table.c.state.in_(DUE_STATES)
    moved = 0
    singles = [g.items[0].id for g in groups if len(g.items) == 1 and g.out_id == g.items[0].id]
    for chunk in chunks(singles, 1000):
        moved += await rows_changed(
            session,
            update(message_table)
            .where(among(session, message_table.c.id, chunk), due)
            .values(**moving, out_id=message_table.c.id, next_attempt_at=stale_at),
        )
    for g in groups:
        if len(g.items) == 1 and g.out_id == g.items[0].id:
            continue
        moved += await rows_changed(
            session,
            update(message_table)
            .where(among(session, message_table.c.id, [i.id for i in g.items]), due)
            .values(**moving, out_id=g.out_id, next_attempt_at=stale_at),
        )
    claimed = sum(len(g.items) for g in groups)
    if moved != claimed:
        # SQLite only (PostgreSQL holds the rows locked): a row changed between the read and
        # the write, e.g. a late report settled it. Send only what really moved.
        ids = [i.id for g in groups for i in g.items]
        mine = {
            (row.id, row.out_id)
            for chunk in chunks(ids, 1000)
            for row in (
                await session.execute(
                    select(message_table.c.id, message_table.c.out_id).where(
                        among(session, message_table.c.id, chunk),
                        message_table.c.state == State.SUBMITTING.value,
                        message_table.c.submitted_at == now,
                    )
                )
            ).all()
        }
        for g in groups:
            g.items = [i for i in g.items if (i.id, g.out_id) in mine]
        groups = [g for g in groups if g.items]
    return groups


async def withhold_withdrawn_advice(
    session: AsyncSession, *, channel: Channel, now: datetime, outbox: Outbox
) -> int:
    """Suppress advisory messages due now whose customer has no agreement valid today.

    Planning checked the agreement for the day the message goes; a rescission (or the end of
    the agreement) may arrive between planning and sending, so it is asked again just before
    the claim (ADR 0010: "checks its agreement read model again at send time").
    """
    today = beijing_date(now)
    ids = list(
        (
            await session.execute(
                select(message_table.c.id)
                .where(
                    message_table.c.state.in_(DUE_STATES),
                    message_table.c.channel == channel.value,
                    message_table.c.next_attempt_at <= now,
                    message_table.c.category == Category.ADVISORY.value,
                    message_table.c.customer_id.is_not(None),
                    ~agreement_valid_on(message_table.c.customer_id, today),
                )
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    if not ids:
        return 0
    # Only the rows this UPDATE moved (RETURNING): on SQLite the read above took no lock, and
    # a sender may have claimed (or failed) one of them meanwhile.
    withheld: list[Any] = []
    for chunk in chunks(ids, 1000):
        withheld += (
            await session.execute(
                update(message_table)
                .where(
                    among(session, message_table.c.id, chunk),
                    message_table.c.state.in_(DUE_STATES),
                )
                .values(
                    state=State.SUPPRESSED.value,
                    reason=SuppressReason.NO_ADVISORY_AGREEMENT.value,
                    finished_at=now,
                    updated_at=now,
                )
                .returning(*OUTCOME_COLUMNS)
            )
        ).all()
    events = outcome_events(withheld, now=now)
    if events:
        await outbox.add_many(session, events)
    log.info("advice withheld at send time", extra={"messages": len(withheld)})
    return len(withheld)


def _claimed(row: Any) -> ClaimedMessage:
    return ClaimedMessage(row.id, row.address, row.attempts, row.category, row.created_at)


def _group(channel: Channel, rows: Sequence[Any], batch_max: int) -> list[SendBatch]:
    """One group per call. SMS: numbers sharing template and parameters, up to ``batch_max``.

    A reconciled message goes out again under its old ``out_id`` (its group is rebuilt), so a
    late report of the first attempt still finds it. Solo messages (and every IM and e-mail)
    are sent under their own id. A second message to the same number with the same text waits
    for the next claim: one call cannot carry a number twice.
    """
    groups: list[SendBatch] = []
    decoded: dict[str, dict[str, Any]] = {}

    def params_of(raw: str) -> dict[str, Any]:
        params = decoded.get(raw)
        if params is None:
            params = decoded[raw] = json.loads(raw)
        return params

    def single(row: Any, out_id: str | None = None) -> SendBatch:
        return SendBatch(
            channel=channel,
            out_id=out_id or row.id,
            template_code=row.provider_template_code,
            params=params_of(row.params),
            category=Category(row.category),
            items=[_claimed(row)],
            body=row.body or "",
            subject=row.subject,
            our_template_code=row.template_code,
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
                group.items.append(_claimed(r))
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
            group = single(chosen[0], new_id() if len(chosen) > 1 else None)
            group.items.extend(_claimed(r) for r in chosen[1:])
            groups.append(group)
    return groups


# ----------------------------------------------------------------------------- send outcomes


@dataclass
class SendRoundSummary:
    """What recording a round of sends found: the circuit signal and the messages now final."""

    open_circuit: str | None = None
    accepted: int = 0
    finals: list[Any] = field(default_factory=list)
    # SMS the provider took: billed segments (条) over every number, and what they cost.
    segments: int = 0
    cost: Decimal = Decimal(0)


async def record_results(
    session: AsyncSession,
    *,
    results: Sequence[tuple[SendBatch, SendResult]],
    confirms_delivery: bool,
    settings: Settings,
    outbox: Outbox,
    now: datetime,
    rand: Callable[[], float],
) -> SendRoundSummary:
    """Move each submitted message on by its call's outcome (rules.SendOutcome)."""
    await allow_async_commit(session)
    backoff = settings.backoff()
    changes: list[tuple[str, dict[str, Any]]] = []
    finals: list[str] = []
    recorded = SendRoundSummary()
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
                        _scheduled(earliest_send_at(group.category, retry_at), reason, now),
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
                changes.append((item.id, final_values(State.FAILED, "deferred_too_long", now)))
                finals.append(item.id)
            else:
                later = earliest_send_at(group.category, now + timedelta(seconds=settings.defer_s))
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
                _count_segments(recorded, group, settings)
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
                retry_at = earliest_send_at(group.category, now + timedelta(seconds=delay))
                values.update(state=state.value, reason=reason, next_attempt_at=retry_at)
            else:
                values.update(state=state.value, reason=reason or outcome.value, finished_at=now)
            if state.value in FINAL:
                finals.append(item.id)
            changes.append((item.id, values))
    # Only rows still submitting change: a report that overtook the answer has settled the
    # others already (with the provider's biz_id from the report).
    changed = await apply_changes(session, changes, from_states=(State.SUBMITTING.value,))
    finals = [f for f in finals if f in changed]
    if finals:
        recorded.finals = await final_rows(session, finals)
        await outbox.add_many(session, outcome_events(recorded.finals, now=now))
    return recorded


def _count_segments(recorded: SendRoundSummary, group: SendBatch, settings: Settings) -> None:
    """One accepted number's billed SMS: the daily cap still counts messages (ADR 0016)."""
    if group.channel != Channel.SMS:
        return
    segments = rules.sms_segments(group.body, settings.sms_sign)
    recorded.segments += segments
    price = settings.sms_segment_price
    recorded.cost += rules.sms_cost(segments, numbers=1, price_per_segment=price)
    metrics.SMS_SEGMENTS.labels(settings.sms_provider).inc(segments)


def _scheduled(at: datetime, reason: str | None, now: datetime) -> dict[str, Any]:
    return {
        "state": State.SCHEDULED.value,
        "next_attempt_at": at,
        "reason": reason,
        "updated_at": now,
    }


def final_values(state: State, reason: str, now: datetime) -> dict[str, Any]:
    return {"state": state.value, "reason": reason, "finished_at": now, "updated_at": now}


def _metric_status(outcome: SendOutcome, confirms_delivery: bool) -> str:
    if outcome == SendOutcome.ACCEPTED and confirms_delivery:
        return "delivered"
    return outcome.value
