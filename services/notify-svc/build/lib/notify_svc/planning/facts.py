"""The suppression facts and rules in SQL: the same facts for both paths, and each rule of
``planning.rules.SUPPRESS_RULES`` as a SQL predicate under the same reason.

The per-message path reads the facts of one customer with ``read_facts`` and asks the Python
rules; the campaign's set-based insert puts ``suppress_cases`` into its SELECT. The parity
test (tests/integration/test_notify_rule_parity.py) runs one matrix of recipients through
both and requires the same decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from ..agreements.service import agreement_valid_on
from ..models import Message, Recipient, SmsOptOut, table
from ..rules import Category, Channel
from .rules import (
    CAPPED_CATEGORIES,
    SUPPRESS_RULES,
    UNCOUNTED_STATES,
    Facts,
    SuppressReason,
    rules_for,
)


@dataclass(frozen=True)
class SqlFacts:
    """``rules.Facts`` as SQL expressions over a recipient row."""

    marketing_consent: ColumnElement[bool]
    opted_out: ColumnElement[bool]
    has_advisory_agreement: ColumnElement[bool]
    sent_today: ColumnElement[int]


def sql_facts(recipient: Any, *, on: date) -> SqlFacts:
    """The facts of the customer in ``recipient`` (the recipient table or an alias of it) for
    messages going on the Beijing day ``on``."""
    opt_out = table(SmsOptOut)
    prior = table(Message).alias("prior")
    sent_today = (
        select(func.count())
        .where(
            prior.c.customer_id == recipient.c.customer_id,
            prior.c.send_on == on,
            prior.c.category.in_(sorted(c.value for c in CAPPED_CATEGORIES)),
            prior.c.state.not_in(sorted(s.value for s in UNCOUNTED_STATES)),
        )
        .scalar_subquery()
    )
    return SqlFacts(
        marketing_consent=recipient.c.marketing_consent == true(),
        opted_out=exists().where(opt_out.c.phone == recipient.c.phone),
        has_advisory_agreement=agreement_valid_on(recipient.c.customer_id, on),
        sent_today=sent_today,
    )


SQL_PREDICATES: dict[SuppressReason, Callable[[SqlFacts, int], ColumnElement[bool]]] = {
    SuppressReason.NO_MARKETING_CONSENT: lambda f, _cap: or_(
        not_(f.marketing_consent), f.opted_out
    ),
    SuppressReason.NO_ADVISORY_AGREEMENT: lambda f, _cap: not_(f.has_advisory_agreement),
    SuppressReason.DAILY_CAP_REACHED: lambda f, cap: f.sent_today >= cap,
}

if set(SQL_PREDICATES) != {rule.reason for rule in SUPPRESS_RULES}:
    raise RuntimeError("every suppression rule needs its SQL predicate, and no other")


def suppress_cases(
    category: Category, facts: SqlFacts, *, daily_cap: int
) -> list[tuple[ColumnElement[bool], str]]:
    """``CASE`` arms for the rules of ``category``, in the rules' order: WHEN holds THEN reason."""
    return [
        (SQL_PREDICATES[rule.reason](facts, daily_cap), rule.reason.value)
        for rule in rules_for(category)
    ]


def sql_chooses_email(recipient: Any) -> ColumnElement[bool]:
    """``rules.choose_channel([preferred_channel], ...) == EMAIL`` in SQL: the e-mail address is
    known and e-mail is preferred, or there is no phone number."""
    return and_(
        recipient.c.email.is_not(None),
        or_(recipient.c.preferred_channel == Channel.EMAIL.value, recipient.c.phone.is_(None)),
    )


async def read_facts(session: AsyncSession, *, customer_id: str, on: date) -> Facts:
    """One customer's facts for a message on the Beijing day ``on``, in one query."""
    r = table(Recipient)
    f = sql_facts(r, on=on)
    row = (
        await session.execute(
            select(f.marketing_consent, f.opted_out, f.has_advisory_agreement, f.sent_today).where(
                r.c.customer_id == customer_id
            )
        )
    ).one()
    consent, opted_out, agreement, sent_today = row
    return Facts(
        marketing_consent=bool(consent),
        opted_out=bool(opted_out),
        has_advisory_agreement=bool(agreement),
        sent_today=int(sent_today),
    )
