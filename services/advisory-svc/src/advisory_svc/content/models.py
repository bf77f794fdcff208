"""Published advisory content; a stock pick carries its fundamental and technical views."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field

from ..base import Base


class Content(Base, table=True):
    __tablename__ = "content"

    content_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=24)
    title: str = Field(max_length=200)
    body: str = Field(sa_type=Text)
    risk_level: str = Field(max_length=2)
    author_id: str = Field(max_length=64)
    branch_id: str = Field(max_length=32)
    security_code: str | None = Field(default=None, max_length=16)
    market: str | None = Field(default=None, max_length=2)
    recommendation: str | None = Field(default=None, max_length=8)
    fundamental_view: str | None = Field(default=None, max_length=8)
    fundamental_text: str | None = Field(default=None, sa_type=Text)
    technical_view: str | None = Field(default=None, max_length=8)
    technical_text: str | None = Field(default=None, sa_type=Text)
    segment_tiers: list[str] | None = Field(default=None, sa_type=JSON)
    holders_only: bool = False
    published_at: datetime
    published_on: date
    audience_size: int = 0
    chunk_count: int = 0

    __table_args__ = (Index("ix_content_author_kind", "author_id", "kind"),)
