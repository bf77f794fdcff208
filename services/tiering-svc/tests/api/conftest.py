"""The tiering app over an in-process ASGI client, on this test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from brokerage_common import Database
from tiering_svc.config import Settings
from tiering_svc.main import create_app


@pytest.fixture
def app(db: Database, settings: Settings) -> FastAPI:
    # db first: the tables exist before the app's own engine opens the database.
    return create_app(settings, follow_events=False)


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tiering") as c:
        yield c
    await app.state.db.dispose()  # the lifespan would; ASGITransport does not run it


@pytest.fixture
def auth(make_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Headers for a caller: auth("customer", sub="C1"), auth("staff", branch_id="B001")."""

    def headers(role: str, **claims: object) -> dict[str, str]:
        if role == "staff":
            claims.setdefault("branch_id", "B001")
        return {"Authorization": f"Bearer {make_token(role, **claims)}"}

    return headers
