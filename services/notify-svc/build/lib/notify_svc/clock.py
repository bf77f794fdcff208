"""Time and ids: the clock every use case is handed, and time-ordered row ids."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
SYSTEM = "system"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """32 hex digits, time-ordered (11 of milliseconds, 21 random): new rows append to the
    primary-key index instead of landing on random pages."""
    return f"{time.time_ns() // 1_000_000:011x}{uuid.uuid4().int & (2**84 - 1):021x}"
