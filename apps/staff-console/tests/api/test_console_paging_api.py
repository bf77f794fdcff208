"""Lists that grow with the branch are paged on the server (issue #15): the retention queue
asks ops-assessment-svc for one page (one case more, to know a next page exists), overdue
cases first, and links to the previous and next pages; the complaints page asks for the
user's own complaints, not the branch's whole list."""

from __future__ import annotations

import re

import httpx
import pytest

from staff_console.config import Settings

from ..conftest import FakeServices, sign_in_as, staff_token
from .test_console_desk_api import case

PAGE = 50  # the console's page_size


def _queue(fake: FakeServices, cases: int) -> None:
    """ops-assessment-svc's queue of ``cases`` cases, paged as its router pages it."""

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        offset = int(params.get("offset", 0))
        limit = int(params["limit"]) if "limit" in params else cases
        ids = [f"R{k:03d}" for k in range(1, cases + 1)][offset : offset + limit]
        return httpx.Response(200, json=[case(i, first_call_overdue=i <= "R010") for i in ids])

    fake.routes[("ops", "GET", "/v1/retention-cases")] = handler


@pytest.fixture
def manager(client: httpx.AsyncClient, settings: Settings) -> None:
    sign_in_as(client, settings, staff_token("S001", roles=["manager"]))


def _rows(page: str) -> list[str]:
    return re.findall(r'data-case="(R\d+)"', page)


@pytest.mark.usefixtures("manager")
async def test_the_retention_queue_shows_one_page_with_a_next_link(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    _queue(fake, 120)
    resp = await client.get("/retention")
    assert resp.status_code == 200
    [call] = fake.called("ops")
    assert dict(call.url.params) == {"state": "open", "limit": str(PAGE + 1),
                                     "order": "overdue_first"}  # fmt: skip
    assert _rows(resp.text) == [f"R{k:03d}" for k in range(1, PAGE + 1)]
    assert 'id="next-page" href="/retention?offset=50"' in resp.text
    assert 'id="previous-page"' not in resp.text
    # The overdue ones (first, as the service orders them) are marked.
    assert re.findall(r'<tr class="([^"]*)" data-case', resp.text)[9:11] == ["overdue", ""]


@pytest.mark.usefixtures("manager")
async def test_the_last_page_links_back_and_not_on(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    _queue(fake, 120)
    resp = await client.get("/retention?offset=100")
    assert resp.status_code == 200
    assert fake.called("ops")[-1].url.params["offset"] == "100"
    assert _rows(resp.text) == [f"R{k:03d}" for k in range(101, 121)]
    assert 'id="previous-page" href="/retention?offset=50"' in resp.text
    assert 'id="next-page"' not in resp.text
    assert "第 3 页" in resp.text


@pytest.mark.usefixtures("manager")
async def test_a_queue_of_exactly_one_page_has_no_pager(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    _queue(fake, PAGE)
    page = (await client.get("/retention")).text
    assert len(_rows(page)) == PAGE
    assert 'id="retention-pager"' not in page


@pytest.mark.usefixtures("manager")
@pytest.mark.parametrize("offset", ["-1", "100001", "x"])
async def test_an_out_of_range_offset_is_422_and_asks_no_service(
    client: httpx.AsyncClient, fake: FakeServices, offset: str
) -> None:
    _queue(fake, 120)
    resp = await client.get(f"/retention?offset={offset}")
    assert resp.status_code == 422
    assert "offset" in resp.text
    assert fake.called("ops") == []


@pytest.mark.usefixtures("manager")
async def test_my_complaints_are_asked_for_by_owner_not_the_whole_branch(
    client: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.on("ops", "GET", "/v1/complaints", [])
    fake.on("ops", "GET", "/v1/complaints/analysis", [])
    assert (await client.get("/complaints")).status_code == 200
    lists = [dict(r.url.params) for r in fake.called("ops") if r.url.path == "/v1/complaints"]
    assert sorted(lists, key=str) == [{"overdue": "true"}, {"owner_id": "S001"}]
