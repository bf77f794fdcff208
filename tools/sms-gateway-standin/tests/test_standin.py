"""The SMS gateway stand-in against the provider contract (spec sms-gateway.md)."""

import asyncio
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from brokerage_common.auth import TokenVerifier
from sms_gateway_standin import Settings, create_app
from sms_gateway_standin.app import contract_problem

KEY = "test-sms-key"
AUTH = {"authorization": f"Bearer {KEY}"}
REPORT_FIELDS = {
    "phone_number",
    "send_time",
    "report_time",
    "success",
    "err_code",
    "err_msg",
    "sms_size",
    "biz_id",
    "out_id",
}


def send_body(numbers: list[str], out_id: str = "msg-1", **overrides: Any) -> dict[str, Any]:
    body = {
        "phone_numbers": numbers,
        "sign_name": "某某证券",
        "template_code": "SMS_TIER_UP",
        "template_param": {"name": "张三", "tier": "金卡"},
        "out_id": out_id,
    }
    return body | overrides


def numbers(n: int, start: int = 13800000000) -> list[str]:
    return [str(start + i) for i in range(n)]


async def eventually(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def serve(app: Starlette) -> tuple[str, Callable[[], Awaitable[None]]]:
    """Run ``app`` with uvicorn on a free loopback port; returns its URL and a stopper."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started)

    async def stop() -> None:
        server.should_exit = True
        await task
        sock.close()

    return f"http://127.0.0.1:{port}", stop


@pytest_asyncio.fixture
async def app() -> AsyncIterator[Starlette]:
    app = create_app(Settings(key=KEY, callback_url=None, reply_url=None, report_delay_ms=0))
    yield app
    await app.state.standin.aclose()


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://standin") as client:
        yield client


@dataclass
class Receiver:
    """notify-svc's callback endpoints, played by a tiny Starlette app."""

    url: str = ""
    calls: list[list[dict[str, Any]]] = field(default_factory=list)
    replies: list[list[dict[str, Any]]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    answers: list[tuple[float, int, Any]] = field(default_factory=list)  # scripted, then OK

    @property
    def reports(self) -> list[dict[str, Any]]:
        return [report for call in self.calls for report in call]


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    received = Receiver()

    async def delivery_reports(request: Request) -> JSONResponse:
        received.calls.append(await request.json())
        received.headers.append(request.headers.get("authorization", ""))
        delay_s, status, payload = (
            received.answers.pop(0) if received.answers else (0.0, 200, {"code": 0})
        )
        await asyncio.sleep(delay_s)
        return JSONResponse(payload, status_code=status)

    async def replies(request: Request) -> JSONResponse:
        received.replies.append(await request.json())
        return JSONResponse({"code": 0})

    url, stop = await serve(
        Starlette(
            routes=[
                Route("/v1/sms/delivery-reports", delivery_reports, methods=["POST"]),
                Route("/v1/sms/replies", replies, methods=["POST"]),
            ]
        )
    )
    received.url = url
    yield received
    await stop()


async def use_receiver(client: httpx.AsyncClient, receiver: Receiver, **control: Any) -> None:
    response = await client.post(
        "/_control",
        json={
            "callback_url": f"{receiver.url}/v1/sms/delivery-reports",
            "reply_url": f"{receiver.url}/v1/sms/replies",
            "callback_token": "svc-token",
            "report_delay_ms": 20,
            "report_linger_ms": 100,
            "report_retry_backoff_ms": 10,
        }
        | control,
    )
    assert response.status_code == 200, response.text


async def stats(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get("/_stats", params=params)
    assert response.status_code == 200
    return response.json()


# ---------------------------------------------------------------- auth and contract shape


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong"}, {"authorization": KEY}])
async def test_send_and_status_need_the_bearer_key(client, headers):
    sent = await client.post("/sms/send", json=send_body(["13800001234"]), headers=headers)
    assert sent.status_code == 401
    queried = await client.get("/sms/status", params={"out_id": "msg-1"}, headers=headers)
    assert queried.status_code == 401
    assert (await stats(client))["sms_accepted"] == 0


async def test_accepts_a_contract_send(client):
    response = await client.post(
        "/sms/send", json=send_body(["13800001234", "15900005678"]), headers=AUTH
    )
    assert response.status_code == 200
    payload = response.json()
    assert payload["code"] == "OK"
    assert re.fullmatch(r"\d{18}\^0", payload["biz_id"])
    assert payload["request_id"]
    counts = await stats(client)
    assert (counts["sends_accepted"], counts["sms_accepted"], counts["duplicates"]) == (1, 2, 0)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "body must be a JSON object"),
        ({"phone_numbers": ["13800001234"]}, "missing fields"),
        (send_body(["13800001234"], extra=1), "unknown fields: extra"),
        (send_body([]), "phone_numbers must be a non-empty list"),
        (send_body("13800001234"), "phone_numbers must be a non-empty list"),
        (send_body([13800001234]), "phone_numbers must hold strings"),
        (send_body(["13800001234"], out_id=""), "out_id must be a non-empty string"),
        (send_body(["13800001234"], sign_name=None), "sign_name must be a non-empty string"),
        (send_body(["13800001234"], template_param=["x"]), "template_param must be an object"),
        (send_body(["13800001234"], template_param={"a": {"b": 1}}), "template_param must"),
    ],
)
async def test_bodies_that_break_the_contract_are_400(client, body, problem):
    assert problem in contract_problem(body)
    response = await client.post("/sms/send", json=body, headers=AUTH)
    assert response.status_code == 400
    assert problem in response.json()["message"]


async def test_a_body_that_is_not_json_is_400(client):
    response = await client.post("/sms/send", content=b"{nope", headers=AUTH)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (send_body(numbers(1001)), "isv.PARAM_LENGTH_LIMIT"),
        (send_body(["13800001234"], out_id="x" * 256), "isv.PARAM_LENGTH_LIMIT"),
        (send_body(["12800001234"]), "isv.MOBILE_NUMBER_ILLEGAL"),  # no 12x mobiles
        (send_body(["1380000123"]), "isv.MOBILE_NUMBER_ILLEGAL"),
        (send_body(["138000012345"]), "isv.MOBILE_NUMBER_ILLEGAL"),
        (send_body(["+8613800001234"]), "isv.MOBILE_NUMBER_ILLEGAL"),
        (send_body(["13800001234", "1380000abcd"]), "isv.MOBILE_NUMBER_ILLEGAL"),
    ],
)
async def test_contract_refusals(client, body, code):
    response = await client.post("/sms/send", json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["code"] == code
    assert "138" not in response.json()["message"]  # numbers are never echoed
    counts = await stats(client)
    assert counts["sms_accepted"] == 0
    assert counts["rejected_by_code"] == {code: 1}


async def test_the_limits_themselves_are_accepted(client):
    body = send_body(numbers(1000), out_id="x" * 255)
    response = await client.post("/sms/send", json=body, headers=AUTH)
    assert response.json()["code"] == "OK"
    assert (await stats(client))["sms_accepted"] == 1000


# ---------------------------------------------------------------- status and duplicates


async def test_status_lists_a_report_per_accepted_number(client):
    empty = await client.get("/sms/status", params={"out_id": "never-sent"}, headers=AUTH)
    assert empty.json() == {"code": "OK", "reports": []}

    await client.post("/_control", json={"undelivered_numbers": ["15900005678"]})
    sent = await client.post(
        "/sms/send", json=send_body(["13800001234", "15900005678"], out_id="m-7"), headers=AUTH
    )
    response = await client.get("/sms/status", params={"out_id": "m-7"}, headers=AUTH)
    reports = response.json()["reports"]
    assert [set(r) for r in reports] == [REPORT_FIELDS, REPORT_FIELDS]
    delivered, undelivered = reports
    assert delivered["phone_number"] == "13800001234"
    assert (delivered["success"], delivered["err_code"]) == (True, "DELIVERED")
    assert (undelivered["success"], undelivered["err_code"]) == (False, "UNDELIVERED")
    assert {r["out_id"] for r in reports} == {"m-7"}
    assert {r["biz_id"] for r in reports} == {sent.json()["biz_id"]}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", delivered["send_time"])


async def test_status_needs_an_out_id(client):
    assert (await client.get("/sms/status", headers=AUTH)).status_code == 400


async def test_the_same_out_id_sent_twice_is_two_sms_and_counted_as_duplicates(client):
    await client.post("/sms/send", json=send_body(["13800000001", "13800000002"]), headers=AUTH)
    again = send_body(["13800000002", "13800000003", "13800000003"])  # 1 repeat + 1 in-call
    await client.post("/sms/send", json=again, headers=AUTH)
    await client.post("/sms/send", json=send_body(["13800000001"], out_id="other"), headers=AUTH)

    counts = await stats(client, out_id="msg-1", per_number="1")
    assert counts["sends_accepted"] == 3
    assert counts["sms_accepted"] == 6
    assert counts["duplicates"] == 2  # a second out_id is not a duplicate
    assert counts["out_id"] == {"sends_accepted": 2, "sms_accepted": 5, "duplicates": 2}
    assert counts["sms_per_number"] == {"13800000001": 2, "13800000002": 2, "13800000003": 2}
    status = await client.get("/sms/status", params={"out_id": "msg-1"}, headers=AUTH)
    assert len(status.json()["reports"]) == 5  # every SMS that went out has its report


# ---------------------------------------------------------------- control switches


async def test_fail_rate_alternates_503_and_system_error_and_accepts_nothing(client):
    await client.post("/_control", json={"fail_rate": 1.0})
    answers = []
    for _ in range(4):
        response = await client.post("/sms/send", json=send_body(["13800001234"]), headers=AUTH)
        answers.append((response.status_code, response.json()["code"]))
    assert answers == [
        (503, "ServiceUnavailable"),
        (200, "isp.SYSTEM_ERROR"),
        (503, "ServiceUnavailable"),
        (200, "isp.SYSTEM_ERROR"),
    ]
    counts = await stats(client)
    assert (counts["sms_accepted"], counts["transient_failures"]) == (0, 4)


async def test_random_choices_repeat_with_the_same_seed(client):
    async def run() -> list[int]:
        await client.post("/_reset")
        await client.post("/_control", json={"fail_rate": 0.5, "seed": 42})
        statuses = []
        for i in range(40):
            body = send_body(["13800001234"], out_id=f"m{i}")
            response = await client.post("/sms/send", json=body, headers=AUTH)
            statuses.append(0 if response.json()["code"] == "OK" else 1)
        return statuses

    first, second = await run(), await run()
    assert first == second
    assert 5 < sum(first) < 35


async def test_throttled_numbers_get_business_limit_control(client):
    await client.post("/_control", json={"throttle_numbers": ["13800000002"]})
    throttled = await client.post("/sms/send", json=send_body(numbers(3)), headers=AUTH)
    assert throttled.json()["code"] == "isv.BUSINESS_LIMIT_CONTROL"
    other = await client.post("/sms/send", json=send_body(["13800000005"]), headers=AUTH)
    assert other.json()["code"] == "OK"


async def test_number_codes_force_a_code_for_one_number(client):
    await client.post(
        "/_control", json={"number_codes": {"13800000001": "isv.PHONE_NUMBER_IN_BLACKLIST"}}
    )
    response = await client.post("/sms/send", json=send_body(["13800000001"]), headers=AUTH)
    assert response.json()["code"] == "isv.PHONE_NUMBER_IN_BLACKLIST"


async def test_error_code_forces_every_send_until_cleared(client):
    await client.post("/_control", json={"error_code": "isv.AMOUNT_NOT_ENOUGH"})
    refused = await client.post("/sms/send", json=send_body(["13800001234"]), headers=AUTH)
    assert refused.json()["code"] == "isv.AMOUNT_NOT_ENOUGH"
    await client.post("/_control", json={"error_code": None})
    accepted = await client.post("/sms/send", json=send_body(["13800001234"]), headers=AUTH)
    assert accepted.json()["code"] == "OK"


@pytest.mark.parametrize(
    "control",
    [
        {"fail_rat": 0.1},
        {"fail_rate": 1.5},
        {"fail_rate": True},
        {"report_order": "sideways"},
        {"throttle_numbers": "13800001234"},
        {"report_delay_ms": -1},
        {"report_concurrency": 0},
        {"seed": "x"},
        [],
    ],
)
async def test_control_refuses_unknown_keys_and_bad_values(client, control):
    before = (await client.get("/_control")).json()
    response = await client.post("/_control", json=control)
    assert response.status_code == 400
    assert (await client.get("/_control")).json() == before


async def test_reset_forgets_everything(client):
    await client.post("/_control", json={"error_code": "isv.OUT_OF_SERVICE"})
    await client.post("/_control", json={"error_code": None})
    await client.post("/sms/send", json=send_body(["13800001234"]), headers=AUTH)
    await client.post("/_control", json={"fail_rate": 1.0})
    assert (await client.post("/_reset")).json() == {"code": "OK"}
    counts = await stats(client)
    assert (counts["sms_accepted"], counts["sends_rejected"], counts["out_ids"]) == (0, 0, 0)
    assert (await client.get("/_control")).json()["fail_rate"] == 0.0
    status = await client.get("/sms/status", params={"out_id": "msg-1"}, headers=AUTH)
    assert status.json()["reports"] == []


async def test_timeout_rate_accepts_the_sms_but_answers_after_the_client_gave_up():
    app = create_app(Settings(key=KEY, callback_url=None, reply_url=None))
    url, stop = await serve(app)
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            await client.post("/_control", json={"timeout_rate": 1.0, "timeout_sleep_ms": 800})
            with pytest.raises(httpx.ReadTimeout):
                await client.post(
                    "/sms/send", json=send_body(["13800001234"]), headers=AUTH, timeout=0.2
                )
            counts = await stats(client)
            assert (counts["sms_accepted"], counts["timeouts"]) == (1, 1)
            # The "unknown" outcome is settled by querying: the provider did accept it.
            status = await client.get("/sms/status", params={"out_id": "msg-1"}, headers=AUTH)
            assert [r["success"] for r in status.json()["reports"]] == [True]
    finally:
        await stop()
        await app.state.standin.aclose()


# ---------------------------------------------------------------- delivery-report callbacks


async def test_reports_are_posted_to_the_callback_with_the_service_token(app, client, receiver):
    await use_receiver(client, receiver, undelivered_numbers=["13800000001"])
    response = await client.post("/sms/send", json=send_body(numbers(3)), headers=AUTH)

    await eventually(lambda: len(receiver.reports) == 3)
    assert receiver.headers == ["Bearer svc-token"]
    assert [set(r) for r in receiver.reports] == [REPORT_FIELDS] * 3
    assert [r["phone_number"] for r in receiver.reports] == numbers(3)
    assert [r["success"] for r in receiver.reports] == [True, False, True]
    assert {r["biz_id"] for r in receiver.reports} == {response.json()["biz_id"]}
    await eventually(lambda: stats_now(app)["reports_sent"] == 3)


def stats_now(app: Starlette) -> dict[str, Any]:
    """Counters read synchronously, for polling inside ``eventually``."""
    return app.state.standin.stats_json(out_id=None, per_number=False)


async def test_reports_can_arrive_in_reverse_order(client, receiver):
    await use_receiver(client, receiver, report_order="reverse")
    for out_id in ("a", "b", "c"):
        await client.post("/sms/send", json=send_body(["13800001234"], out_id=out_id), headers=AUTH)

    await eventually(lambda: len(receiver.reports) == 3)
    assert len(receiver.calls) == 1  # gathered into one callback
    assert [r["out_id"] for r in receiver.reports] == ["c", "b", "a"]


async def test_reports_in_order_by_default_and_shuffled_on_request(client, receiver):
    await use_receiver(client, receiver)
    await client.post("/sms/send", json=send_body(numbers(20)), headers=AUTH)
    await eventually(lambda: len(receiver.reports) == 20)
    assert [r["phone_number"] for r in receiver.reports] == numbers(20)

    receiver.calls.clear()
    await use_receiver(client, receiver, report_order="shuffle", seed=3)
    await client.post("/sms/send", json=send_body(numbers(20), out_id="m2"), headers=AUTH)
    await eventually(lambda: len(receiver.reports) == 20)
    shuffled = [r["phone_number"] for r in receiver.reports]
    assert shuffled != numbers(20)
    assert sorted(shuffled) == numbers(20)


async def test_report_duplicates_posts_every_call_twice(app, client, receiver):
    await use_receiver(client, receiver, report_duplicates=True)
    await client.post("/sms/send", json=send_body(numbers(2)), headers=AUTH)
    await eventually(lambda: len(receiver.calls) == 2)
    assert receiver.calls[0] == receiver.calls[1]
    await eventually(lambda: stats_now(app)["reports_sent"] == 4)


async def test_large_sends_are_reported_in_calls_of_at_most_500(app, client, receiver):
    await use_receiver(client, receiver)
    await client.post("/sms/send", json=send_body(numbers(1000)), headers=AUTH)
    await client.post("/sms/send", json=send_body(numbers(200, 13900000000), "m2"), headers=AUTH)
    await eventually(lambda: len(receiver.reports) == 1200)
    assert max(len(call) for call in receiver.calls) == 500
    assert len(receiver.calls) == 3
    await eventually(lambda: stats_now(app)["reports_sent"] == 1200)


# Well above what a prompt answer takes on a loaded machine (at 200 ms one was once taken for
# unanswered and retried): "too late" is this plus half a second.
ACK_TIMEOUT_S = 2.0


@pytest.mark.parametrize(
    ("answers", "posts", "sent", "dropped"),
    [
        ([(0.0, 500, {})], 2, 1, 0),  # server error, then acknowledged
        ([(0.0, 200, {"code": 1})], 2, 1, 0),  # not {"code": 0}
        ([(0.0, 200, {"code": False})], 2, 1, 0),
        ([(ACK_TIMEOUT_S + 0.5, 200, {"code": 0})], 2, 1, 0),  # acknowledged too late
        ([(0.0, 200, {"code": 1})] * 4, 4, 0, 1),  # 1 try + 3 retries, then dropped
    ],
)
async def test_unacknowledged_callbacks_are_retried_up_to_three_times(
    app, client, receiver, answers, posts, sent, dropped
):
    receiver.answers = list(answers)
    await use_receiver(client, receiver, report_ack_timeout_ms=int(ACK_TIMEOUT_S * 1000))
    await client.post("/sms/send", json=send_body(["13800001234"]), headers=AUTH)

    # The call's fate is settled (acknowledged, or dropped after the last retry): no further
    # attempt can follow, however slowly the machine runs.
    await eventually(
        lambda: stats_now(app)["reports_sent"] + stats_now(app)["reports_dropped"] == 1,
        timeout_s=30,
    )
    counts = await stats(client)
    assert len(receiver.calls) == posts
    assert (counts["report_posts"], counts["report_retries"]) == (posts, posts - 1)
    assert (counts["reports_sent"], counts["reports_dropped"]) == (sent, dropped)


async def test_reports_wait_for_the_configured_delay(client, receiver):
    await use_receiver(client, receiver, report_delay_ms=400, report_linger_ms=0)
    await client.post("/sms/send", json=send_body(["13800001234"]), headers=AUTH)
    await asyncio.sleep(0.2)
    assert receiver.calls == []
    assert (await stats(client))["reports_pending"] == 1
    await eventually(lambda: len(receiver.calls) == 1)


async def test_a_customer_reply_is_played_to_the_reply_callback(client, receiver):
    await use_receiver(client, receiver)
    response = await client.post("/_reply", json={"phone_number": "13800001234", "content": "TD"})
    assert response.json() == {"code": "OK"}
    [[reply]] = receiver.replies
    assert (reply["phone_number"], reply["content"], reply["sign_name"]) == (
        "13800001234",
        "TD",
        "某某证券",
    )
    assert set(reply) == {"phone_number", "content", "send_time", "sign_name"}


async def test_many_full_sends_are_recorded_compactly(client):
    for i in range(50):
        body = send_body(numbers(1000, 13000000000 + i * 1000), out_id=f"bulk-{i}")
        assert (await client.post("/sms/send", json=body, headers=AUTH)).json()["code"] == "OK"
    counts = await stats(client)
    assert (counts["sms_accepted"], counts["duplicates"], counts["out_ids"]) == (50_000, 0, 50)


# ---------------------------------------------------------------- configuration


def test_settings_from_env_defaults_and_docker_compose_fallbacks():
    assert Settings.from_env({}) == Settings(
        host="127.0.0.1",
        port=9300,
        key="dev-sms-key",
        callback_url="http://127.0.0.1:8004/v1/sms/delivery-reports",
        reply_url="http://127.0.0.1:8004/v1/sms/replies",
        callback_token=None,
    )
    compose = Settings.from_env(
        {"SMS_GATEWAY_KEY": "local-standin-key", "NOTIFY_SVC_URL": "http://notify-svc-api:8004/"}
    )
    assert compose.key == "local-standin-key"
    assert compose.callback_url == "http://notify-svc-api:8004/v1/sms/delivery-reports"
    explicit = Settings.from_env(
        {
            "STANDIN_PORT": "9400",
            "STANDIN_KEY": "k",
            "SMS_GATEWAY_KEY": "ignored",
            "STANDIN_CALLBACK_URL": "",
            "STANDIN_CALLBACK_TOKEN": "tok",
        }
    )
    assert (explicit.port, explicit.key, explicit.callback_url) == (9400, "k", None)
    assert explicit.callback_token == "tok"


def test_compose_mints_a_callback_token_notify_accepts():
    """Under docker compose the stand-in signs its own sms:report token with the stack's
    AUTH_JWT_SECRET: notify-svc's verifier accepts it (before: no token, every report 401)."""
    secret = "compose-secret-0123456789abcdef-0123456789"
    settings = Settings.from_env({"STANDIN_CALLBACK_JWT_SECRET": secret})
    assert settings.callback_token is not None
    principal = TokenVerifier(secret=secret).verify(settings.callback_token)
    assert (principal.role, principal.sub) == ("service", "sms-gateway")
    assert principal.scopes == frozenset({"sms:report"})
    assert principal.expires_at > time.time() + 300 * 86400
    # Another stack's secret does not verify it; an explicit token still wins.
    with pytest.raises(HTTPException):
        TokenVerifier(secret="x" * 40).verify(settings.callback_token)
    explicit = Settings.from_env(
        {"STANDIN_CALLBACK_JWT_SECRET": secret, "STANDIN_CALLBACK_TOKEN": "tok"}
    )
    assert explicit.callback_token == "tok"
    assert Settings.from_env({"STANDIN_CALLBACK_JWT_SECRET": ""}).callback_token is None
