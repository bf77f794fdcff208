"""Advisory content (``ContentPublished`` and its audience chunks) delivered through the
campaign fast path (ADR 0010, 0015)."""
