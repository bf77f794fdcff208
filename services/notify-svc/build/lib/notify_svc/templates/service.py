"""Templates: the active version of (code, channel), new versions, the default catalog.

Session first, keyword-only, never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..clock import SYSTEM
from ..exceptions import Conflict, Invalid
from ..models import Template
from ..rules import Category, Channel
from . import catalog
from .rules import content_for, template_fields


async def active_template(session: AsyncSession, *, code: str, channel: str) -> Template | None:
    return (
        await session.execute(
            select(Template)
            .where(
                col(Template.code) == code,
                col(Template.channel) == channel,
                col(Template.active) == true(),
            )
            .order_by(col(Template.version).desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def list_templates(session: AsyncSession, *, code: str | None = None) -> list[Template]:
    stmt = select(Template).order_by(
        col(Template.code), col(Template.channel), col(Template.version)
    )
    if code is not None:
        stmt = stmt.where(col(Template.code) == code)
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
        template_fields(text)
        if subject:
            template_fields(subject)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    if channel == Channel.SMS and not provider_template_code:
        raise Invalid(
            "an SMS template needs the provider_template_code registered with the provider"
        )
    latest = (
        await session.execute(
            select(func.max(col(Template.version))).where(
                col(Template.code) == code, col(Template.channel) == channel.value
            )
        )
    ).scalar_one()
    if activate:
        await session.execute(
            update(Template)
            .where(col(Template.code) == code, col(Template.channel) == channel.value)
            .values(active=False)
        )
    template = Template(
        code=code,
        version=(latest or 0) + 1,
        channel=channel.value,
        category=category.value,
        text=content_for(category, text),
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
    existing = {
        tuple(r) for r in await session.execute(select(col(Template.code), col(Template.channel)))
    }
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
                text=content_for(t.category, t.text),
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
