"""Outcome events: NotificationDelivered / NotificationFailed for final messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brokerage_common import events as ev

from ..models import Message, table
from ..rules import State


@dataclass(frozen=True)
class Outcome:
    id: str
    customer_id: str | None
    campaign_id: str | None
    channel: str
    template_code: str
    state: str
    reason: str | None

    @classmethod
    def of(cls, row: Any) -> Outcome:
        values: Mapping[str, Any] = row if isinstance(row, dict) else row._mapping
        return cls(
            id=values["id"],
            customer_id=values.get("customer_id"),
            campaign_id=values.get("campaign_id"),
            channel=values["channel"],
            template_code=values["template_code"],
            state=values["state"],
            reason=values.get("reason"),
        )

    @classmethod
    def from_message(cls, m: Message) -> Outcome:
        return cls(
            m.id, m.customer_id, m.campaign_id, m.channel, m.template_code, m.state, m.reason
        )


OUTCOME_COLUMNS = (
    table(Message).c.id,
    table(Message).c.customer_id,
    table(Message).c.campaign_id,
    table(Message).c.channel,
    table(Message).c.template_code,
    table(Message).c.state,
    table(Message).c.reason,
)


def outcome_events(rows: Iterable[Any], *, now: datetime) -> list[ev.Event]:
    """NotificationDelivered / NotificationFailed for final messages a service asked for.

    Campaign messages publish nothing per message (progress is GET /v1/campaigns/{id}), and
    neither do staff alerts with no customer behind them.
    """
    out: list[ev.Event] = []
    for raw in rows:
        row = raw if isinstance(raw, Outcome) else Outcome.of(raw)
        if not row.customer_id or row.campaign_id or row.channel not in ("sms", "im", "email"):
            continue
        if row.state == State.DELIVERED.value:
            out.append(
                ev.NotificationDelivered(
                    customer_id=row.customer_id,
                    message_id=row.id,
                    channel=row.channel,
                    template_code=row.template_code,
                    delivered_at=now,
                )
            )
        elif row.state in (
            State.FAILED.value,
            State.UNDELIVERED.value,
            State.SUPPRESSED.value,
            State.EXPIRED.value,
        ):
            out.append(
                ev.NotificationFailed(
                    customer_id=row.customer_id,
                    message_id=row.id,
                    channel=row.channel,
                    template_code=row.template_code,
                    reason=f"{row.state}: {row.reason or ''}".strip(": ")[:200],
                )
            )
    return out
