"""The Aliyun adapter against recorded requests and responses: the SDK runs for real down to
its HTTP layer (``DaraCore.async_do_action``), where fixtures taken from Aliyun's documented
examples answer. No network. Then its report push: a forged one refused, a genuine one taken."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from darabonba.core import DaraCore
from darabonba.exceptions import RetryError
from darabonba.request import DaraRequest
from darabonba.response import DaraResponse
from notify_testkit import FakeClock, add_customer, messages, phone_of
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from brokerage_common import Database, new_envelope
from brokerage_common import events as ev
from notify_svc.config import Settings
from notify_svc.delivery.aliyun import AliyunSms
from notify_svc.handlers import Handlers
from notify_svc.main import create_app
from notify_svc.models import DeliveryReport
from notify_svc.worker import Notifier

FIXTURES = Path(__file__).parent.parent / "fixtures" / "aliyun"
REPORT_TOKEN = "aliyun-report-token-for-tests-0123456789"
ALIYUN_NETWORK = "100.104.0.0/16"
ALIYUN_CALLER = "100.104.17.3"
KEY_SECRET = "test-aliyun-access-key-secret"
# TIER_UP then reads 尊敬的张三，恭喜您升级为金卡客户，即日起享有{benefits}。: 23 + 42 characters,
# with 【某某证券】 71: one past a single SMS, so two billed segments.
BENEFITS = "专属投顾服务" * 7


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def called(request: DaraRequest) -> dict[str, str]:
    """The operation of a signed call (ACS3: in headers, not in the query)."""
    return {
        "Action": request.headers.get("x-acs-action", ""),
        "Version": request.headers.get("x-acs-version", ""),
    }


class Replay:
    """Stands in for the SDK's HTTP call: records each signed request, answers the next
    recorded response."""

    def __init__(self, *names: str) -> None:
        self.answers = [fixture(n) for n in names]
        self.requests: list[DaraRequest] = []
        self.out_id = ""  # fills the "{out_id}" of a recorded answer

    async def __call__(self, request: DaraRequest, runtime_option: Any = None) -> DaraResponse:
        self.requests.append(request)
        recorded = self.answers.pop(0)
        expected = recorded["request"]
        seen = {**request.query, **called(request)}
        assert {k: seen.get(k) for k in expected} == expected
        if "transport_error" in recorded:
            raise RetryError(recorded["transport_error"])
        answer = recorded["response"]
        response = DaraResponse()
        response.status_code = answer["status"]
        response.status_message = "OK" if answer["status"] == 200 else "Bad Request"
        response.headers = dict(answer["headers"])
        body = json.dumps(answer["body"], ensure_ascii=False).replace("{out_id}", self.out_id)
        response.body = body.encode()
        return response


@pytest.fixture
def aliyun_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "sms_provider": "aliyun",
            "aliyun_access_key_id": "LTAI5tTestKeyId",
            "aliyun_access_key_secret": KEY_SECRET,
            "aliyun_sms_sign_name": "某某证券",
            "aliyun_sms_templates": {"TIER_UP": "SMS_468000001"},
            "aliyun_report_token": REPORT_TOKEN,
            "aliyun_report_allowed_ips": (ALIYUN_NETWORK,),
        }
    )


def segments_counted() -> float:
    value = REGISTRY.get_sample_value("notify_sms_segments_total", {"provider": "aliyun"})
    return value or 0.0


def replay(monkeypatch: pytest.MonkeyPatch, *names: str) -> Replay:
    transport = Replay(*names)
    monkeypatch.setattr(DaraCore, "async_do_action", staticmethod(transport))
    return transport


async def tier_up(db: Database, settings: Settings, clock: FakeClock, customer_id: str) -> None:
    await add_customer(db, customer_id, name="张三", at=clock())
    env = new_envelope(
        ev.NotificationRequested(
            customer_id=customer_id,
            template_code="TIER_UP",
            category="service",
            params={"tier": "金卡", "benefits": BENEFITS},
        ),
        source="test",
    )
    async with db.sessionmaker() as session:
        await Handlers(settings, clock=clock).handle(session, env)
        await session.commit()


async def send_once(
    aliyun_settings: Settings, db: Database, clock: FakeClock
) -> tuple[Notifier, int]:
    notifier = Notifier(
        aliyun_settings, db, clock=clock, sms=AliyunSms(aliyun_settings), rand=lambda: 0.5
    )
    sent = await notifier.send_due(notifier.sms)
    return notifier, sent


async def test_accepted_send_is_signed_mapped_and_keeps_the_biz_id(
    aliyun_settings: Settings, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = replay(monkeypatch, "send_ok")
    await tier_up(db, aliyun_settings, clock, "C0001")
    segments_before = segments_counted()

    notifier, sent = await send_once(aliyun_settings, db, clock)

    assert sent == 1
    [request] = transport.requests
    q = request.query
    [message] = await messages(db, channel="sms")
    assert called(request) == {"Action": "SendSms", "Version": "2017-05-25"}
    assert q["PhoneNumbers"] == phone_of(1)
    assert q["SignName"] == "某某证券"
    assert q["TemplateCode"] == "SMS_468000001"  # ALIYUN_SMS_TEMPLATES, not our TIER_UP
    assert json.loads(q["TemplateParam"]) == {
        "name": "张三",
        "tier": "金卡",
        "benefits": BENEFITS,
    }
    assert q["OutId"] == message.out_id == message.id
    authorization = request.headers["Authorization"]
    assert authorization.startswith("ACS3-HMAC-SHA256 Credential=LTAI5tTestKeyId,")
    assert "Signature=" in authorization
    assert KEY_SECRET not in json.dumps([q, request.headers], ensure_ascii=False)
    assert message.state == "accepted"
    assert message.biz_id == "9006197469364984400"  # the provider's id, what reports carry
    assert message.attempts == 1
    assert message.body is not None
    assert len(message.body) == 23 + 42
    assert segments_counted() - segments_before == 2
    await notifier.aclose()


async def test_per_number_flow_control_defers_without_using_an_attempt(
    aliyun_settings: Settings, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay(monkeypatch, "send_business_limit")
    await tier_up(db, aliyun_settings, clock, "C0001")

    await send_once(aliyun_settings, db, clock)

    [message] = await messages(db, channel="sms")
    assert message.state == "scheduled"
    assert message.reason == "isv.BUSINESS_LIMIT_CONTROL"
    assert message.attempts == 0  # the contract: a capped number is not a failed attempt
    assert message.next_attempt_at is not None
    wait = message.next_attempt_at.replace(tzinfo=clock().tzinfo) - clock()
    assert wait == timedelta(seconds=aliyun_settings.defer_s)


async def test_api_throttling_is_retried_with_backoff(
    aliyun_settings: Settings, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay(monkeypatch, "send_throttled")
    await tier_up(db, aliyun_settings, clock, "C0001")

    await send_once(aliyun_settings, db, clock)

    [message] = await messages(db, channel="sms")
    assert message.state == "scheduled"
    assert message.reason == "Throttling.User"
    assert message.attempts == 1
    assert message.next_attempt_at is not None
    # Full jitter with rand 0.5 after attempt 1: half of retry_base_s.
    wait = message.next_attempt_at.replace(tzinfo=clock().tzinfo) - clock()
    assert wait == timedelta(seconds=0.5 * aliyun_settings.retry_base_s)


async def test_an_illegal_number_fails_for_good(
    aliyun_settings: Settings, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay(monkeypatch, "send_mobile_illegal")
    await tier_up(db, aliyun_settings, clock, "C0001")

    await send_once(aliyun_settings, db, clock)

    [message] = await messages(db, channel="sms")
    assert message.state == "failed"
    assert message.reason == "isv.MOBILE_NUMBER_ILLEGAL"


async def test_a_template_without_aliyun_code_never_reaches_aliyun(
    aliyun_settings: Settings, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = replay(monkeypatch)
    unmapped = aliyun_settings.model_copy(update={"aliyun_sms_templates": {"OTHER": "SMS_1"}})
    await tier_up(db, unmapped, clock, "C0001")

    await send_once(unmapped, db, clock)

    assert transport.requests == []
    [message] = await messages(db, channel="sms")
    assert (message.state, message.reason) == ("failed", "aliyun.template_not_mapped")


async def unknown_after_a_read_timeout(
    settings: Settings, db: Database, clock: FakeClock, transport: Replay
) -> tuple[Notifier, str]:
    await tier_up(db, settings, clock, "C0001")
    notifier, _ = await send_once(settings, db, clock)
    [message] = await messages(db, channel="sms")
    assert (message.state, message.reason) == ("unknown", "timeout_after_send")
    assert message.out_id is not None
    transport.out_id = message.out_id
    clock.advance(timedelta(seconds=settings.unknown_query_delay_s))
    return notifier, message.out_id


async def test_an_unknown_send_that_aliyun_delivered_is_settled_by_its_send_details(
    aliyun_settings: Settings, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = replay(monkeypatch, "send_read_timeout", "query_delivered")
    notifier, _ = await unknown_after_a_read_timeout(aliyun_settings, db, clock, transport)

    assert await notifier.reconcile_once() == 1

    [message] = await messages(db, channel="sms")
    assert message.state == "delivered"
    assert [called(r)["Action"] for r in transport.requests] == ["SendSms", "QuerySendDetails"]
    await notifier.aclose()


async def test_an_unknown_send_aliyun_still_holds_is_not_sent_again(
    aliyun_settings: Settings, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = replay(monkeypatch, "send_read_timeout", "query_waiting")
    notifier, _ = await unknown_after_a_read_timeout(aliyun_settings, db, clock, transport)

    await notifier.reconcile_once()
    assert await notifier.send_due(notifier.sms) == 0

    [message] = await messages(db, channel="sms")
    assert message.state == "unknown"
    assert len(transport.requests) == 2  # the send and the query: no second SendSms
    await notifier.aclose()


async def test_an_unknown_send_aliyun_never_took_goes_again_under_the_same_out_id(
    aliyun_settings: Settings, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = replay(monkeypatch, "send_read_timeout", "query_none", "send_ok")
    notifier, out_id = await unknown_after_a_read_timeout(aliyun_settings, db, clock, transport)

    await notifier.reconcile_once()
    assert await notifier.send_due(notifier.sms) == 1

    [message] = await messages(db, channel="sms")
    assert message.state == "accepted"
    assert transport.requests[2].query["OutId"] == out_id
    await notifier.aclose()


async def report_count(db: Database) -> int:
    async with db.sessionmaker() as session:
        return int(
            (await session.execute(select(func.count()).select_from(DeliveryReport))).one()[0]
        )


async def test_forged_report_pushes_are_refused_and_a_genuine_one_settles_the_message(
    aliyun_settings: Settings, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay(monkeypatch, "send_ok")
    await tier_up(db, aliyun_settings, clock, "C0001")
    notifier, _ = await send_once(aliyun_settings, db, clock)
    await notifier.aclose()
    [message] = await messages(db, channel="sms")
    push = fixture("report_push")
    body = [{**r, "out_id": message.out_id} for r in push["body"]]
    undelivered = [{**r, "success": False, "err_code": "MK:0001"} for r in body]
    app = create_app(aliyun_settings, clock=clock)

    def client(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://notify")

    url = "/v1/sms/aliyun/delivery-reports/"
    async with client(ALIYUN_CALLER) as c:
        wrong_token = await c.post(
            url + "aliyun-report-token-for-tests-0123456780", json=undelivered
        )
        no_token = await c.post(url.rstrip("/"), json=undelivered)
    async with client("203.0.113.9") as c:
        wrong_network = await c.post(url + REPORT_TOKEN, json=undelivered)

    assert wrong_token.status_code == 401
    assert no_token.status_code in (404, 405)
    assert wrong_network.status_code == 403
    assert await report_count(db) == 0
    [still] = await messages(db, channel="sms")
    assert still.state == "accepted"

    async with client(ALIYUN_CALLER) as c:
        genuine = await c.post(url + REPORT_TOKEN, json=body)

    assert genuine.status_code == 200
    assert genuine.json() == push["answer"]
    [settled] = await messages(db, channel="sms")
    assert settled.state == "delivered"
    assert await report_count(db) == 1


async def test_the_report_route_is_closed_when_aliyun_is_not_the_provider(
    settings: Settings, db: Database, clock: FakeClock
) -> None:
    generic = settings.model_copy(update={"aliyun_report_token": REPORT_TOKEN})
    app = create_app(generic, clock=clock)
    transport = httpx.ASGITransport(app=app, client=(ALIYUN_CALLER, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as c:
        r = await c.post(
            f"/v1/sms/aliyun/delivery-reports/{REPORT_TOKEN}", json=fixture("report_push")["body"]
        )
    assert r.status_code == 404
    assert await report_count(db) == 0
