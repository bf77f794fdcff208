"""ops-assessment-svc's side of notify (ADR 0011): a transfer alert goes to the customer's
service group, or to the branch when ops has not given them one (never later, never twice);
a data-leak complaint alerts compliance only, never the customer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime

import pytest
import pytest_asyncio
from notify_testkit import FakeClock, ThreadedServer, add_customer, messages, phone_of
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.config import Settings
from notify_svc.handlers import Handlers
from notify_svc.rules import BEIJING
from notify_svc.worker import Notifier

PHONE = re.compile(r"1[3-9]\d{9}")
REQUESTED_AT = datetime(2026, 12, 3, 10, 12, tzinfo=BEIJING)


class ImReceiver:
    """Enterprise-IM robots, one path per webhook, recording what each was sent."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []

        async def hook(request: Request) -> JSONResponse:
            body = await request.json()
            self.posts.append((request.url.path, body["text"]["content"]))
            return JSONResponse({"errcode": 0, "errmsg": "ok"})

        self.server = ThreadedServer(Starlette(routes=[Route("/{name}", hook, methods=["POST"])]))


@pytest.fixture
def im() -> Iterator[ImReceiver]:
    receiver = ImReceiver()
    receiver.server.start()
    yield receiver
    receiver.server.stop()


@pytest_asyncio.fixture
async def im_notifier(
    settings: Settings, db: Database, clock: FakeClock, im: ImReceiver
) -> AsyncIterator[Notifier]:
    url = im.server.url
    settings.im_webhook_url = f"{url}/default"
    settings.im_branch_webhooks = {"B001": f"{url}/branch-b001"}
    settings.im_group_webhooks = {"G-B001-1": f"{url}/group-g1"}
    settings.compliance_webhook = f"{url}/compliance"
    n = Notifier(settings, db, clock=clock, rand=lambda: 0.5)
    yield n
    await n.aclose()


def group_changed(
    group_id: str, *, state: str = "active", at: datetime = REQUESTED_AT
) -> ev.ServiceGroupChanged:
    return ev.ServiceGroupChanged(
        customer_id=group_id,
        group_id=group_id,
        branch_id="B001",
        name=f"财富{group_id[-1]}组",
        state=state,  # type: ignore[arg-type]
        members=[
            ev.GroupMember(staff_id="S001", role="account_manager"),
            ev.GroupMember(staff_id="S002", role="back_office"),
        ],
        alert_channel=f"group:{group_id}",
        changed_at=at,
    )


def assigned(customer_id: str, group_id: str | None, *, on: date) -> ev.CustomerAssigned:
    return ev.CustomerAssigned(
        customer_id=customer_id,
        group_id=group_id,
        branch_id="B001",
        month=on.strftime("%Y-%m"),
        effective_on=on,
    )


def transfer(customer_id: str, request_id: str) -> list[ev.Event]:
    """The external request and profile-svc's record of it: two triggers, one alert."""
    return [
        ev.CustomerTransferRequested(
            customer_id=customer_id,
            request_id=request_id,
            kind="designation_cancel",
            market="SH",
            requested_at=REQUESTED_AT,
        ),
        ev.TransferAwayRecorded(
            customer_id=customer_id,
            request_id=request_id,
            branch_id="B001",
            kind="designation_cancel",
            market="SH",
            channel="mobile-app",
            requested_at=REQUESTED_AT,
        ),
    ]


async def apply(db: Database, handlers: Handlers, *events: ev.Event) -> None:
    async with db.sessionmaker() as session:
        for e in events:
            await handlers.handle(session, new_envelope(e, source="ops-assessment-svc"))
        await session.commit()


async def test_an_assigned_customer_s_transfer_alert_goes_to_the_group_once(
    db: Database, im_notifier: Notifier, clock: FakeClock, im: ImReceiver
) -> None:
    await add_customer(db, "C0001", name="李四", at=clock())
    handlers = Handlers(im_notifier.settings, clock=clock)
    await apply(
        db,
        handlers,
        group_changed("G-B001-1"),
        assigned("C0001", "G-B001-1", on=date(2026, 12, 1)),
        *transfer("C0001", "R-1"),
    )
    assert await im_notifier.send_due(im_notifier.im) == 1
    (alert,) = await messages(db)
    assert (alert.address, alert.state) == ("group:G-B001-1|branch:B001", "delivered")
    ((path, text),) = im.posts
    assert path == "/group-g1"
    assert "财富1组（G-B001-1）" in text
    assert "S002（中后台）" in text
    assert "李四" in text
    assert "撤销指定交易" in text
    assert not PHONE.search(text)


async def test_an_unassigned_customer_s_alert_goes_to_the_branch_at_once(
    db: Database, im_notifier: Notifier, clock: FakeClock, im: ImReceiver
) -> None:
    await add_customer(db, "C0002", at=clock())
    handlers = Handlers(im_notifier.settings, clock=clock)
    # A group exists in the branch, but ops has not given this customer to it.
    await apply(db, handlers, group_changed("G-B001-1"), *transfer("C0002", "R-2"))
    assert await im_notifier.send_due(im_notifier.im) == 1
    assert [p for p, _ in im.posts] == ["/branch-b001"]
    assert "未分配服务小组" in im.posts[0][1]


async def test_back_to_the_branch_queue_or_a_dissolved_group_alerts_the_branch(
    db: Database, im_notifier: Notifier, clock: FakeClock, im: ImReceiver
) -> None:
    for customer in ("C0003", "C0004"):
        await add_customer(db, customer, at=clock())
    handlers = Handlers(im_notifier.settings, clock=clock)
    await apply(
        db,
        handlers,
        group_changed("G-B001-1"),
        group_changed("G-B001-2"),
        assigned("C0003", "G-B001-1", on=date(2026, 12, 1)),
        assigned("C0003", None, on=date(2026, 12, 2)),
        assigned("C0004", "G-B001-2", on=date(2026, 12, 1)),
        group_changed("G-B001-2", state="dissolved", at=REQUESTED_AT.replace(hour=11)),
        # An older state of the group replayed: the dissolution stands.
        group_changed("G-B001-2", at=REQUESTED_AT),
        # An older assignment replayed: the customer stays in the branch queue.
        assigned("C0003", "G-B001-1", on=date(2026, 11, 1)),
        *transfer("C0003", "R-3"),
        *transfer("C0004", "R-4"),
    )
    assert await im_notifier.send_due(im_notifier.im) == 2
    assert sorted(p for p, _ in im.posts) == ["/branch-b001", "/branch-b001"]
    texts = sorted(t for _, t in im.posts)
    assert "未分配服务小组" in texts[0] or "未分配服务小组" in texts[1]
    assert any("财富2组已解散" in t for t in texts)


async def test_a_group_without_its_own_robot_is_named_in_the_branch_channel(
    db: Database, im_notifier: Notifier, clock: FakeClock, im: ImReceiver
) -> None:
    handlers = Handlers(im_notifier.settings, clock=clock)
    # The customer is not known to notify yet, but ops assigned them: no waiting.
    await apply(
        db,
        handlers,
        group_changed("G-B001-2"),
        assigned("C0005", "G-B001-2", on=date(2026, 12, 1)),
        transfer("C0005", "R-5")[0],
    )
    assert await im_notifier.send_due(im_notifier.im) == 1
    ((path, text),) = im.posts
    assert path == "/branch-b001"
    assert "财富2组（G-B001-2）" in text
    assert "C0005" in text


async def test_a_waiting_alert_goes_at_once_when_the_second_trigger_names_the_branch(
    db: Database, im_notifier: Notifier, clock: FakeClock, im: ImReceiver
) -> None:
    handlers = Handlers(im_notifier.settings, clock=clock)
    external, recorded = transfer("C0008", "R-8")
    # Nobody knows the customer yet: the external request has to wait...
    await apply(db, handlers, external)
    (waiting,) = await messages(db)
    assert waiting.state == "pending"
    # ...but profile's record names the branch: the same alert goes now, not a second one.
    await apply(db, handlers, recorded, external)
    assert await im_notifier.send_due(im_notifier.im) == 1
    (alert,) = await messages(db)
    assert (alert.id, alert.address, alert.state) == (waiting.id, "branch:B001", "delivered")
    assert [p for p, _ in im.posts] == ["/branch-b001"]


def data_leak(customer_id: str, complaint_id: str) -> ev.NotificationRequested:
    """What ops-assessment-svc stages when a data-leak complaint is filed."""
    return ev.NotificationRequested(
        customer_id=customer_id,
        template_code="COMPLAINT_DATA_LEAK_ALERT",
        category="staff_alert",
        channel="im",
        params={
            "complaint_id": complaint_id,
            "branch_id": "B001",
            "received_on": "2026-12-03",
            "route": "compliance",
        },
    )


async def test_a_data_leak_alert_goes_to_compliance_and_never_to_the_customer(
    db: Database, im_notifier: Notifier, clock: FakeClock, im: ImReceiver
) -> None:
    await add_customer(db, "C0006", name="王五", email="w@example.com", at=clock())
    handlers = Handlers(im_notifier.settings, clock=clock)
    await apply(db, handlers, group_changed("G-B001-1"))
    await apply(db, handlers, assigned("C0006", "G-B001-1", on=date(2026, 12, 1)))
    # Sent, then sent again under a new event id (a retried outbox row): one alert.
    await apply(db, handlers, data_leak("C0006", "CP-9"), data_leak("C0006", "CP-9"))
    assert await im_notifier.send_due(im_notifier.im) == 1
    assert await im_notifier.send_due(im_notifier.sms) == 0
    (alert,) = await messages(db)
    assert (alert.channel, alert.address, alert.customer_id) == ("im", "compliance", None)
    assert alert.state == "delivered"
    assert await messages(db, customer_id="C0006") == []
    addressed = {m.address for m in await messages(db)}
    assert not addressed & {phone_of(6), "w@example.com"}
    ((path, text),) = im.posts
    assert path == "/compliance"
    assert "CP-9" in text
    assert "B001" in text
    assert "2026-12-03" in text
    assert "王五" not in text
    assert "C0006" not in text
    assert not PHONE.search(text)


async def test_an_unknown_staff_route_fails_instead_of_landing_elsewhere(
    db: Database, im_notifier: Notifier, clock: FakeClock
) -> None:
    await add_customer(db, "C0007", at=clock())
    handlers = Handlers(im_notifier.settings, clock=clock)
    cmd = data_leak("C0007", "CP-10")
    wrong = cmd.model_copy(update={"params": {**cmd.params, "route": "customer"}})
    await apply(db, handlers, wrong)
    (m,) = await messages(db)
    assert (m.state, m.reason, m.customer_id) == ("failed", "unknown_route", None)
