"""Customer-file use cases: register and update customers, audit reveals of their numbers.

Every function takes the session first and keyword-only arguments, writes its
rows and outbox events into that session, and never commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from brokerage_common import Outbox
from brokerage_common import events as ev

from ..exceptions import Conflict, InvalidField, NotFound
from ..segments.models import CustomerSegment
from . import rules
from .models import Customer, PiiAccess
from .schemas import CustomerCreate, CustomerUpdate

PII_FIELDS = ("phone", "id_number")


def hash_id_number(id_number: str, *, key: bytes) -> str:
    """Keyed hash (HMAC-SHA256) of a normalised ID number: equal numbers, equal hashes.

    Without the key, a dump of the hashes cannot be matched against the small space
    of valid ID numbers (a plain SHA-256 of one could be brute-forced in minutes).
    """
    return hmac.new(key, id_number.encode(), hashlib.sha256).hexdigest()


def new_customer_id() -> str:
    return f"C{secrets.token_hex(5).upper()}"


async def get_customer(session: AsyncSession, *, customer_id: str) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


async def find_customer(session: AsyncSession, *, customer_id: str) -> Customer | None:
    return await session.get(Customer, customer_id)


async def search_customers(
    session: AsyncSession,
    *,
    branch_id: str,
    limit: int,
    after: str | None = None,
    name_prefix: str | None = None,
    phone_prefix3: str | None = None,
    phone_last4: str | None = None,
    value_segment: str | None = None,
    status: str | None = None,
) -> tuple[list[tuple[Customer, str | None]], str | None]:
    """One page of a branch's customers in customer-id order, each with its value segment.

    Keyset paging: the page after customer id ``after``; the second value is the id to pass
    as ``after`` for the next page (None on the last page), so a customer added or removed
    meanwhile never makes another appear twice or not at all.
    """
    stmt = (
        select(Customer, col(CustomerSegment.value_segment))
        .outerjoin(CustomerSegment, col(CustomerSegment.customer_id) == col(Customer.customer_id))
        .where(col(Customer.branch_id) == branch_id)
    )
    if after is not None:
        stmt = stmt.where(col(Customer.customer_id) > after)
    if name_prefix is not None:
        stmt = stmt.where(col(Customer.name).startswith(name_prefix, autoescape=True))
    if phone_prefix3 is not None:
        stmt = stmt.where(col(Customer.phone).startswith(phone_prefix3, autoescape=True))
    if phone_last4 is not None:
        stmt = stmt.where(col(Customer.phone_last4) == phone_last4)
    if value_segment is not None:
        stmt = stmt.where(col(CustomerSegment.value_segment) == value_segment)
    if status is not None:
        stmt = stmt.where(col(Customer.status) == status)
    rows = (await session.execute(stmt.order_by(col(Customer.customer_id)).limit(limit + 1))).all()
    page: list[tuple[Customer, str | None]] = [(c, segment) for c, segment in rows[:limit]]
    return page, page[-1][0].customer_id if len(rows) > limit else None


async def register_customer(
    session: AsyncSession,
    *,
    data: CustomerCreate,
    actor: str,
    today: date,
    hash_key: bytes,
    outbox: Outbox,
) -> Customer:
    """Open a customer's file and announce it (CustomerRegistered, without the ID number).

    409 for a customer id, phone or ID number already on file; 422 for a date in the
    future or a referrer who is not a customer.
    """
    if data.birth_date > today:
        raise InvalidField("id_number", "the birth date it encodes is in the future")
    if data.opened_on > today:
        raise InvalidField("opened_on", "must not be in the future")
    if data.market_entry_year is not None and data.market_entry_year > today.year:
        raise InvalidField("market_entry_year", "must not be in the future")
    customer_id = data.customer_id or new_customer_id()
    id_hash = hash_id_number(data.id_number, key=hash_key)
    if await session.get(Customer, customer_id) is not None:
        raise Conflict(f"customer {customer_id} already exists")
    if (
        await session.execute(
            select(col(Customer.customer_id)).where(col(Customer.phone) == data.phone)
        )
    ).first():
        raise Conflict("a customer with this phone number already exists")
    if (
        await session.execute(
            select(col(Customer.customer_id)).where(col(Customer.id_number_hash) == id_hash)
        )
    ).first():
        raise Conflict("a customer with this ID number already exists")
    if data.referrer_id is not None:
        if data.referrer_id == customer_id:
            raise InvalidField("referrer_id", "a customer cannot refer themself")
        if await session.get(Customer, data.referrer_id) is None:
            raise InvalidField("referrer_id", "no customer with this id")
    now = datetime.now(UTC)
    customer = Customer(
        customer_id=customer_id,
        name=data.name,
        phone=data.phone,
        phone_last4=rules.phone_last4(data.phone),
        id_number=data.id_number,
        id_number_hash=id_hash,
        birth_date=data.birth_date,
        gender=data.gender,
        branch_id=data.branch_id,
        opened_on=data.opened_on,
        onsite=data.onsite,
        referrer_id=data.referrer_id,
        preferred_channels=list(data.preferred_channels),
        email=data.email,
        investor_category=data.investor_category,
        market_entry_year=data.market_entry_year,
        family_life_cycle=data.family_life_cycle,
        time_on_stocks=data.time_on_stocks,
        past_success=data.past_success,
        status=rules.CustomerStatus.ACTIVE.value,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("a customer with this id, phone or ID number already exists") from exc
    await outbox.add(
        session,
        ev.CustomerRegistered(
            customer_id=customer.customer_id,
            name=customer.name,
            phone=customer.phone,
            branch_id=customer.branch_id,
            opened_on=customer.opened_on,
            birth_month_day=rules.birth_month_day(customer.birth_date),
            onsite=customer.onsite,
            referrer_id=customer.referrer_id,
            preferred_channels=customer.preferred_channels,
            email=customer.email,
            status="active",
            investor_category="professional"
            if customer.investor_category == "professional"
            else "ordinary",
        ),
    )
    return customer


# What other services keep of a customer (CustomerProfileUpdated); the other fields stay here.
_PUBLISHED_FIELDS = ("phone", "preferred_channels", "email", "status", "investor_category")


async def update_customer(
    session: AsyncSession,
    *,
    customer: Customer,
    changes: CustomerUpdate,
    today: date,
    outbox: Outbox,
) -> Customer:
    """Apply a partial update; publish CustomerProfileUpdated if contact facts or status changed."""
    values = changes.model_dump(exclude_unset=True)
    if "market_entry_year" in values and values["market_entry_year"] is not None:
        year = values["market_entry_year"]
        if year > today.year:
            raise InvalidField("market_entry_year", "must not be in the future")
        if year < customer.birth_date.year:
            raise InvalidField("market_entry_year", "is before the birth year")
    if "phone" in values and values["phone"] != customer.phone:
        taken = await session.execute(
            select(col(Customer.customer_id)).where(
                col(Customer.phone) == values["phone"],
                col(Customer.customer_id) != customer.customer_id,
            )
        )
        if taken.first():
            raise Conflict("a customer with this phone number already exists")
    channels = values.get("preferred_channels", customer.preferred_channels)
    email = values.get("email", customer.email)
    if "email" in channels and email is None:
        raise InvalidField(
            "email", "an email address is required when email is a preferred channel"
        )
    changed = {k: v for k, v in values.items() if getattr(customer, k) != v}
    if not changed:
        return customer
    for key, value in changed.items():
        setattr(customer, key, list(value) if key == "preferred_channels" else value)
    if "phone" in changed:
        customer.phone_last4 = rules.phone_last4(customer.phone)
    customer.updated_at = datetime.now(UTC)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("a customer with this phone number already exists") from exc
    published = {k: v for k, v in changed.items() if k in _PUBLISHED_FIELDS}
    if "email" in published and published["email"] is None:
        published.pop("email")  # "absent means unchanged": a removed address cannot be said in v1
    if published:
        await outbox.add(
            session, ev.CustomerProfileUpdated(customer_id=customer.customer_id, **published)
        )
    return customer


async def record_pii_access(
    session: AsyncSession,
    *,
    customer: Customer,
    actor: str,
    actor_branch_id: str,
    fields: Sequence[str],
    reason: str,
    at: datetime,
) -> PiiAccess:
    """Append who saw which personal numbers of whom, when and why (before they are shown)."""
    entry = PiiAccess(
        customer_id=customer.customer_id,
        actor=actor,
        actor_branch_id=actor_branch_id,
        fields=",".join(f for f in PII_FIELDS if f in fields),
        reason=reason,
        accessed_at=at,
    )
    session.add(entry)
    await session.flush()
    return entry


async def pii_access_log(
    session: AsyncSession, *, customer_id: str, limit: int = 200
) -> list[PiiAccess]:
    stmt = (
        select(PiiAccess)
        .where(col(PiiAccess.customer_id) == customer_id)
        .order_by(col(PiiAccess.id).desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())
