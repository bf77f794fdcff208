"""Recipients: the read model of customers' contact facts (CustomerRegistered,
CustomerProfileUpdated), marketing consent, and SMS opt-out replies.

Session first, keyword-only, never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import dialect
from brokerage_common import events as ev

from ..models import Message, Recipient, SmsOptOut, table
from ..planning.rules import SuppressReason, choose_channel
from ..rules import Category, Channel, State
from ..sql import chunks
from .rules import is_opt_out_reply

log = logging.getLogger(__name__)


def _recipient_row(c: ev.CustomerRegistered, now: datetime) -> dict[str, Any]:
    channels = list(dict.fromkeys(c.preferred_channels)) or ["sms"]
    preferred = choose_channel(channels, has_phone=True, has_email=bool(c.email))
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
    for chunk in chunks(rows):
        stmt = dialect.upsert(
            session,
            Recipient,
            keys=["customer_id"],
            update=(
                "name",
                "phone",
                "email",
                "channels",
                "preferred_channel",
                "branch_id",
                "birth_month_day",
                "status",
                "updated_at",
            ),
        ).values([{**r, "marketing_consent": consent_default} for r in chunk])
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
    preferred = choose_channel(
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
                delete(SmsOptOut).where(
                    col(SmsOptOut.phone) == r.phone, col(SmsOptOut.opted_out_at) < at
                )
            )
        if not change.marketing_consent:
            await _suppress_waiting_marketing(
                session,
                now=now,
                reason=SuppressReason.NO_MARKETING_CONSENT,
                customer_id=r.customer_id,
            )
    r.updated_at = now
    return True


async def record_replies(
    session: AsyncSession, *, replies: Sequence[tuple[str, str]], now: datetime
) -> int:
    """Customer replies: T / TD / 退订 withdraws marketing consent for that number."""
    phones = sorted({phone for phone, content in replies if is_opt_out_reply(content)})
    if not phones:
        return 0
    stmt = dialect.upsert(session, SmsOptOut, keys=["phone"], update=["opted_out_at"]).values(
        [{"phone": p, "opted_out_at": now, "source": "reply"} for p in phones]
    )
    await session.execute(stmt)
    await session.execute(
        update(Recipient)
        .where(col(Recipient.phone).in_(phones))
        .values(marketing_consent=False, consent_changed_at=now, updated_at=now)
    )
    await _suppress_waiting_marketing(
        session, now=now, reason=SuppressReason.OPTED_OUT, phones=phones
    )
    return len(phones)


async def _suppress_waiting_marketing(
    session: AsyncSession,
    *,
    now: datetime,
    reason: SuppressReason,
    customer_id: str | None = None,
    phones: Sequence[str] | None = None,
) -> None:
    message_table = table(Message)
    cond = [
        message_table.c.category == Category.MARKETING.value,
        message_table.c.state.in_([State.SCHEDULED.value, State.RECONCILED.value]),
    ]
    if customer_id is not None:
        cond.append(message_table.c.customer_id == customer_id)
    if phones is not None:
        cond += [message_table.c.channel == Channel.SMS.value, message_table.c.address.in_(phones)]
    await session.execute(
        update(message_table)
        .where(*cond)
        .values(state=State.SUPPRESSED.value, reason=reason.value, finished_at=now, updated_at=now)
    )


async def is_opted_out(session: AsyncSession, *, phone: str | None) -> bool:
    if not phone:
        return False
    return await session.get(SmsOptOut, phone) is not None
