"""notify-svc worker: the event consumer, the outbox relay, the senders (SMS, IM, e-mail), the
delivery-report applier and reconciler, the campaign expander and the daily greetings.

The sender loop claims due messages in batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several lanes and replicas share the work; SQLite runs one sender), commits them as
``submitting`` *before* any HTTP call, sends, and records the outcomes. A crash between the
two commits leaves ``submitting`` rows that the reconciler treats as unknown: it asks the
provider first and never resends blindly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import date, datetime
from typing import Any

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from brokerage_common import (
    Database,
    Housekeeper,
    IdempotentConsumer,
    Outbox,
    OutboxRelay,
    configure_logging,
    is_transient,
    run_main,
    run_until_stopped,
)

from . import metrics
from .campaigns import service as campaigns
from .clock import Clock, utcnow
from .config import Settings
from .content import service as content
from .delivery import circuit as circuits
from .delivery import reports
from .delivery import service as delivery
from .delivery.channels import (
    ChannelSender,
    ImWebhook,
    SendResult,
    SmsSender,
    SmtpMailer,
    StatusResult,
)
from .delivery.rules import SendOutcome
from .delivery.sms import build_sms_sender
from .handlers import TOPICS, Handlers
from .models import PLATFORM
from .planning import service as planning
from .reminders.calendar import trading_calendar_ends
from .rules import Channel, beijing_date
from .templates.service import ensure_default_templates

log = logging.getLogger(__name__)

Runner = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
OTHER_CLAIM_SIZE = 50
QUERY_CONCURRENCY = 8


def build_consumer(
    settings: Settings, db: Database, *, clock: Clock = utcnow
) -> IdempotentConsumer:
    return IdempotentConsumer.from_settings(
        settings, db, PLATFORM, topics=TOPICS, handlers=Handlers(settings, clock=clock).registry()
    )


def build_relay(settings: Settings, db: Database) -> OutboxRelay:
    return OutboxRelay.from_settings(settings, db, PLATFORM)


def _db_retry() -> AsyncRetrying:
    # Deadlocks and dropped connections while recording: try again, the outcome is in memory.
    return AsyncRetrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(5),
        wait=wait_exponential_jitter(multiplier=0.05, max=2.0, jitter=0.1),
        reraise=True,
    )


class Notifier:
    """Every piece of delivery work, one step at a time (tests drive the steps with a clock)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        clock: Clock = utcnow,
        sms: SmsSender | None = None,
        im: ChannelSender | None = None,
        email: ChannelSender | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.sms = sms or build_sms_sender(settings)
        self.im = im or ImWebhook(settings)
        self.email = email or SmtpMailer(settings)
        self.rand = rand
        self.outbox = Outbox(PLATFORM, source=settings.service_name)

    @property
    def senders(self) -> list[ChannelSender]:
        return [self.sms, self.im, self.email]

    async def prepare(self) -> None:
        async with self.db.sessionmaker() as session:
            await ensure_default_templates(session, now=self.clock())
            await session.commit()

    async def aclose(self) -> None:
        for sender in self.senders:
            await sender.aclose()

    # ------------------------------------------------------------------ sending

    async def send_due(self, sender: ChannelSender, *, now: datetime | None = None) -> int:
        """Claim, send and record one batch of due messages of one channel; returns how many."""
        s = self.settings
        at = now or self.clock()
        is_sms = sender.channel == Channel.SMS
        probe = False
        async with self.db.sessionmaker() as session:
            if is_sms:
                stored = await circuits.load_breaker(session, name=circuits.SMS_GATEWAY, now=at)
                breaker = stored.before_send(at)
                if breaker.stops_sending:
                    await session.commit()
                    return 0
                if breaker != stored:
                    await circuits.save_breaker(
                        session, name=circuits.SMS_GATEWAY, breaker=breaker, now=at
                    )
                probe = breaker.probing
            await session.commit()
        limit = 1 if probe else (s.sms_claim_size if is_sms else OTHER_CLAIM_SIZE)
        groups: list[delivery.SendBatch] = []
        async for attempt in _db_retry():
            with attempt:
                async with self.db.sessionmaker() as session:
                    await delivery.withhold_withdrawn_advice(
                        session, channel=sender.channel, now=at, outbox=self.outbox
                    )
                    groups = await delivery.claim(
                        session,
                        channel=sender.channel,
                        now=at,
                        limit=limit,
                        batch_max=sender.max_batch,
                        stale_after_s=s.stale_submitting_s,
                    )
                    await session.commit()
        if not groups:
            return 0
        results = await self._send_all(sender, groups)
        await self._record(sender, results, now=now or self.clock(), probe=probe)
        return sum(len(g.items) for g in groups)

    async def _send_all(
        self, sender: ChannelSender, groups: Sequence[delivery.SendBatch]
    ) -> list[tuple[delivery.SendBatch, SendResult]]:
        limit = asyncio.Semaphore(self.settings.sms_concurrency)

        async def one(group: delivery.SendBatch) -> SendResult:
            async with limit:
                try:
                    return await sender.send(group.outgoing())
                except Exception:  # it may have gone out: never resend blindly
                    log.exception("send failed unexpectedly", extra={"out_id": group.out_id})
                    return SendResult(SendOutcome.UNKNOWN)

        results = await asyncio.gather(*(one(g) for g in groups))
        return list(zip(groups, results, strict=True))

    async def _record(
        self,
        sender: ChannelSender,
        results: list[tuple[delivery.SendBatch, SendResult]],
        *,
        now: datetime,
        probe: bool,
    ) -> None:
        for group, result in results:
            if result.code in ("im_channel_off", "email_channel_off"):
                log.warning(
                    "channel is off: message suppressed",
                    extra={"channel": group.channel.value, "message_id": group.out_id},
                )
        async for attempt in _db_retry():
            with attempt:
                async with self.db.sessionmaker() as session:
                    recorded = await delivery.record_results(
                        session,
                        results=results,
                        confirms_delivery=sender.confirms_delivery,
                        settings=self.settings,
                        outbox=self.outbox,
                        now=now,
                        rand=self.rand,
                    )
                    if sender.channel == Channel.SMS:
                        if recorded.open_circuit:
                            await circuits.open_circuit(
                                session,
                                name=circuits.SMS_GATEWAY,
                                code=recorded.open_circuit,
                                now=now,
                                settings=self.settings,
                                outbox=self.outbox,
                            )
                        elif probe:
                            breaker = await circuits.load_breaker(
                                session, name=circuits.SMS_GATEWAY, now=now
                            )
                            await circuits.save_breaker(
                                session,
                                name=circuits.SMS_GATEWAY,
                                breaker=breaker.succeeded(),
                                now=now,
                            )
                    await session.commit()

    # ------------------------------------------------------------------ reports and reconciliation

    async def apply_reports_once(self, *, now: datetime | None = None) -> int:
        stats = reports.ReportStats()
        async for attempt in _db_retry():
            with attempt:
                async with self.db.sessionmaker() as session:
                    stats = await reports.apply_reports(
                        session, now=now or self.clock(), outbox=self.outbox
                    )
                    await session.commit()
        return stats.matched

    async def reconcile_once(self, *, now: datetime | None = None) -> int:
        """Ask the provider about unknown sends and overdue reports; settle what it says."""
        at = now or self.clock()
        checks: dict[str, list[reports.StatusCheck]] = {}
        async for attempt in _db_retry():
            with attempt:
                async with self.db.sessionmaker() as session:
                    checks = await reports.claim_checks(session, now=at, settings=self.settings)
                    await session.commit()
        if not checks:
            return 0
        limit = asyncio.Semaphore(QUERY_CONCURRENCY)

        async def query(out_id: str) -> StatusResult:
            rows = checks[out_id]
            sent = min((r.submitted_at for r in rows if r.submitted_at), default=None)
            async with limit:
                return await self.sms.query_status(
                    out_id,
                    numbers=[r.address for r in rows],
                    sent_at=sent,
                )

        statuses = await asyncio.gather(*(query(o) for o in checks))
        async for attempt in _db_retry():
            with attempt:
                async with self.db.sessionmaker() as session:
                    for (out_id, rows), status in zip(checks.items(), statuses, strict=True):
                        await reports.record_check(
                            session,
                            out_id=out_id,
                            checks=rows,
                            status=status,
                            settings=self.settings,
                            outbox=self.outbox,
                            now=at,
                        )
                    await session.commit()
        return sum(len(rows) for rows in checks.values())

    async def expire_once(self, *, now: datetime | None = None) -> int:
        async with self.db.sessionmaker() as session:
            at = now or self.clock()
            n = await reports.expire_overdue(session, now=at, outbox=self.outbox)
            await reports.purge_reports(session, now=at)
            await session.commit()
        return n

    # ------------------------------------------------------------------ planning

    async def plan_pending_once(self, *, now: datetime | None = None) -> int:
        async with self.db.sessionmaker() as session:
            n = await planning.replan_pending(
                session, settings=self.settings, outbox=self.outbox, now=now or self.clock()
            )
            n += await content.plan_waiting_customers(
                session, settings=self.settings, now=now or self.clock()
            )
            await session.commit()
        return n

    async def expand_campaigns_once(self, *, now: datetime | None = None) -> bool:
        """Expand one chunk of the oldest unfinished campaign; False when there is none."""
        async with self.db.sessionmaker() as session:
            campaign = await campaigns.next_campaign(session)
            if campaign is None:
                return False
            await campaigns.expand_campaign(
                session, campaign=campaign, settings=self.settings, now=now or self.clock()
            )
            await session.commit()
            log.info(
                "campaign chunk expanded",
                extra={
                    "campaign_id": campaign.id,
                    "planned": campaign.planned,
                    "state": campaign.state,
                },
            )
        return True

    async def daily_once(self, *, now: datetime | None = None) -> list[str]:
        """Birthday and holiday greetings for today (Beijing); idempotent. Also checks how
        long the trading calendar lasts."""
        at = now or self.clock()
        today = beijing_date(at)
        self.check_calendar(today)
        async with self.db.sessionmaker() as session:
            created = await campaigns.plan_daily_greetings(session, today=today, now=at)
            await session.commit()
        return created

    def check_calendar(self, today: date) -> int:
        """Days the trading calendar has left, as a gauge; a warning when they run short
        (the exchange announces a year's closures in December)."""
        ends = trading_calendar_ends(self.settings.xshg_announced_closures)
        left = (ends - today).days
        metrics.TRADING_CALENDAR_REMAINING.set(left * 86400)
        if left <= self.settings.calendar_warn_days:
            log.warning(
                "trading calendar ends soon: reminders past its end are refused; "
                "set XSHG_ANNOUNCED_CLOSURES to the exchange's announced closures",
                extra={"calendar_ends": ends.isoformat(), "days_left": left},
            )
        return left

    # ------------------------------------------------------------------ loops

    async def loop(
        self, name: str, step: Callable[[], Awaitable[object]], idle_s: float, stop: asyncio.Event
    ) -> None:
        """Run ``step`` until stopped: again at once while it finds work, else after ``idle_s``."""
        while not stop.is_set():
            busy = False
            try:
                busy = bool(await step())
            except Exception:
                log.exception("worker step failed; will try again", extra={"step": name})
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_s)

    def runners(self) -> list[Runner]:
        s = self.settings
        lanes = 1 if self.db.is_sqlite else s.sms_lanes
        runners: list[Runner] = [
            lambda stop: self.loop("sms", lambda: self.send_due(self.sms), s.sender_idle_s, stop)
            for _ in range(lanes)
        ]
        runners += [
            lambda stop: self.loop("im", lambda: self.send_due(self.im), s.sender_idle_s, stop),
            lambda stop: self.loop(
                "email", lambda: self.send_due(self.email), s.sender_idle_s, stop
            ),
            lambda stop: self.loop(
                "reports", self.apply_reports_once, s.housekeeping_interval_s, stop
            ),
            lambda stop: self.loop(
                "reconcile", self.reconcile_once, s.housekeeping_interval_s, stop
            ),
            lambda stop: self.loop(
                "pending", self.plan_pending_once, s.housekeeping_interval_s * 5, stop
            ),
            lambda stop: self.loop(
                "campaigns", self.expand_campaigns_once, s.housekeeping_interval_s, stop
            ),
            lambda stop: self.loop("expiry", self._expire_step, 600.0, stop),
            lambda stop: self.loop("daily", self._daily_step, s.daily_jobs_interval_s, stop),
        ]
        return runners

    async def _expire_step(self) -> bool:
        await self.expire_once()
        return False

    async def _daily_step(self) -> bool:
        await self.daily_once()
        return False


async def main(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    configure_logging(
        service=f"{settings.service_name}-worker", level=settings.log_level, json=settings.log_json
    )
    db = Database(settings.database_url, pool_size=settings.db_pool_size, batch_plans=True)
    notifier = Notifier(settings, db)
    consumer = build_consumer(settings, db)
    relay = build_relay(settings, db)
    try:
        await notifier.prepare()
        await run_until_stopped(
            [
                consumer.run,
                relay.run,
                *notifier.runners(),
                Housekeeper.from_settings(settings, db, PLATFORM).run,
            ],
            metrics_port=settings.worker_metrics_port,
        )
    finally:
        await notifier.aclose()
        await db.dispose()


if __name__ == "__main__":
    # ``python -m notify_svc.worker`` runs this file as ``__main__``: run the module under its own
    # name, so that its logger is "notify_svc.worker", not "__main__" (ADR 0019).
    from notify_svc.worker import main as module_main

    run_main(module_main())
