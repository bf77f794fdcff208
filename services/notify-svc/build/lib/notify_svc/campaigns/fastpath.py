"""The campaign expander's fast path: a chunk of the audience becomes messages in one
INSERT ... SELECT (ADR 0015).

The decisions are the planning rules' own: the facts and the suppression predicates come from
``planning.facts`` (the SQL twin of ``planning.rules.SUPPRESS_RULES``), the channel from the
stored ``rules.choose_channel`` result, the dedupe key from ``planning.rules.trigger_key``.
What is particular to this path is only how the rows are made: ids from the campaign's range,
the verdict computed once per recipient, and PostgreSQL's settings for a large insert.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    func,
    literal,
    not_,
    null,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel.sql.sqltypes import UTCDateTime

from brokerage_common import dialect

from ..models import Campaign, Message, Recipient, Template, table
from ..planning.facts import sql_chooses_email, sql_facts, suppress_cases
from ..planning.rules import SuppressReason, trigger_key
from ..rules import Category, Channel, State
from ..sql import allow_async_commit, rows_changed
from ..templates.rules import content_for, render
from .rules import campaign_ids


async def insert_campaign_messages(
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
    first_seq: int | None = None,
) -> int:
    """Plan the recipients matching ``audience``; the rows inserted (a dedupe key already
    there adds none). Ids follow ``first_seq`` (default ``campaign.seq``) in the campaign's
    range: a chunk that fixes its own offset may be planned in any order."""
    r = table(Recipient)
    message_table = table(Message)
    trigger = f"campaign:{campaign.id}"
    # ordered_dedupe_key, with the recipient appended in SQL.
    prefix = trigger_key(trigger_event_id=trigger, template_code=campaign.template_code) + "|"
    first_id, _ = campaign_ids(campaign.id)
    seq = func.row_number().over() + (campaign.seq if first_seq is None else first_seq)
    if dialect.is_postgresql(session):
        message_id = literal(first_id[:14], String) + func.lpad(func.to_hex(seq), 18, "0")
    else:
        message_id = literal(first_id[:14], String) + func.printf("%018x", seq)

    use_email = sql_chooses_email(r) if email is not None else literal(False)
    no_address = and_(not_(use_email), r.c.phone.is_(None))
    suppress = [
        (no_address, SuppressReason.NO_ADDRESS.value),
        *suppress_cases(category, sql_facts(r, on=send_on), daily_cap=daily_cap),
    ]
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
    email_body = content_for(category, render(email.text, params)) if email is not None else None
    email_subject = render(email.subject, params) if email is not None and email.subject else None
    columns = {
        "id": message_id,
        "dedupe_key": dedupe,
        "trigger_ref": literal(trigger),
        "customer_id": v.customer_id,
        "campaign_id": literal(campaign.id),
        "channel": when_email(literal(Channel.EMAIL.value), literal(Channel.SMS.value)),
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
        dialect.insert(session, message_table)
        .from_select(list(columns), source)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    if dialect.is_postgresql(session):
        # JIT compiling this statement costs more than it saves (ADR 0015).
        await session.execute(text("SET LOCAL jit = off"))
    # A chunk lost in a database crash is expanded again (deduplicated).
    await allow_async_commit(session)
    return await rows_changed(session, stmt)
