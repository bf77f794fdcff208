"""The circuit breaker of a gateway, kept in the database so every replica sees it.

The decisions are ``delivery.rules.Breaker``'s; this module loads and stores it, counts and
logs the changes, and alerts operations when an outage starts.
"""

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
from .rules import Breaker, CircuitState

log = logging.getLogger(__name__)

SMS_GATEWAY = "sms"


async def _row(session: AsyncSession, *, name: str, now: datetime) -> Circuit:
    circuit = await session.get(Circuit, name)
    if circuit is None:
        await session.execute(
            dialect.insert_ignoring_duplicates(session, Circuit, keys=["name"]).values(
                name=name, state=CircuitState.CLOSED.value, updated_at=now
            )
        )
        circuit = await session.get(Circuit, name)
        assert circuit is not None
    return circuit


async def load_breaker(session: AsyncSession, *, name: str, now: datetime) -> Breaker:
    circuit = await _row(session, name=name, now=now)
    metrics.set_circuit_state(name, circuit.state)
    return Breaker(CircuitState(circuit.state), circuit.reason, circuit.opened_at, circuit.retry_at)


async def save_breaker(
    session: AsyncSession, *, name: str, breaker: Breaker, now: datetime
) -> None:
    circuit = await _row(session, name=name, now=now)
    if circuit.state != breaker.state.value:
        log.warning(
            "gateway circuit %s", breaker.state.value, extra={"gateway": name, "was": circuit.state}
        )
    circuit.state = breaker.state.value
    circuit.reason = breaker.reason
    circuit.opened_at = breaker.opened_at
    circuit.retry_at = breaker.retry_at
    circuit.updated_at = now
    metrics.set_circuit_state(name, breaker.state.value)


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
    once per outage (a failed half-open probe re-opens it quietly). True when alerted."""
    breaker = await load_breaker(session, name=name, now=now)
    cooldown = timedelta(seconds=settings.circuit_cooldown_s)
    opened, new_outage = breaker.refused(code, now, cooldown)
    circuit = await _row(session, name=name, now=now)
    circuit.state, circuit.reason = opened.state.value, opened.reason
    circuit.opened_at, circuit.retry_at, circuit.updated_at = opened.opened_at, opened.retry_at, now
    metrics.set_circuit_state(name, opened.state.value)
    if not new_outage:
        # Still broken (a failed probe, or another lane's send): one alert per outage.
        log.warning("gateway circuit stays open", extra={"gateway": name, "code": code})
        return False
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
