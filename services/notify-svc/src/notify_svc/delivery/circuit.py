"""The circuit breaker of a gateway, kept in the database so every replica sees it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from brokerage_common import Outbox, dialect

from .. import metrics
from ..config import Settings
from ..models import Circuit
from ..planning.service import Request, plan_message
from ..rules import Category

log = logging.getLogger(__name__)

SMS_GATEWAY = "sms"


async def load_circuit(session: AsyncSession, *, name: str, now: datetime) -> Circuit:
    circuit = await session.get(Circuit, name)
    if circuit is None:
        await session.execute(
            dialect.insert_ignoring_duplicates(session, Circuit, keys=["name"]).values(
                name=name, state="closed", updated_at=now
            )
        )
        circuit = await session.get(Circuit, name)
        assert circuit is not None
    metrics.CIRCUIT_STATE.labels(name).set(metrics.CIRCUIT_LEVELS[circuit.state])
    return circuit


async def open_circuit(
    session: AsyncSession,
    *,
    name: str,
    code: str,
    now: datetime,
    settings: Settings,
    outbox: Outbox,
) -> bool:
    """Stop sending through a gateway after a configuration or account error; alert operations
    once per outage (a failed half-open probe re-opens it quietly)."""
    circuit = await load_circuit(session, name=name, now=now)
    was = circuit.state
    circuit.state = "open"
    circuit.reason = code[:120]
    circuit.retry_at = now + timedelta(seconds=settings.circuit_cooldown_s)
    circuit.updated_at = now
    metrics.CIRCUIT_STATE.labels(name).set(metrics.CIRCUIT_LEVELS["open"])
    if was != "closed":
        # Still broken (a failed probe, or another lane's send): one alert per outage.
        log.warning("gateway circuit stays open", extra={"gateway": name, "code": code})
        return False
    circuit.opened_at = now
    metrics.CIRCUIT_OPENED.labels(name, code).inc()
    log.error(
        "gateway circuit opened: sending stopped, operations alerted",
        extra={"gateway": name, "code": code, "cooldown_s": settings.circuit_cooldown_s},
    )
    await plan_message(
        session,
        request=Request(
            trigger_ref=f"circuit:{name}:{now.isoformat()}",
            template_code="CIRCUIT_ALERT",
            category=Category.STAFF_ALERT,
            route="ops",
            params={
                "gateway": name,
                "code": code,
                "cooldown_s": str(int(settings.circuit_cooldown_s)),
            },
        ),
        settings=settings,
        outbox=outbox,
        now=now,
    )
    return True


async def set_circuit(session: AsyncSession, *, name: str, state: str, now: datetime) -> None:
    circuit = await load_circuit(session, name=name, now=now)
    if circuit.state != state:
        log.warning("gateway circuit %s", state, extra={"gateway": name, "was": circuit.state})
    circuit.state = state
    circuit.updated_at = now
    if state == "closed":
        circuit.reason = None
        circuit.retry_at = None
    metrics.CIRCUIT_STATE.labels(name).set(metrics.CIRCUIT_LEVELS[state])
