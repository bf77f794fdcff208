"""The row change and its outbox event share one transaction: both are committed, or neither."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from brokerage_common import Database, Outbox
from brokerage_common import events as ev
from profile_svc.config import Settings
from profile_svc.customers import service
from profile_svc.customers.schemas import CustomerCreate
from profile_svc.exceptions import Conflict
from profile_svc.models import PLATFORM, Customer, TransferRequest
from profile_svc.transfers.service import record_transfer_request

TODAY = date(2026, 11, 22)


async def _counts(db: Database) -> tuple[int, int]:
    async with db.sessionmaker() as session:
        customers = (await session.execute(select(func.count()).select_from(Customer))).scalar_one()
        events = (
            await session.execute(select(func.count()).select_from(PLATFORM.outbox))
        ).scalar_one()
    return int(customers), int(events)


async def test_register_writes_the_customer_and_its_event_in_the_callers_transaction(
    db: Database, settings: Settings, make_customer: Callable[..., dict[str, Any]]
) -> None:
    outbox = Outbox(PLATFORM, source="profile-svc")
    body = make_customer()
    async with db.sessionmaker() as session:
        await service.register_customer(
            session,
            data=CustomerCreate.model_validate(body),
            actor="staff:S1",
            today=TODAY,
            hash_key=settings.hash_key,
            outbox=outbox,
        )
        assert await _counts(db) == (0, 0)  # another connection sees nothing before the commit
        await session.rollback()
    assert await _counts(db) == (0, 0)  # rolled back: neither the customer nor the event

    async with db.sessionmaker() as session:
        await service.register_customer(
            session,
            data=CustomerCreate.model_validate(body),
            actor="staff:S1",
            today=TODAY,
            hash_key=settings.hash_key,
            outbox=outbox,
        )
        await session.commit()
    assert await _counts(db) == (1, 1)
    async with db.sessionmaker() as session:
        row = (await session.execute(select(PLATFORM.outbox))).one()
        stored = await session.get(Customer, body["customer_id"])
    assert (row.topic, row.key, row.event_type) == (
        "profile.customers",
        body["customer_id"],
        "CustomerRegistered",
    )
    assert body["id_number"] not in row.payload
    assert orjson.loads(row.payload)["data"]["name"] == body["name"]
    # The ID number is kept for the branch; its keyed hash enforces uniqueness.
    assert stored is not None
    assert stored.id_number == body["id_number"]
    assert stored.id_number_hash == service.hash_id_number(body["id_number"], key=settings.hash_key)
    assert body["id_number"] not in stored.id_number_hash


def test_the_id_number_hash_is_keyed() -> None:
    number = "11010519491231002X"
    assert service.hash_id_number(number, key=b"k1" * 16) == service.hash_id_number(
        number, key=b"k1" * 16
    )
    assert service.hash_id_number(number, key=b"k1" * 16) != service.hash_id_number(
        number, key=b"k2" * 16
    )
    assert len(service.hash_id_number(number, key=b"k1" * 16)) == 64


async def test_a_failed_request_leaves_no_event(
    db: Database, settings: Settings, make_customer: Callable[..., dict[str, Any]]
) -> None:
    outbox = Outbox(PLATFORM, source="profile-svc")
    body = make_customer()
    async with db.sessionmaker() as session:
        await service.register_customer(
            session,
            data=CustomerCreate.model_validate(body),
            actor="staff:S1",
            today=TODAY,
            hash_key=settings.hash_key,
            outbox=outbox,
        )
        await session.commit()
    duplicate = make_customer(phone=body["phone"])
    async with db.sessionmaker() as session:
        with pytest.raises(Conflict):
            await service.register_customer(
                session,
                data=CustomerCreate.model_validate(duplicate),
                actor="staff:S1",
                today=TODAY,
                hash_key=settings.hash_key,
                outbox=outbox,
            )
    assert await _counts(db) == (1, 1)


async def test_a_transfer_request_is_recorded_once_across_channels(
    db: Database, settings: Settings, make_customer: Callable[..., dict[str, Any]]
) -> None:
    outbox = Outbox(PLATFORM, source="profile-svc")
    body = make_customer()
    async with db.sessionmaker() as session:
        await service.register_customer(
            session,
            data=CustomerCreate.model_validate(body),
            actor="staff:S1",
            today=TODAY,
            hash_key=settings.hash_key,
            outbox=outbox,
        )
        await session.commit()
    request = ev.CustomerTransferRequested(
        customer_id=body["customer_id"],
        request_id="R1",
        kind="designation_cancel",
        market="SH",
        reason="branch too far from home",
        requested_at=datetime(2026, 11, 20, 2, 12, tzinfo=UTC),
    )
    results = []
    for channel in ("branch-counter", "mobile-app"):
        async with db.sessionmaker() as session:
            row, created = await record_transfer_request(
                session,
                request=request,
                channel=channel,
                received_at=datetime.now(UTC),
                outbox=outbox,  # type: ignore[arg-type]
            )
            await session.commit()
            results.append((row.channel, created))
    assert results == [("branch-counter", True), ("branch-counter", False)]
    async with db.sessionmaker() as session:
        types = (
            (
                await session.execute(
                    select(PLATFORM.outbox.c.event_type).order_by(PLATFORM.outbox.c.id)
                )
            )
            .scalars()
            .all()
        )
        stored = await session.get(TransferRequest, "R1")
        customer = await session.get(Customer, body["customer_id"])
    assert types == ["CustomerRegistered", "TransferAwayRecorded", "CustomerProfileUpdated"]
    assert stored is not None
    assert stored.branch_id == body["branch_id"]
    assert stored.requested_at == datetime(2026, 11, 20, 2, 12, tzinfo=UTC)
    assert stored.received_at >= stored.requested_at
    assert customer is not None
    assert customer.status == "transfer_requested"
