"""notify-svc use cases on the planning side: recipients, templates, agreements, messages,
campaigns, reminders, opt-out replies and the daily greetings.

Every function takes the session first and keyword-only arguments, writes its rows (and
outbox events) into that session, and never commits. Nothing here sends: a message is
planned into the ``message`` table and the worker's sender delivers it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel.sql.sqltypes import UTCDateTime

from brokerage_common import Outbox
from brokerage_common import events as ev

from . import catalog, rules
from .config import Settings
from .exceptions import CalendarUnavailable, Conflict, Invalid, NotFound
from .models import (
    AdvisoryAgreement,
    Campaign,
    Message,
    Recipient,
    SmsOptOut,
    Template,
)
from .rules import Category, Channel, State

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SYSTEM = "system"
WINDOW_CATEGORIES = tuple(c.value for c in Category if rules.needs_window(c))
CAPPED_CATEGORIES = (Category.MARKETING.value, Category.ADVISORY.value)
# States that do not count towards a customer's daily cap: nothing went or will go out.
UNCOUNTED_STATES = (State.SUPPRESSED.value, State.FAILED.value, State.PENDING.value)
ANY_CHANNEL = "any"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """32 hex digits, time-ordered (11 of milliseconds, 21 random): new rows append to the
    primary-key index instead of landing on random pages."""
    return f"{time.time_ns() // 1_000_000:011x}{uuid.uuid4().int & (2**84 - 1):021x}"


def campaign_ids(campaign_id: str) -> tuple[str, str]:
    """The id range of a campaign's messages: "c" + 13 hex of the campaign + 18 hex of a
    sequence. Progress reads this primary-key range (no campaign index to keep up per row);
    other message ids start with a hex timestamp digit, never "c"."""
    prefix = "c" + hashlib.sha256(campaign_id.encode()).hexdigest()[:13]
    return prefix + "0" * 18, prefix + "g"


def is_postgres(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT (for ON CONFLICT), PostgreSQL or SQLite."""
    return postgresql.insert if is_postgres(session) else sqlite.insert


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ----------------------------------------------------------------------------- recipients


def _recipient_row(c: ev.CustomerRegistered, now: datetime) -> dict[str, Any]:
    channels = list(dict.fromkeys(c.preferred_channels)) or ["sms"]
    preferred = rules.choose_channel(channels, has_phone=True, has_email=bool(c.email))
    return {
        "customer_id": c.customer_id,
        "name": c.name,
        "phone": c.phone,
        "email": c.email,
        "channels": ",".join(channels),
        "preferred_channel": (preferred or Channel.SMS).value,
        "branch_id": c.branch_id,
        "birth_month_day": c.birth_month_day,
        "status": c.status,
        "updated_at": now,
    }


async def register_customers(
    session: AsyncSession,
    *,
    customers: Sequence[ev.CustomerRegistered],
    now: datetime,
    consent_default: bool,
) -> int:
    """Upsert the read model from CustomerRegistered (set-based); an existing consent is kept."""
    latest = {c.customer_id: _recipient_row(c, now) for c in customers}
    rows = list(latest.values())
    insert = _insert(session)
    for chunk in _chunks(rows, 1000):
        stmt = insert(Recipient).values(
            [{**r, "marketing_consent": consent_default} for r in chunk]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[Recipient.customer_id],
            set_={
                k: stmt.excluded[k]
                for k in (
                    "name",
                    "phone",
                    "email",
                    "channels",
                    "preferred_channel",
                    "branch_id",
                    "birth_month_day",
                    "status",
                    "updated_at",
                )
            },
        )
        await session.execute(stmt)
    return len(rows)


async def update_customer(
    session: AsyncSession, *, change: ev.CustomerProfileUpdated, at: datetime, now: datetime
) -> bool:
    """Apply changed contact facts; a consent change older than the last one is ignored."""
    r = await session.get(Recipient, change.customer_id)
    if r is None:
        log.info(
            "profile update for an unknown customer", extra={"customer_id": change.customer_id}
        )
        return False
    if change.phone is not None:
        r.phone = change.phone
    if change.branch_id is not None:
        r.branch_id = change.branch_id
    if change.email is not None:
        r.email = change.email or None
    if change.status is not None:
        r.status = change.status
    if change.preferred_channels is not None:
        r.channels = ",".join(dict.fromkeys(change.preferred_channels)) or "sms"
    preferred = rules.choose_channel(
        r.channels.split(","), has_phone=bool(r.phone), has_email=bool(r.email)
    )
    r.preferred_channel = (preferred or Channel.SMS).value
    if change.marketing_consent is not None and (
        r.consent_changed_at is None or at > r.consent_changed_at
    ):
        r.marketing_consent = change.marketing_consent
        r.consent_changed_at = at
        if change.marketing_consent and r.phone:
            # Consent given again after an SMS opt-out (at the counter, say) lifts that opt-out.
            await session.execute(
                delete(SmsOptOut).where(SmsOptOut.phone == r.phone, SmsOptOut.opted_out_at < at)
            )
        if not change.marketing_consent:
            await _suppress_waiting_marketing(
                session, now=now, reason="no_marketing_consent", customer_id=r.customer_id
            )
    r.updated_at = now
    return True


async def record_replies(
    session: AsyncSession, *, replies: Sequence[tuple[str, str]], now: datetime
) -> int:
    """Customer replies: T / TD / 退订 withdraws marketing consent for that number."""
    phones = sorted({phone for phone, content in replies if rules.is_opt_out_reply(content)})
    if not phones:
        return 0
    insert = _insert(session)
    stmt = insert(SmsOptOut).values(
        [{"phone": p, "opted_out_at": now, "source": "reply"} for p in phones]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[SmsOptOut.phone], set_={"opted_out_at": stmt.excluded.opted_out_at}
    )
    await session.execute(stmt)
    await session.execute(
        update(Recipient)
        .where(Recipient.phone.in_(phones))  # type: ignore[union-attr]
        .values(marketing_consent=False, consent_changed_at=now, updated_at=now)
    )
    await _suppress_waiting_marketing(session, now=now, reason="opted_out", phones=phones)
    return len(phones)


async def _suppress_waiting_marketing(
    session: AsyncSession,
    *,
    now: datetime,
    reason: str,
    customer_id: str | None = None,
    phones: Sequence[str] | None = None,
) -> None:
    m = Message.__table__
    cond = [
        m.c.category == Category.MARKETING.value,
        m.c.state.in_([State.SCHEDULED.value, State.RECONCILED.value]),
    ]
    if customer_id is not None:
        cond.append(m.c.customer_id == customer_id)
    if phones is not None:
        cond += [m.c.channel == Channel.SMS.value, m.c.address.in_(phones)]
    await session.execute(
        update(m)
        .where(*cond)
        .values(state=State.SUPPRESSED.value, reason=reason, finished_at=now, updated_at=now)
    )


async def is_opted_out(session: AsyncSession, *, phone: str | None) -> bool:
    if not phone:
        return False
    return await session.get(SmsOptOut, phone) is not None


# ----------------------------------------------------------------------------- templates


async def active_template(session: AsyncSession, *, code: str, channel: str) -> Template | None:
    return (
        await session.execute(
            select(Template)
            .where(Template.code == code, Template.channel == channel, Template.active == true())
            .order_by(Template.version.desc())  # type: ignore[attr-defined]
            .limit(1)
        )
    ).scalar_one_or_none()


async def list_templates(session: AsyncSession, *, code: str | None = None) -> list[Template]:
    stmt = select(Template).order_by(Template.code, Template.channel, Template.version)
    if code is not None:
        stmt = stmt.where(Template.code == code)
    return list((await session.execute(stmt)).scalars())


async def create_template_version(
    session: AsyncSession,
    *,
    code: str,
    channel: Channel,
    category: Category,
    text: str,
    subject: str | None,
    provider_template_code: str | None,
    activate: bool,
    actor: str,
    now: datetime,
) -> Template:
    """A new version of (code, channel), mandatory texts added; optionally the active one."""
    try:
        rules.template_fields(text)
        if subject:
            rules.template_fields(subject)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    if channel == Channel.SMS and not provider_template_code:
        raise Invalid(
            "an SMS template needs the provider_template_code registered with the provider"
        )
    latest = (
        await session.execute(
            select(func.max(Template.version)).where(
                Template.code == code, Template.channel == channel.value
            )
        )
    ).scalar_one()
    if activate:
        await session.execute(
            update(Template)
            .where(Template.code == code, Template.channel == channel.value)
            .values(active=False)
        )
    template = Template(
        code=code,
        version=(latest or 0) + 1,
        channel=channel.value,
        category=category.value,
        text=rules.content_for(category, text),
        subject=subject,
        provider_template_code=provider_template_code if channel == Channel.SMS else None,
        active=activate,
        created_by=actor,
        created_at=now,
    )
    session.add(template)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("another version of this template was created at the same time") from exc
    return template


async def ensure_default_templates(session: AsyncSession, *, now: datetime) -> int:
    """Insert version 1 of every catalog template whose (code, channel) has no version yet."""
    existing = {tuple(r) for r in await session.execute(select(Template.code, Template.channel))}
    added = 0
    for t in catalog.DEFAULT_TEMPLATES:
        if (t.code, t.channel.value) in existing:
            continue
        session.add(
            Template(
                code=t.code,
                version=1,
                channel=t.channel.value,
                category=t.category.value,
                text=rules.content_for(t.category, t.text),
                subject=t.subject,
                provider_template_code=t.provider_template_code,
                active=True,
                created_by=SYSTEM,
                created_at=now,
            )
        )
        added += 1
    if added:
        await session.flush()
    return added


# ----------------------------------------------------------------------------- agreements


async def record_agreement(
    session: AsyncSession,
    *,
    customer_id: str,
    agreement_id: str | None,
    signed_on: date,
    valid_until: date | None,
    actor: str,
    now: datetime,
) -> AdvisoryAgreement:
    if valid_until is not None and valid_until < signed_on:
        raise Invalid("valid_until is before signed_on")
    agreement_id = agreement_id or new_id()
    existing = await session.get(AdvisoryAgreement, agreement_id)
    if existing is not None:
        if existing.customer_id != customer_id:
            raise Conflict("this agreement id belongs to another customer")
        existing.signed_on, existing.valid_until = signed_on, valid_until
        return existing
    agreement = AdvisoryAgreement(
        id=agreement_id,
        customer_id=customer_id,
        signed_on=signed_on,
        valid_until=valid_until,
        recorded_by=actor,
        created_at=now,
    )
    session.add(agreement)
    await session.flush()
    return agreement


async def list_agreements(session: AsyncSession, *, customer_id: str) -> list[AdvisoryAgreement]:
    return list(
        (
            await session.execute(
                select(AdvisoryAgreement)
                .where(AdvisoryAgreement.customer_id == customer_id)
                .order_by(AdvisoryAgreement.signed_on)
            )
        ).scalars()
    )


def _agreement_valid_on(customer_id: Any, on: date) -> Any:
    a = AdvisoryAgreement.__table__
    return exists().where(
        a.c.customer_id == customer_id,
        a.c.signed_on <= on,
        or_(a.c.valid_until.is_(None), a.c.valid_until >= on),
        a.c.revoked_on.is_(None),
    )


async def has_valid_agreement(session: AsyncSession, *, customer_id: str, on: date) -> bool:
    return bool((await session.execute(select(_agreement_valid_on(customer_id, on)))).scalar())


# ----------------------------------------------------------------------------- planning one message


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
        return rules.ordered_dedupe_key(
            trigger_event_id=self.trigger_ref,
            template_code=self.template_code,
            recipient=self.recipient_key,
        )


@dataclass(frozen=True)
class Planned:
    message_id: str
    state: str
    created: bool


async def _sent_on_day(session: AsyncSession, *, customer_id: str, day: date) -> int:
    return int(
        (
            await session.execute(
                select(func.count()).where(
                    Message.customer_id == customer_id,
                    Message.send_on == day,
                    Message.category.in_(CAPPED_CATEGORIES),  # type: ignore[attr-defined]
                    Message.state.not_in(UNCOUNTED_STATES),  # type: ignore[attr-defined]
                )
            )
        ).scalar_one()
    )


async def _decide(
    session: AsyncSession, *, request: Request, settings: Settings, now: datetime
) -> dict[str, Any]:
    """The columns of a message for this request: where it goes, what it says, and its state."""
    send_at = max(now, request.send_at or now)
    declared = request.category.value if request.category else None
    base: dict[str, Any] = {
        "channel": request.channel.value if request.channel else ANY_CHANNEL,
        "category": declared or Category.SERVICE.value,
        "params": rules.canonical_params(request.params),
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
    if staff:
        channel: Channel | None = Channel.IM
        address = request.route or f"branch:{recipient.branch_id if recipient else ''}"
    else:
        assert recipient is not None, "a customer message needs a customer"
        preferences = [request.channel.value] if request.channel else recipient.channels.split(",")
        channel = rules.choose_channel(
            preferences, has_phone=bool(recipient.phone), has_email=bool(recipient.email)
        )
        if channel is None:
            return final(State.FAILED, "no_address")
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
        address = recipient.phone if channel == Channel.SMS else recipient.email  # type: ignore[assignment]
    available: dict[str, Any] = {}
    if recipient is not None:
        available.update(name=recipient.name, customer_id=recipient.customer_id)
        available.update(branch_id=recipient.branch_id)
    available.update(request.params)
    fields = rules.template_fields(template.text) | rules.template_fields(template.subject or "")
    missing = fields - set(available)
    if missing:
        return final(State.FAILED, "template_missing_parameters:" + ",".join(sorted(missing))[:150])
    params = {k: str(available[k]) for k in sorted(fields)}
    send_time = rules.earliest_send_at(category, send_at)
    send_on = rules.beijing_date(send_time)
    base.update(
        address=address,
        template_version=template.version,
        provider_template_code=template.provider_template_code,
        params=rules.canonical_params(params),
        body=rules.content_for(category, rules.render(template.text, params)),
        subject=rules.render(template.subject, params) if template.subject else None,
        send_on=send_on,
        next_attempt_at=send_time,
    )
    if recipient is not None and category in (Category.MARKETING, Category.ADVISORY):
        consent = recipient.marketing_consent and not await is_opted_out(
            session, phone=recipient.phone
        )
        agreement = category == Category.ADVISORY and await has_valid_agreement(
            session, customer_id=recipient.customer_id, on=send_on
        )
        sent_today = await _sent_on_day(session, customer_id=recipient.customer_id, day=send_on)
        allowed, reason = rules.may_send(
            category=category,
            marketing_consent=consent,
            has_advisory_agreement=agreement,
            sent_today=sent_today,
            daily_cap=settings.daily_cap,
        )
        if not allowed:
            return final(State.SUPPRESSED, str(reason))
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
        await session.execute(select(Message.id, Message.state).where(Message.dedupe_key == key))
    ).first()
    if existing is not None:
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
        _insert(session)(Message)
        .values(row)
        .on_conflict_do_nothing(index_elements=[Message.dedupe_key])
        .returning(Message.id)
    )
    inserted = (await session.execute(stmt)).scalar_one_or_none()
    if inserted is None:  # a concurrent twin won
        twin = (
            await session.execute(
                select(Message.id, Message.state).where(Message.dedupe_key == key)
            )
        ).one()
        return Planned(twin.id, twin.state, created=False)
    if row["state"] in (State.FAILED.value, State.SUPPRESSED.value):
        await outbox.add_many(session, outcome_events([_Outcome.of(row)], now=now))
        log.info(
            "message not sent",
            extra={"message_id": row["id"], "state": row["state"], "reason": row["reason"]},
        )
    return Planned(row["id"], row["state"], created=True)


async def replan_pending(
    session: AsyncSession, *, settings: Settings, outbox: Outbox, now: datetime, limit: int = 500
) -> int:
    """Plan the messages that waited for their recipient; give up after pending_timeout_h."""
    rows = list(
        (
            await session.execute(
                select(Message)
                .where(Message.state == State.PENDING.value)
                .order_by(Message.created_at)
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
                select(Recipient.customer_id).where(
                    Recipient.customer_id.in_([m.customer_id for m in rows if m.customer_id])  # type: ignore[attr-defined]
                )
            )
        ).scalars()
    )
    give_up_before = now - timedelta(hours=settings.pending_timeout_h)
    done = 0
    finals: list[_Outcome] = []
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
            finals.append(_Outcome.from_message(m))
    await session.flush()
    if finals:
        await outbox.add_many(session, outcome_events(finals, now=now))
    return done


# ----------------------------------------------------------------------------- outcome events


@dataclass(frozen=True)
class _Outcome:
    id: str
    customer_id: str | None
    campaign_id: str | None
    channel: str
    template_code: str
    state: str
    reason: str | None

    @classmethod
    def of(cls, row: Any) -> _Outcome:
        get = row.get if isinstance(row, dict) else row._mapping.get
        return cls(
            id=get("id"),
            customer_id=get("customer_id"),
            campaign_id=get("campaign_id"),
            channel=get("channel"),
            template_code=get("template_code"),
            state=get("state"),
            reason=get("reason"),
        )

    @classmethod
    def from_message(cls, m: Message) -> _Outcome:
        return cls(
            m.id, m.customer_id, m.campaign_id, m.channel, m.template_code, m.state, m.reason
        )


OUTCOME_COLUMNS = (
    Message.__table__.c.id,
    Message.__table__.c.customer_id,
    Message.__table__.c.campaign_id,
    Message.__table__.c.channel,
    Message.__table__.c.template_code,
    Message.__table__.c.state,
    Message.__table__.c.reason,
)


def outcome_events(rows: Iterable[Any], *, now: datetime) -> list[ev.Event]:
    """NotificationDelivered / NotificationFailed for final messages a service asked for.

    Campaign messages publish nothing per message (progress is GET /v1/campaigns/{id}), and
    neither do staff alerts with no customer behind them.
    """
    out: list[ev.Event] = []
    for raw in rows:
        row = raw if isinstance(raw, _Outcome) else _Outcome.of(raw)
        if not row.customer_id or row.campaign_id or row.channel not in ("sms", "im", "email"):
            continue
        if row.state == State.DELIVERED.value:
            out.append(
                ev.NotificationDelivered(
                    customer_id=row.customer_id,
                    message_id=row.id,
                    channel=row.channel,  # type: ignore[arg-type]
                    template_code=row.template_code,
                    delivered_at=now,
                )
            )
        elif row.state in (
            State.FAILED.value,
            State.UNDELIVERED.value,
            State.SUPPRESSED.value,
            State.EXPIRED.value,
        ):
            out.append(
                ev.NotificationFailed(
                    customer_id=row.customer_id,
                    message_id=row.id,
                    channel=row.channel,  # type: ignore[arg-type]
                    template_code=row.template_code,
                    reason=f"{row.state}: {row.reason or ''}".strip(": ")[:200],
                )
            )
    return out


# ----------------------------------------------------------------------------- campaigns


CAMPAIGN_KINDS = ("customers", "branch", "all", "birthday")


async def create_campaign(
    session: AsyncSession,
    *,
    template_code: str,
    name: str | None,
    params: dict[str, str],
    customer_ids: Sequence[str] | None,
    branch_id: str | None,
    restrict_branch: str | None,
    send_at: datetime | None,
    actor: str,
    now: datetime,
    campaign_id: str | None = None,
    kind: str | None = None,
    month_day: str | None = None,
) -> tuple[Campaign, bool]:
    """A group message (群发): same text for everyone, so sends batch up to 1,000 numbers.

    ``restrict_branch`` limits a staff member's campaign to their own branch's customers.
    Returns the campaign and whether it was created (False when ``campaign_id`` existed).
    """
    if campaign_id is not None:
        existing = await session.get(Campaign, campaign_id)
        if existing is not None:
            return existing, False
    template = await active_template(session, code=template_code, channel=Channel.SMS.value)
    if template is None:
        raise NotFound(f"no active SMS template {template_code}")
    fields = rules.template_fields(template.text)
    missing = fields - set(params)
    if missing:
        # Per-customer placeholders would make every number's parameters differ: no batching.
        raise Invalid(
            "a campaign template takes campaign-wide parameters only; missing: "
            + ", ".join(sorted(missing))
        )
    if kind is None:
        kind = "customers" if customer_ids is not None else "branch"
    if kind not in CAMPAIGN_KINDS:
        raise Invalid(f"unknown campaign kind {kind}")
    campaign = Campaign(
        id=campaign_id or new_id(),
        name=name or template_code,
        template_code=template_code,
        category=template.category,
        params=rules.canonical_params({k: params[k] for k in sorted(fields)}),
        kind=kind,
        branch_id=branch_id or restrict_branch,
        month_day=month_day,
        customer_ids=json.dumps(list(dict.fromkeys(customer_ids)))
        if customer_ids is not None
        else None,
        send_at=send_at,
        state="planned",
        created_by=actor,
        created_at=now,
    )
    session.add(campaign)
    await session.flush()
    return campaign, True


async def expand_campaign(
    session: AsyncSession, *, campaign: Campaign, settings: Settings, now: datetime
) -> bool:
    """Turn the next chunk of a campaign's audience into messages, set-based; True when done.

    One INSERT ... SELECT from the recipient table per chunk: the dedupe key is computed in
    SQL as ``rules.ordered_dedupe_key`` does, consent, opt-out, agreement and daily cap decide
    between scheduled and suppressed in the same statement.
    """
    r = Recipient.__table__
    category = Category(campaign.category)
    params = json.loads(campaign.params)
    sms = await active_template(session, code=campaign.template_code, channel="sms")
    email = await active_template(session, code=campaign.template_code, channel="email")
    if sms is None:
        campaign.state, campaign.expanded_at = "expanded", now
        return True
    if email is not None and rules.missing_params(email.text + (email.subject or ""), params):
        email = None
    send_time = rules.earliest_send_at(category, max(now, campaign.send_at or now))
    send_on = rules.beijing_date(send_time)

    audience = [r.c.status != "transferred_out"]
    consent_required = category == Category.MARKETING
    if campaign.branch_id:
        audience.append(r.c.branch_id == campaign.branch_id)
    chunk_ids: list[str] = []
    done = False
    if campaign.kind == "customers":
        ids = json.loads(campaign.customer_ids or "[]")
        start = int(campaign.cursor or 0)
        chunk_ids = ids[start : start + settings.campaign_chunk]
        audience.append(r.c.customer_id.in_(chunk_ids))
        campaign.cursor = str(start + len(chunk_ids))
        done = start + len(chunk_ids) >= len(ids)
    else:
        if campaign.kind == "birthday":
            audience.append(
                r.c.birth_month_day.in_(rules.birthday_month_days(rules.beijing_date(send_time)))
                if not campaign.month_day
                else r.c.birth_month_day.in_(campaign.month_day.split(","))
            )
        if consent_required:
            # "all consenting customers": the others are not in the audience at all.
            audience.append(r.c.marketing_consent == true())
        after = [r.c.customer_id > campaign.cursor] if campaign.cursor else []
        upper = (
            await session.execute(
                select(r.c.customer_id)
                .where(*audience, *after)
                .order_by(r.c.customer_id)
                .offset(settings.campaign_chunk - 1)
                .limit(1)
            )
        ).scalar_one_or_none()
        audience += after
        if upper is None:
            done = True
        else:
            audience.append(r.c.customer_id <= upper)
            campaign.cursor = upper

    inserted = await _insert_campaign_messages(
        session,
        campaign=campaign,
        audience=audience,
        sms=sms,
        email=email,
        params=params,
        category=category,
        send_time=send_time,
        send_on=send_on,
        daily_cap=settings.daily_cap,
        now=now,
    )
    campaign.planned += inserted
    # Ids of this chunk were seq + 1 .. seq + rows; a chunk never holds more than campaign_chunk.
    campaign.seq += len(chunk_ids) if campaign.kind == "customers" else settings.campaign_chunk
    if campaign.kind == "customers":
        campaign.skipped += len(chunk_ids) - inserted
    campaign.state = "expanded" if done else "expanding"
    if done:
        campaign.expanded_at = now
    return done


async def _insert_campaign_messages(
    session: AsyncSession,
    *,
    campaign: Campaign,
    audience: list[Any],
    sms: Template,
    email: Template | None,
    params: dict[str, Any],
    category: Category,
    send_time: datetime,
    send_on: date,
    daily_cap: int,
    now: datetime,
) -> int:
    r = Recipient.__table__
    m = Message.__table__
    trigger = f"campaign:{campaign.id}"
    # rules.ordered_dedupe_key, with the recipient appended in SQL.
    prefix = rules.trigger_key(trigger_event_id=trigger, template_code=campaign.template_code) + "|"
    first_id, _ = campaign_ids(campaign.id)
    seq = func.row_number().over() + campaign.seq
    if is_postgres(session):
        message_id = literal(first_id[:14], String) + func.lpad(func.to_hex(seq), 18, "0")
    else:
        message_id = literal(first_id[:14], String) + func.printf("%018x", seq)

    use_email = (
        and_(r.c.email.is_not(None), or_(r.c.preferred_channel == "email", r.c.phone.is_(None)))
        if email is not None
        else literal(False)
    )
    suppress: list[tuple[Any, str]] = [(and_(not_(use_email), r.c.phone.is_(None)), "no_address")]
    if category == Category.MARKETING:
        opted_out = exists().where(SmsOptOut.__table__.c.phone == r.c.phone)
        suppress.append((or_(r.c.marketing_consent != true(), opted_out), "no_marketing_consent"))
    if category == Category.ADVISORY:
        suppress.append(
            (not_(_agreement_valid_on(r.c.customer_id, send_on)), "no_advisory_agreement")
        )
    if category in (Category.MARKETING, Category.ADVISORY):
        prior = m.alias("prior")
        sent = (
            select(func.count())
            .where(
                prior.c.customer_id == r.c.customer_id,
                prior.c.send_on == send_on,
                prior.c.category.in_(CAPPED_CATEGORIES),
                prior.c.state.not_in(UNCOUNTED_STATES),
            )
            .scalar_subquery()
        )
        suppress.append((sent >= daily_cap, rules.SuppressReason.DAILY_CAP_REACHED.value))
    # Each recipient's verdict is computed once, in a subquery kept apart from the outer
    # select (OFFSET 0 stops PostgreSQL from inlining it and evaluating the checks thrice).
    verdict = (
        select(
            r.c.customer_id,
            r.c.phone,
            r.c.email,
            use_email.label("by_email"),
            case(*suppress, else_=null()).label("why"),
        )
        .where(*audience)
        .offset(0)
        .subquery("verdict")
    )
    v = verdict.c
    by_email = v.by_email == true() if email is not None else literal(False)
    when_email = (
        (lambda a, b: case((by_email, a), else_=b)) if email is not None else (lambda _a, b: b)
    )
    dedupe = literal(prefix, String) + v.customer_id
    suppressed = v.why.is_not(None)
    email_body = (
        rules.content_for(category, rules.render(email.text, params)) if email is not None else None
    )
    email_subject = (
        rules.render(email.subject, params) if email is not None and email.subject else None
    )
    columns = {
        "id": message_id,
        "dedupe_key": dedupe,
        "trigger_ref": literal(trigger),
        "customer_id": v.customer_id,
        "campaign_id": literal(campaign.id),
        "channel": when_email(literal("email"), literal("sms")),
        "category": literal(category.value),
        "template_code": literal(campaign.template_code),
        "template_version": when_email(
            literal(email.version if email else 0), literal(sms.version)
        ),
        "provider_template_code": when_email(null(), literal(sms.provider_template_code)),
        "params": literal(campaign.params),
        "subject": when_email(literal(email_subject), null()),
        "body": when_email(literal(email_body), null()),
        "address": when_email(v.email, func.coalesce(v.phone, "")),
        "state": case((suppressed, State.SUPPRESSED.value), else_=State.SCHEDULED.value),
        "reason": v.why,
        "attempts": literal(0),
        "next_attempt_at": literal(send_time, UTCDateTime()),
        "send_on": literal(send_on),
        "solo": literal(False),
        "created_at": literal(now, UTCDateTime()),
        "updated_at": literal(now, UTCDateTime()),
        "finished_at": case((suppressed, literal(now, UTCDateTime())), else_=null()),
    }
    # WHERE true: SQLite would read "ON CONFLICT" after a bare FROM as a join constraint.
    source = select(*[expr.label(name) for name, expr in columns.items()]).where(true())
    stmt = (
        _insert(session)(m)
        .from_select(list(columns), source)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    if is_postgres(session):
        # JIT compiling this statement costs more than it saves (~0.7 s per chunk); a chunk
        # lost in a database crash is expanded again (deduplicated): no need to wait for fsync.
        await session.execute(text("SET LOCAL jit = off"))
        await session.execute(text("SET LOCAL synchronous_commit = off"))
    result = await session.execute(stmt)
    return max(0, int(result.rowcount or 0))  # type: ignore[attr-defined]


async def next_campaign(session: AsyncSession) -> Campaign | None:
    return (
        await session.execute(
            select(Campaign)
            .where(Campaign.state.in_(["planned", "expanding"]))  # type: ignore[attr-defined]
            .order_by(Campaign.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()


async def campaign_progress(
    session: AsyncSession, *, campaign_id: str
) -> tuple[Campaign, dict[str, int]]:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("no such campaign")
    first, end = campaign_ids(campaign_id)
    rows = (
        await session.execute(
            select(Message.state, func.count())
            .where(
                Message.id >= first,
                Message.id < end,
                Message.campaign_id == campaign_id,
            )
            .group_by(Message.state)
        )
    ).all()
    return campaign, {state: int(n) for state, n in rows}


async def plan_daily_greetings(session: AsyncSession, *, today: date, now: datetime) -> list[str]:
    """Birthday (生日祝福) and public-holiday (节日问候) group messages for ``today``, once each."""
    created: list[str] = []
    birthday_id = f"birthday-{today.isoformat()}"
    _, new = await create_campaign(
        session,
        template_code="BIRTHDAY",
        name=f"生日祝福 {today.isoformat()}",
        params={},
        customer_ids=None,
        branch_id=None,
        restrict_branch=None,
        send_at=None,
        actor=SYSTEM,
        now=now,
        campaign_id=birthday_id,
        kind="birthday",
        month_day=",".join(rules.birthday_month_days(today)),
    )
    if new:
        created.append(birthday_id)
    try:
        holiday = rules.holiday_greeting_name(today)
    except NotImplementedError:
        log.warning("holiday calendar does not cover this year; upgrade chinesecalendar")
        holiday = None
    if holiday is not None:
        holiday_id = f"holiday-{today.isoformat()}"
        _, new = await create_campaign(
            session,
            template_code="HOLIDAY",
            name=f"节日问候 {today.isoformat()}",
            params={"holiday": rules.HOLIDAY_CHINESE_NAMES.get(holiday, holiday)},
            customer_ids=None,
            branch_id=None,
            restrict_branch=None,
            send_at=None,
            actor=SYSTEM,
            now=now,
            campaign_id=holiday_id,
            kind="all",
        )
        if new:
            created.append(holiday_id)
    return created


# ----------------------------------------------------------------------------- reminders


REMINDER_TEMPLATES = {
    ("ipo", "subscription"): "IPO_SUBSCRIPTION",
    ("ipo", "allotment"): "IPO_ALLOTMENT",
    ("ipo", "listing"): "IPO_LISTING",
    ("warrant_exercise", "ahead"): "WARRANT_EXERCISE",
    ("warrant_exercise", "last_day"): "WARRANT_EXERCISE",
}


@dataclass(frozen=True)
class ReminderStage:
    stage: str
    on: date
    template_code: str
    send_at: datetime | None  # None: the day has passed, nothing planned
    planned: int


async def schedule_reminders(
    session: AsyncSession,
    *,
    kind: str,
    customer_ids: Sequence[str],
    security_code: str,
    security_name: str,
    subscription_on: date | None,
    listing_on: date | None,
    last_exercise_on: date | None,
    days_before: int,
    settings: Settings,
    outbox: Outbox,
    now: datetime,
) -> list[ReminderStage]:
    """Reminders on trading days (XSHG): IPO subscription T, allotment T+2, listing; warrant
    exercise some trading days ahead of and on the last exercise day. Service notices."""
    announced = settings.xshg_announced_closures
    try:
        if kind == "ipo":
            if subscription_on is None:
                raise Invalid("subscription_on is required for an IPO reminder")
            days = rules.ipo_reminder_days(subscription_on, listing_on, announced)
        else:
            if last_exercise_on is None:
                raise Invalid("last_exercise_on is required for a warrant reminder")
            days = rules.warrant_reminder_days(last_exercise_on, days_before, announced)
    except rules.CalendarNotCovered as exc:
        raise CalendarUnavailable(str(exc)) from exc
    except ValueError as exc:  # not a trading day, listing before allotment, ...
        raise Invalid(str(exc)) from exc
    today = rules.beijing_date(now)
    params = {"security_code": security_code, "security_name": security_name}
    if last_exercise_on is not None:
        params["last_exercise_on"] = last_exercise_on.isoformat()
    stages: list[ReminderStage] = []
    for stage, day in sorted(days.items(), key=lambda kv: kv[1]):
        code = REMINDER_TEMPLATES[(kind, stage)]
        if day < today:
            stages.append(ReminderStage(stage, day, code, None, 0))
            continue
        send_at = max(now, rules.at_beijing(day, settings.reminder_hour))
        planned = 0
        for customer_id in dict.fromkeys(customer_ids):
            result = await plan_message(
                session,
                request=Request(
                    trigger_ref=f"reminder:{kind}:{security_code}:{stage}:{day.isoformat()}",
                    template_code=code,
                    customer_id=customer_id,
                    params=params,
                    send_at=send_at,
                ),
                settings=settings,
                outbox=outbox,
                now=now,
            )
            planned += int(result.created)
        stages.append(ReminderStage(stage, day, code, send_at, planned))
    return stages


# ----------------------------------------------------------------------------- reading messages


async def get_message(session: AsyncSession, *, message_id: str) -> Message:
    message = await session.get(Message, message_id)
    if message is None:
        raise NotFound("no such message")
    return message


async def customer_messages(
    session: AsyncSession, *, customer_id: str, limit: int
) -> list[Message]:
    return list(
        (
            await session.execute(
                select(Message)
                .where(Message.customer_id == customer_id)
                .order_by(Message.created_at.desc())  # type: ignore[attr-defined]
                .limit(limit)
            )
        ).scalars()
    )
