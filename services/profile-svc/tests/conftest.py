"""Fixtures of the profile-svc tests: a fresh database per test, the app on it, tokens, builders."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import MetaData, select

from brokerage_common import Database
from profile_svc.config import Settings
from profile_svc.customers import rules
from profile_svc.dependencies import get_today
from profile_svc.main import create_app
from profile_svc.models import PLATFORM, metadata

TODAY = date(2026, 11, 22)  # the day of the api.md example
BRANCH = "B001"
OTHER_BRANCH = "B002"
_serial = itertools.count(1)


def id_number_for(
    birth_date: date, *, gender: str = "male", region: str = "110101", seq: int = 1
) -> str:
    """A valid resident ID number: region, birth date, sequence (odd for men), check digit."""
    sequence = (seq * 2 + (1 if gender == "male" else 0)) % 1000
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + rules.id_number_check_digit(first17)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, environment="test", kafka_bootstrap_servers="127.0.0.1:9"
    )


@pytest_asyncio.fixture
async def db(make_database: Callable[[MetaData], Awaitable[Database]]) -> Database:
    return await make_database(metadata)


@pytest_asyncio.fixture
async def app(settings: Settings, db: Database) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    application.dependency_overrides[get_today] = lambda: TODAY
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profile"
    ) as c:
        yield c


@pytest_asyncio.fixture
async def offline_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose database is never created, for input refused before any I/O.

    Validation must happen before the database is touched; the test fails if the
    database file appears. (It also keeps the PostgreSQL run from creating a database
    for each of the many bad-input cases.)
    """
    path = tmp_path / "never-created.db"
    application = create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{path}",
            environment="test",
            kafka_bootstrap_servers="127.0.0.1:9",
        )
    )
    application.dependency_overrides[get_today] = lambda: TODAY
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://profile"
        ) as c,
    ):
        yield c
    assert not path.exists(), "input that should have been refused reached the database"


@pytest.fixture
def auth(make_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """auth("staff"): staff of BRANCH; auth("staff", branch_id=...); auth("customer", sub=...)."""

    def headers(
        role: str, *, sub: str | None = None, branch_id: str | None = None, **kw: Any
    ) -> dict[str, str]:
        if role == "staff":
            branch_id = branch_id or BRANCH
        token = make_token(role, sub=sub or f"{role}-1", branch_id=branch_id, **kw)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def make_customer() -> Callable[..., dict[str, Any]]:
    """make_customer(**overrides): a valid POST /v1/customers body, fresh phone and ID number."""

    def build(**overrides: Any) -> dict[str, Any]:
        n = next(_serial)
        birth = date.fromisoformat(overrides.pop("birth_date", "1995-11-22"))
        gender = overrides.pop("gender", "male")
        body: dict[str, Any] = {
            "customer_id": f"C{n:06d}",
            "name": "张伟",
            "phone": f"138{n:08d}",
            "id_number": id_number_for(birth, gender=gender, seq=n),
            "birth_date": birth.isoformat(),
            "gender": gender,
            "branch_id": BRANCH,
            "opened_on": "2020-03-02",
            "onsite": False,
        }
        body.update(overrides)
        return body

    return build


@pytest.fixture
def create_customer(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    make_customer: Callable[..., dict[str, Any]],
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """await create_customer(**overrides) -> the request body, after a 201 from the API."""

    async def create(**overrides: Any) -> dict[str, Any]:
        body = make_customer(**overrides)
        response = await client.post(
            "/v1/customers", json=body, headers=auth("staff", branch_id=body["branch_id"])
        )
        assert response.status_code == 201, response.text
        return body

    return create


@pytest.fixture
def outbox_events(db: Database) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """await outbox_events(type=None): committed outbox rows, oldest first, as parsed envelopes."""

    async def read(event_type: str | None = None) -> list[dict[str, Any]]:
        o = PLATFORM.outbox
        stmt = select(o.c.event_type, o.c.payload, o.c.key, o.c.topic).order_by(o.c.id)
        if event_type is not None:
            stmt = stmt.where(o.c.event_type == event_type)
        async with db.sessionmaker() as session:
            rows = (await session.execute(stmt)).all()
        return [{**orjson.loads(r.payload), "_key": r.key, "_topic": r.topic} for r in rows]

    return read
