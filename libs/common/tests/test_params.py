"""brokerage_common.params: bounded ids and names are 422 outside their bounds (issue 16)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from brokerage_common.params import BoundedDate, BranchIdQuery, CustomerIdPath, IdPath, Name


class Named(BaseModel):
    name: Name


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/c/{customer_id}/x/{row_id}")
    async def read(
        customer_id: CustomerIdPath, row_id: IdPath, branch_id: BranchIdQuery = None
    ) -> dict[str, str | None]:
        return {"customer_id": customer_id, "row_id": row_id, "branch_id": branch_id}

    return app


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/c/C0001/x/RC-1a2b", 200),
        ("/c/C0001/x/" + "a" * 64, 200),
        ("/c/C0001/x/" + "a" * 65, 422),
        ("/c/" + "C" * 33 + "/x/1", 422),
        ("/c/C%000001/x/1", 422),  # a NUL: a 500 on PostgreSQL
        ("/c/C0001/x/a%00b", 422),
        ("/c/C0001/x/a%20b", 422),
        ("/c/C0001/x/1?branch_id=B001", 200),
        ("/c/C0001/x/1?branch_id=B%0001", 422),
        ("/c/C0001/x/1?branch_id=" + "B" * 33, 422),
        ("/c/C0001/x/1?branch_id=", 422),
    ],
)
async def test_ids_are_bounded(path: str, status: int) -> None:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get(path)
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    "name",
    ["a\x00b", "\u202eevil", "left\u200fright", "tab\there", "bell\x07", "c1\x85", "iso\u2066"],
)
def test_a_name_with_a_control_or_bidi_character_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        Named(name=name)


@pytest.mark.parametrize("name", ["王小明", "Group A-1", "O'Brien", "张三 (HQ)"])
def test_ordinary_names_pass(name: str) -> None:
    assert Named(name=name).name == name


class Dated(BaseModel):
    on: BoundedDate


@pytest.mark.parametrize(
    ("on", "ok"),
    [
        ("2000-01-01", True),
        ("2099-12-31", True),
        ("1999-12-31", False),
        ("2100-01-01", False),
        ("0001-01-01", False),
        ("9999-12-31", False),
    ],
)
def test_a_bounded_date_is_within_2000_to_2099(on: str, ok: bool) -> None:
    if ok:
        assert Dated(on=on).on.isoformat() == on  # type: ignore[arg-type]
    else:
        with pytest.raises(ValidationError):
            Dated(on=on)  # type: ignore[arg-type]
