"""Pure content rules: which template carries a piece, and where each chunk's message ids go.

Nothing here does I/O.
"""

from __future__ import annotations

CHUNK_MAX = 5000
"""Customer ids in one ``ContentAudienceResolved`` (the event refuses more)."""

ADVICE_TEMPLATE = "ADVISORY_CONTENT"
"""Advice (a pick, a strategy): category advisory, so an agreement valid on the day is
required, no marketing consent, and the risk disclosure is appended."""

NOTICE_TEMPLATE = "CONTENT_NOTICE"
"""Content that is not advice (news, seminars, training): category marketing, so marketing
consent, the opt-out and 回T退订 apply as to any other mass message."""


def template_for(*, advice: bool) -> str:
    return ADVICE_TEMPLATE if advice else NOTICE_TEMPLATE


def campaign_id_for(content_id: str) -> str:
    """The campaign a piece is delivered through: its dedupe keys (trigger
    ``campaign:content-<id>`` + customer) make one message per customer per piece, whatever
    chunk names them."""
    return f"content-{content_id}"


def first_seq(chunk_no: int) -> int:
    """Chunk n's message ids start after n-1 full chunks: chunks may be planned in any order
    (one waiting for its piece, a later one arriving first) without sharing an id."""
    if chunk_no < 1:
        raise ValueError("chunks are numbered from 1")
    return (chunk_no - 1) * CHUNK_MAX
