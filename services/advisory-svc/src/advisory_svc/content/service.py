"""Content use cases: publish (resolve the audience, hand it to notify in chunks), list, read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from brokerage_common import Outbox
from brokerage_common import events as ev
from brokerage_common.timeutil import CST

from ..agreements.service import active_condition
from ..base import Base
from ..catalogue.rules import risk_number
from ..errors import Invalid, NotFound
from ..readmodels import models as _readmodels  # noqa: F401 - registers the tables read here
from ..subscriptions import models as _subscriptions  # noqa: F401
from . import rules
from .models import Content

_F = Base.metadata.tables["customer_fact"]
_S = Base.metadata.tables["subscription"]
_H = Base.metadata.tables["holding"]
HQ = "HQ"


@dataclass(frozen=True)
class Draft:
    """What an adviser submits (validated in shape by the schema)."""

    kind: str
    title: str
    body: str
    risk_level: str
    security_code: str | None = None
    market: str | None = None
    views: rules.PickViews | None = None
    fundamental_text: str | None = None
    technical_text: str | None = None
    segment_tiers: tuple[str, ...] | None = None
    holders_only: bool = False


def check_draft(draft: Draft) -> None:
    """Refuse what may not be published (422): personal numbers, a bearish-technical buy."""
    for name, text in (
        ("title", draft.title),
        ("body", draft.body),
        ("fundamental_view", draft.fundamental_text or ""),
        ("technical_view", draft.technical_text or ""),
    ):
        found = rules.personal_number_in(text)
        if found:
            raise Invalid(f"the {name} contains a {found}: content must not carry personal data")
    if draft.kind == "stock_pick":
        if draft.views is None or draft.security_code is None:
            raise Invalid("a stock pick needs a security, a recommendation and both views")
        refusal = rules.pick_refusal(draft.views)
        if refusal:
            raise Invalid(refusal)
    elif draft.views is not None:
        raise Invalid("only a stock pick carries a recommendation and views")
    entitlement = rules.ENTITLEMENTS[draft.kind]
    if (entitlement.holders or draft.holders_only) and draft.security_code is None:
        raise Invalid("content for holders needs the security_code they hold")


def audience_query(
    *,
    kind: str,
    risk_level: str,
    branch_id: str,
    security_code: str | None,
    segment_tiers: tuple[str, ...] | None,
    holders_only: bool,
    today: date,
) -> Any:
    """Who receives a piece: entitled (subscription, bundle or tier) × suitable for its risk
    level × under an active agreement for advice, optionally by tier or holders (ADR 0010)."""
    entitlement = rules.ENTITLEMENTS[kind]
    f = _F
    conditions: list[Any] = [f.c.registered.is_(True)]
    if branch_id != HQ:
        conditions.append(f.c.branch_id == branch_id)
    if segment_tiers:
        conditions.append(f.c.tier.in_(segment_tiers))
    r = risk_number(risk_level)
    if r > 1:
        conditions.append(
            or_(
                f.c.investor_category == "professional",
                and_(
                    f.c.risk_valid_until >= today,
                    f.c.risk_level.in_([f"C{n}" for n in range(r, 6)]),
                ),
            )
        )
    entitled: list[Any] = []
    if entitlement.products:
        entitled.append(
            exists().where(
                _S.c.customer_id == f.c.customer_id,
                _S.c.status == "active",
                _S.c.product_code.in_(sorted(entitlement.products)),
                _S.c.starts_on <= today,
                _S.c.ends_on >= today,
            )
        )
    if entitlement.tiers:
        entitled.append(f.c.tier.in_(sorted(entitlement.tiers)))
    conditions.append(or_(*entitled) if entitled else false())
    if entitlement.advice:
        conditions.append(exists().where(active_condition(f.c.customer_id, today)))
    if (entitlement.holders or holders_only) and security_code is not None:
        conditions.append(
            exists().where(
                _H.c.customer_id == f.c.customer_id,
                _H.c.security_code == security_code,
                _H.c.quantity > 0,
            )
        )
    return select(f.c.customer_id).where(and_(true(), *conditions)).order_by(f.c.customer_id)


async def publish(
    session: AsyncSession,
    *,
    draft: Draft,
    author_id: str,
    branch_id: str,
    now: datetime,
    chunk_size: int,
    outbox: Outbox,
) -> Content:
    """Store the piece, resolve its audience and stage ContentPublished plus its chunks."""
    check_draft(draft)
    local = now.astimezone(CST)
    today = local.date()
    ids = list(
        (
            await session.execute(
                audience_query(
                    kind=draft.kind,
                    risk_level=draft.risk_level,
                    branch_id=branch_id,
                    security_code=draft.security_code,
                    segment_tiers=draft.segment_tiers,
                    holders_only=draft.holders_only,
                    today=today,
                )
            )
        ).scalars()
    )
    parts = rules.chunks(ids, chunk_size)
    views = draft.views
    content = Content(
        content_id=uuid.uuid4().hex,
        kind=draft.kind,
        title=draft.title,
        body=draft.body,
        risk_level=draft.risk_level,
        author_id=author_id,
        branch_id=branch_id,
        security_code=draft.security_code,
        market=draft.market,
        recommendation=views.recommendation if views else None,
        fundamental_view=views.fundamental if views else None,
        fundamental_text=draft.fundamental_text,
        technical_view=views.technical if views else None,
        technical_text=draft.technical_text,
        segment_tiers=list(draft.segment_tiers) if draft.segment_tiers else None,
        holders_only=draft.holders_only,
        published_at=local,
        published_on=today,
        audience_size=len(ids),
        chunk_count=len(parts),
    )
    session.add(content)
    events: list[ev.BaseEvent] = [
        ev.ContentPublished(
            content_id=content.content_id,
            kind=draft.kind,
            title=draft.title,
            body=draft.body,
            risk_level=draft.risk_level,
            author_id=author_id,
            branch_id=branch_id,
            advice=rules.ENTITLEMENTS[draft.kind].advice,
            security_code=draft.security_code,
            published_at=local,
            audience_size=len(ids),
            chunk_count=len(parts),
        )
    ]
    events += [
        ev.ContentAudienceResolved(
            content_id=content.content_id, chunk_no=n, chunk_count=len(parts), customer_ids=part
        )
        for n, part in enumerate(parts, start=1)
    ]
    await outbox.add_many(session, events)
    return content


async def list_content(
    session: AsyncSession,
    *,
    kind: str | None,
    author_id: str | None,
    branch_ids: list[str] | None,
    limit: int,
) -> list[Content]:
    stmt = select(Content).order_by(col(Content.published_at).desc()).limit(limit)
    if kind is not None:
        stmt = stmt.where(col(Content.kind) == kind)
    if author_id is not None:
        stmt = stmt.where(col(Content.author_id) == author_id)
    if branch_ids is not None:
        stmt = stmt.where(col(Content.branch_id).in_(branch_ids))
    return list((await session.execute(stmt)).scalars())


async def get_content(session: AsyncSession, *, content_id: str) -> Content:
    content = await session.get(Content, content_id)
    if content is None:
        raise NotFound("no such content")
    return content
