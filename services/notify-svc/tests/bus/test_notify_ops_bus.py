"""ops-assessment-svc's events through the real broker (ADR 0011): a group and an assignment
on ops.cases, then transfer requests; and the data-leak command on notify.commands."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from notify_testkit import FakeClock, eventually, messages

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from brokerage_common.broker import LocalBroker
from brokerage_common.kafka import make_producer
from notify_svc.config import Settings
from notify_svc.models import CustomerGroup
from notify_svc.rules import BEIJING
from notify_svc.worker import build_consumer

pytestmark = pytest.mark.bus

AT = datetime(2026, 12, 3, 10, 12, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A broker of this module's own: the transfer requests published here must not reach
    ops-assessment-svc's bus tests, whose consumers read the shared broker from the start
    (they would open retention cases for these customers)."""
    broker = LocalBroker(log_path=tmp_path_factory.mktemp("notify-ops-broker") / "tansu.log")
    broker.start()
    try:
        broker.create_topics()
        yield broker.bootstrap
    finally:
        broker.stop()


async def test_ops_events_route_alerts_to_the_group_the_branch_and_compliance(
    own_broker: str, settings: Settings, db: Database, clock: FakeClock
) -> None:
    bootstrap = own_broker
    suffix = uuid.uuid4().hex[:8]
    grouped, unassigned, group = f"CG{suffix}", f"CU{suffix}", f"G-{suffix}"
    settings.kafka_bootstrap_servers = bootstrap
    settings.service_name = f"notify-svc-test-{suffix}"
    settings.consumer_session_timeout_ms = 2000
    events: list[ev.Event] = [
        ev.ServiceGroupChanged(
            customer_id=group,
            group_id=group,
            branch_id="B001",
            name="财富一组",
            state="active",
            members=[ev.GroupMember(staff_id="S002", role="back_office")],
            alert_channel=f"group:{group}",
            changed_at=AT,
        ),
        ev.CustomerAssigned(
            customer_id=grouped,
            group_id=group,
            branch_id="B001",
            month="2026-12",
            effective_on=date(2026, 12, 1),
        ),
        ev.NotificationRequested(
            customer_id=grouped,
            template_code="COMPLAINT_DATA_LEAK_ALERT",
            category="staff_alert",
            channel="im",
            params={
                "complaint_id": f"CP-{suffix}",
                "branch_id": "B001",
                "received_on": "2026-12-03",
                "route": "compliance",
            },
        ),
    ]
    producer = make_producer(bootstrap, client_id="notify-ops-bus-test")
    await producer.start()
    try:
        for e in events:
            env = new_envelope(e, source="ops-assessment-svc")
            await producer.send_and_wait(e.TOPIC.name, key=e.key.encode(), value=env.to_json())
        # The transfer requests after ops' events: the group is known when they arrive
        # (the topics are not ordered with each other).
        consumer = build_consumer(settings, db, clock=clock)
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        try:

            async def group_known() -> bool:
                async with db.sessionmaker() as session:
                    return await session.get(CustomerGroup, grouped) is not None

            await eventually(group_known, timeout_s=30)
            for customer, branch in ((grouped, "B001"), (unassigned, "B002")):
                recorded = ev.TransferAwayRecorded(
                    customer_id=customer,
                    request_id=f"R-{customer}",
                    branch_id=branch,
                    kind="custody_transfer",
                    market="SZ",
                    channel="branch-counter",
                    requested_at=AT,
                )
                env = new_envelope(recorded, source="profile-svc")
                await producer.send_and_wait(
                    recorded.TOPIC.name, key=customer.encode(), value=env.to_json()
                )

            async def all_planned() -> bool:
                return len(await messages(db, template_code="TRANSFER_ALERT")) == 2 and bool(
                    await messages(db, template_code="COMPLAINT_DATA_LEAK_ALERT")
                )

            await eventually(all_planned, timeout_s=30)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)
    finally:
        await producer.stop()
    alerts = {m.customer_id: m for m in await messages(db, template_code="TRANSFER_ALERT")}
    assert alerts[grouped].address == f"group:{group}|branch:B001"
    assert "财富一组" in (alerts[grouped].body or "")
    assert alerts[unassigned].address == "branch:B002"
    (leak,) = await messages(db, template_code="COMPLAINT_DATA_LEAK_ALERT")
    assert (leak.address, leak.channel, leak.customer_id) == ("compliance", "im", None)
    assert {m.template_code for m in await messages(db, customer_id=grouped)} == {"TRANSFER_ALERT"}
