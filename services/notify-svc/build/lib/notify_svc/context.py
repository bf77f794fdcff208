"""What the event handlers are bound to: this worker's settings, clock and outbox."""

from __future__ import annotations

from dataclasses import dataclass

from brokerage_common import Outbox

from .clock import Clock
from .config import Settings


@dataclass(frozen=True)
class HandlerContext:
    settings: Settings
    clock: Clock
    outbox: Outbox
