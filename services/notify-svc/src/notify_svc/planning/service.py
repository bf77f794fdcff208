"""Planning one message: a trigger's request becomes one row in ``message`` (once per dedupe
key) that is scheduled, suppressed, failed or pending; and reading messages back.

Session first, keyword-only, never commits. Nothing here sends.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import Outbox, dialect

from ..clock import new_id
from ..config import Settings
from ..exceptions import NotFound
from ..groups.rules import is_staff_route
from ..groups.service import owner_of
from ..models import Message, Recipient, table
from ..rules import Category, Channel, State, beijing_date, canonical_params, earliest_send_at
from ..templates.rules import content_for, render, template_fields
from ..templates.service import active_template
from .facts import read_facts
from .outcomes import Outcome, outcome_events
from .rules import SuppressReason, choose_channel, ordered_dedupe_key, rules_for, suppress_reason

log = logging.getLogger(__name__)

ANY_CHANNEL = "any"


@dataclass(frozen=True)
class Request:
    """What a trigger asks for: one template to one customer (or to a staff route)."""

    trigger_ref: str
    template_code: str
    customer_id: str | None = None
    category: Category | None = None  # declared by the caller; must match the template's
    params: dict[str, str] = field(default_factory=dict)
    channel: Channel | None = None
    send_at: datetime | None = None
    route: str | None = None  # an IM route with no customer behind it ("ops")

    @property
    def recipient_key(self) -> str:
        return self.customer_id or self.route or ""

    @property
    def dedupe_key(self) -> str:
        return ordered_dedupe_key(
            trigger_event_id=self.trigger_ref,
            template_code=self.template_code,
            recipient=self.recipient_key,
        )


@dataclass(frozen=True)
class Planned:
    message_id: str
    state: str
    created: bool


async def _decide(
    session: AsyncSession, *, request: Request, settings: Settings, now: datetime
) -> dict[str, Any]:
    """The columns of a message for this request: where it goes, what it says, and its state."""
    send_at = max(now, request.send_at or now)
    declared = request.category.value if request.category else None
    base: dict[str, Any] = {
        "channel": request.channel.value if request.channel else ANY_CHANNEL,
        "category": declared or Category.SERVICE.value,
        "params": canonical_params(request.params),
        "next_attempt_at": send_at,
    }

    def final(state: State, reason: str) -> dict[str, Any]:
        channel = Channel.SMS.value if base["channel"] == ANY_CHANNEL else base["channel"]
        return {
            **base,
            "channel": channel,
            "state": state.value,
            "reason": reason,
            "finished_at": now,
        }

    recipient = None
    if request.customer_id is not None:
        recipient = await session.get(Recipient, request.customer_id)
        if recipient is None and request.route is None:
            # Events of another topic may overtake CustomerRegistered: wait for it.
            return {**base, "state": State.PENDING.value, "reason": "awaiting_recipient"}
    staff = request.route is not None or request.category == Category.STAFF_ALERT
    owner_text: str | None = None
    if staff:
        channel = Channel.IM
        if request.route is not None:
            if not is_staff_route(request.route):
                return final(State.FAILED, "unknown_route")
            address = request.route
        else:
            assert recipient is not None, "a staff alert names a customer or a route"
            # A staff alert about a customer goes to whoever owns the customer: their
            # service group if ops assigned one, else their branch (groups.rules).
            owner = await owner_of(
                session, customer_id=recipient.customer_id, branch_id=recipient.branch_id
            )
            address = owner.route if owner is not None else f"branch:{recipient.branch_id}"
            owner_text = owner.text if owner is not None else None
    else:
        assert recipient is not None, "a customer message needs a customer"
        # The stored choice (rules.choose_channel over the customer's preferences), as the
        # campaign's insert reads it; a channel the request names comes first.
        preferred = request.channel.value if request.channel else recipient.preferred_channel
        preferences = [preferred]
        chosen = choose_channel(
            preferences, has_phone=bool(recipient.phone), has_email=bool(recipient.email)
        )
        if chosen is None:
            return final(State.FAILED, SuppressReason.NO_ADDRESS.value)
        channel = chosen
        address = ""
    template = await active_template(session, code=request.template_code, channel=channel.value)
    if template is None and not staff and channel != Channel.SMS and recipient and recipient.phone:
        channel = Channel.SMS
        template = await active_template(session, code=request.template_code, channel="sms")
    if template is None:
        return final(State.FAILED, "unknown_template")
    category = Category(template.category)
    base["category"] = category.value
    base["channel"] = channel.value
    if declared is not None and declared != category.value:
        return final(State.FAILED, "category_mismatch")
    if recipient is not None and not staff:
        # choose_channel only picks a channel the customer has an address for.
        address = (recipient.phone if channel == Channel.SMS else recipient.email) or ""
    available: dict[str, Any] = {}
    if recipient is not None:
        available.update(name=recipient.name, customer_id=recipient.customer_id)
        available.update(branch_id=recipient.branch_id)
    if owner_text is not None:
        available.update(owner=owner_text)
    available.update(request.params)
    fields = template_fields(template.text) | template_fields(template.subject or "")
    missing = fields - set(available)
    if missing:
        return final(State.FAILED, "template_missing_parameters:" + ",".join(sorted(missing))[:150])
    params = {k: str(available[k]) for k in sorted(fields)}
    send_time = earliest_send_at(category, send_at)
    send_on = beijing_date(send_time)
    base.update(
        address=address,
        template_version=template.version,
        provider_template_code=template.provider_template_code,
        params=canonical_params(params),
        body=content_for(category, render(template.text, params)),
        subject=render(template.subject, params) if template.subject else None,
        send_on=send_on,
        next_attempt_at=send_time,
    )
    if recipient is not None and rules_for(category):
        facts = await read_facts(session, customer_id=recipient.customer_id, on=send_on)
        reason = suppress_reason(category, facts, daily_cap=settings.daily_cap)
        if reason is not None:
            return final(State.SUPPRESSED, reason.value)
    return {**base, "state": State.SCHEDULED.value, "reason": None}


async def plan_message(
    session: AsyncSession,
    *,
    request: Request,
    settings: Settings,
    outbox: Outbox,
    now: datetime,
) -> Planned:
    """Store the message for a request, once per dedupe key; no second message, ever."""
    key = request.dedupe_key
    existing = (
        await session.execute(
            select(col(Message.id), col(Message.state)).where(col(Message.dedupe_key) == key)
        )
    ).first()
    if existing is not None:
        if existing.state == State.PENDING.value and request.route is not None:
            # The twin trigger that names where it goes (profile's record of a transfer,
            # with the branch) need not wait for the recipient the first one waits for.
            return await _settle_pending(
                session,
                message_id=existing.id,
                request=request,
                settings=settings,
                outbox=outbox,
                now=now,
            )
        return Planned(existing.id, existing.state, created=False)
    columns = await _decide(session, request=request, settings=settings, now=now)
    row = {
        "id": new_id(),
        "dedupe_key": key,
        "trigger_ref": request.trigger_ref[:160],
        "customer_id": request.customer_id,
        "template_code": request.template_code,
        "created_at": now,
        "updated_at": now,
        "attempts": 0,
        "solo": False,
        "address": "",
        **columns,
    }
    stmt = (
        dialect.insert_ignoring_duplicates(session, Message, keys=["dedupe_key"])
        .values(row)
        .returning(table(Message).c.id)
    )
    inserted = (await session.execute(stmt)).scalar_one_or_none()
    if inserted is None:  # a concurrent twin won
        twin = (
            await session.execute(
                select(col(Message.id), col(Message.state)).where(col(Message.dedupe_key) == key)
            )
        ).one()
        return Planned(twin.id, twin.state, created=False)
    if row["state"] in (State.FAILED.value, State.SUPPRESSED.value):
        await outbox.add_many(session, outcome_events([Outcome.of(row)], now=now))
        log.info(
            "message not sent",
            extra={"message_id": row["id"], "state": row["state"], "reason": row["reason"]},
        )
    return Planned(row["id"], row["state"], created=True)


async def _settle_pending(
    session: AsyncSession,
    *,
    message_id: str,
    request: Request,
    settings: Settings,
    outbox: Outbox,
    now: datetime,
) -> Planned:
    await dialect.begin_write(session)  # SQLite: FOR UPDATE locks nothing there
    message = await session.get(Message, message_id, with_for_update=True)
    if message is None or message.state != State.PENDING.value:
        return Planned(message_id, message.state if message else "", created=False)
    columns = await _decide(session, request=request, settings=settings, now=now)
    for key, value in columns.items():
        setattr(message, key, value)
    message.updated_at = now
    await session.flush()
    if message.state in (State.FAILED.value, State.SUPPRESSED.value):
        await outbox.add_many(session, outcome_events([Outcome.from_message(message)], now=now))
    return Planned(message.id, message.state, created=False)


async def replan_pending(
    session: AsyncSession, *, settings: Settings, outbox: Outbox, now: datetime, limit: int = 500
) -> int:
    """Plan the messages that waited for their recipient; give up after pending_timeout_h."""
    # The rows read are the rows written (the ORM's UPDATE checks no state): on SQLite take
    # the write lock before reading, or a concurrent replan would decide, and publish, too.
    await dialect.begin_write(session)
    rows = list(
        (
            await session.execute(
                select(Message)
                .where(col(Message.state) == State.PENDING.value)
                .order_by(col(Message.created_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    if not rows:
        return 0
    known = set(
        (
            await session.execute(
                select(col(Recipient.customer_id)).where(
                    col(Recipient.customer_id).in_([m.customer_id for m in rows if m.customer_id])
                )
            )
        ).scalars()
    )
    give_up_before = now - timedelta(hours=settings.pending_timeout_h)
    done = 0
    finals: list[Outcome] = []
    for m in rows:
        if m.customer_id in known:
            request = Request(
                trigger_ref=m.trigger_ref,
                template_code=m.template_code,
                customer_id=m.customer_id,
                category=Category(m.category),
                params=json.loads(m.params),
                channel=None if m.channel == ANY_CHANNEL else Channel(m.channel),
                send_at=m.next_attempt_at,
            )
            columns = await _decide(session, request=request, settings=settings, now=now)
        elif m.created_at <= give_up_before:
            columns = {
                "state": State.FAILED.value,
                "reason": "unknown_recipient",
                "finished_at": now,
                "channel": Channel.SMS.value if m.channel == ANY_CHANNEL else m.channel,
            }
        else:
            continue
        if columns["state"] == State.PENDING.value:
            continue
        for key, value in columns.items():
            setattr(m, key, value)
        m.updated_at = now
        done += 1
        if m.state in (State.FAILED.value, State.SUPPRESSED.value):
            finals.append(Outcome.from_message(m))
    await session.flush()
    if finals:
        await outbox.add_many(session, outcome_events(finals, now=now))
    return done


# ----------------------------------------------------------------------------- reading messages


async def get_message(session: AsyncSession, *, message_id: str) -> Message:
    message = await session.get(Message, message_id)
    if message is None:
        raise NotFound("no such message")
    return message


async def customer_messages(
    session: AsyncSession, *, customer_id: str, limit: int, staff_alerts: bool = True
) -> list[Message]:
    stmt = select(Message).where(col(Message.customer_id) == customer_id)
    if not staff_alerts:
        stmt = stmt.where(col(Message.category) != Category.STAFF_ALERT.value)
    return list(
        (
            await session.execute(stmt.order_by(col(Message.created_at).desc()).limit(limit))
        ).scalars()
    )
