"""notify-svc's event registry: every event type the worker consumes and its handler.

The handlers live with their domain (``recipients.handlers``, ``planning.handlers``, ...) and take
the worker's ``HandlerContext`` first; ``Handlers`` binds them for the idempotent consumer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Envelope, Outbox, batch_handler
from brokerage_common import events as ev
from brokerage_common.consumer import BatchHandler, EventHandler

from .agreements import handlers as agreements
from .clock import Clock, utcnow
from .config import Settings
from .content import handlers as content
from .context import HandlerContext
from .groups import handlers as groups
from .models import PLATFORM
from .planning import handlers as planning
from .recipients import handlers as recipients

ContextHandler = Callable[[HandlerContext, AsyncSession, Any], Awaitable[None]]

HANDLERS: dict[str, ContextHandler] = {
    ev.CustomerRegistered.TYPE: recipients.on_customers_registered,
    ev.CustomerProfileUpdated.TYPE: recipients.on_customer_profile_updated,
    ev.TierChanged.TYPE: planning.on_tier_changed,
    ev.CustomerTransferRequested.TYPE: planning.on_customer_transfer_requested,
    ev.TransferAwayRecorded.TYPE: planning.on_transfer_away_recorded,
    ev.NotificationRequested.TYPE: planning.on_notification_requested,
    ev.AdvisoryAgreementSigned.TYPE: agreements.on_advisory_agreement_signed,
    ev.AdvisoryAgreementRescinded.TYPE: agreements.on_advisory_agreement_rescinded,
    ev.ContentPublished.TYPE: content.on_content_published,
    ev.ContentAudienceResolved.TYPE: content.on_content_audience_resolved,
    ev.ServiceGroupChanged.TYPE: groups.on_service_group_changed,
    ev.CustomerAssigned.TYPE: groups.on_customer_assigned,
}
# Handlers that take a list of consecutive envelopes of their type (set-based writes).
BATCHED = frozenset({ev.CustomerRegistered.TYPE})

TOPICS = [
    ev.CustomerRegistered.TOPIC.name,
    ev.TierChanged.TOPIC.name,
    ev.CustomerTransferRequested.TOPIC.name,
    ev.NotificationRequested.TOPIC.name,
    ev.AdvisoryAgreementSigned.TOPIC.name,
    ev.ContentPublished.TOPIC.name,
    ev.ServiceGroupChanged.TOPIC.name,
]


def _bind(handler: ContextHandler, ctx: HandlerContext) -> EventHandler:
    async def handle(session: AsyncSession, envelope: Envelope[Any]) -> None:
        await handler(ctx, session, envelope)

    return handle


def _bind_batch(handler: ContextHandler, ctx: HandlerContext) -> BatchHandler:
    async def handle(session: AsyncSession, envelopes: list[Envelope[Any]]) -> int | None:
        await handler(ctx, session, envelopes)
        return None

    return batch_handler(handle)


class Handlers:
    """The registry bound to this worker's settings, outbox and clock."""

    def __init__(self, settings: Settings, *, clock: Clock = utcnow) -> None:
        self.ctx = HandlerContext(
            settings=settings, clock=clock, outbox=Outbox(PLATFORM, source=settings.service_name)
        )

    def registry(self) -> dict[str, EventHandler | BatchHandler]:
        return {
            event_type: (_bind_batch if event_type in BATCHED else _bind)(handler, self.ctx)
            for event_type, handler in HANDLERS.items()
        }

    async def handle(self, session: AsyncSession, envelope: Envelope[Any]) -> None:
        """Apply one envelope as the consumer would (a batched type as a batch of one)."""
        handler = HANDLERS[envelope.type]
        await handler(self.ctx, session, [envelope] if envelope.type in BATCHED else envelope)
