"""The ops-assessment app over an in-process ASGI client, on this test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from brokerage_common import CST, Database
from ops_assessment_svc.config import Settings
from ops_assessment_svc.deps import get_now
from ops_assessment_svc.main import create_app

API_NOW = datetime(2026, 12, 2, 10, 0, tzinfo=CST)


@pytest.fixture
def app(db: Database, settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.dependency_overrides[get_now] = lambda: API_NOW
    return app


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ops") as c:
        yield c
    await app.state.db.dispose()


@pytest.fixture
def auth(make_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """auth("staff", sub="M1", staff_roles=["manager"]), auth("customer", sub="C1")."""

    def headers(role: str, **claims: object) -> dict[str, str]:
        if role == "staff":
            claims.setdefault("branch_id", "B001")
        return {"Authorization": f"Bearer {make_token(role, **claims)}"}

    return headers
