"""The SMS provider stand-in: contract endpoints, what was "sent", delivery-report callbacks.

Contract endpoints (spec sms-gateway.md): ``POST /sms/send`` and ``GET /sms/status``, both
behind ``Authorization: Bearer <key>``. Test endpoints, unauthenticated and for loopback use
only: ``POST|GET /_control``, ``GET /_stats``, ``POST /_reset``, ``POST /_reply``.

Every accepted (out_id, number) is recorded, so a test can count the SMS that "went out" and
see duplicates: the provider does not deduplicate on out_id. The outcome of each SMS is
decided when it is accepted, so ``/sms/status`` shows the report at once, even before the
callback carrying it; its list is empty only when the out_id was never accepted.

Logs carry counts, never phone numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import hmac
import itertools
import json
import logging
import os
import random
import re
import time
import uuid
from array import array
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sms_gateway_standin.tokens import report_token

log = logging.getLogger(__name__)

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST in China
MAX_NUMBERS_PER_SEND = 1000
MAX_OUT_ID_LENGTH = 255
REPORTS_PER_CALLBACK = 500
REPORT_RETRIES = 3
REPORTS_PER_CYCLE = 5000  # bounds the memory of one dispatch round
MOBILE_NUMBER = re.compile(r"1[3-9]\d{9}")
CONTRACT_FIELDS = frozenset(
    {"phone_numbers", "sign_name", "template_code", "template_param", "out_id"}
)
REPORT_ORDERS = ("in_order", "reverse", "shuffle")


def _minted(secret: str | None) -> str | None:
    return report_token(secret) if secret else None


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 9300
    key: str = "dev-sms-key"
    callback_url: str | None = "http://127.0.0.1:8004/v1/sms/delivery-reports"
    reply_url: str | None = "http://127.0.0.1:8004/v1/sms/replies"
    callback_token: str | None = None
    report_delay_ms: int = 200

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """STANDIN_* variables; SMS_GATEWAY_KEY and NOTIFY_SVC_URL (docker-compose) as fallbacks.

        The callbacks' token: STANDIN_CALLBACK_TOKEN, else one minted from
        STANDIN_CALLBACK_JWT_SECRET (docker compose passes its AUTH_JWT_SECRET), else none.

        An empty STANDIN_CALLBACK_URL or STANDIN_REPLY_URL turns that callback off.
        """
        env = os.environ if env is None else env
        notify_url = env.get("NOTIFY_SVC_URL", "http://127.0.0.1:8004").rstrip("/")
        return cls(
            host=env.get("STANDIN_HOST", cls.host),
            port=int(env.get("STANDIN_PORT", cls.port)),
            key=env.get("STANDIN_KEY") or env.get("SMS_GATEWAY_KEY") or cls.key,
            callback_url=env.get("STANDIN_CALLBACK_URL", f"{notify_url}/v1/sms/delivery-reports")
            or None,
            reply_url=env.get("STANDIN_REPLY_URL", f"{notify_url}/v1/sms/replies") or None,
            callback_token=env.get("STANDIN_CALLBACK_TOKEN")
            or _minted(env.get("STANDIN_CALLBACK_JWT_SECRET")),
            report_delay_ms=int(env.get("STANDIN_REPORT_DELAY_MS", cls.report_delay_ms)),
        )


@dataclass(frozen=True)
class Control:
    """Switches a test sets through ``POST /_control``; ``POST /_reset`` restores them."""

    fail_rate: float = 0.0  # share of sends answered 503 / isp.SYSTEM_ERROR, alternately
    timeout_rate: float = 0.0  # share accepted and recorded, then answered too late
    timeout_sleep_ms: int = 10_000
    error_code: str | None = None  # answer every send with this code
    throttle_numbers: frozenset[str] = frozenset()  # -> isv.BUSINESS_LIMIT_CONTROL
    number_codes: Mapping[str, str] = field(default_factory=dict)  # number -> forced code
    undelivered_numbers: frozenset[str] = frozenset()  # reports say success false
    report_delay_ms: int = 200
    report_order: str = "in_order"
    report_duplicates: bool = False  # post every report call twice
    report_linger_ms: int = 50  # gather reports due close together into one call
    report_ack_timeout_ms: int = 700
    report_retry_backoff_ms: int = 100
    report_concurrency: int = 4
    callback_url: str | None = None
    callback_token: str | None = None
    reply_url: str | None = None
    seed: int | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out


class ControlError(ValueError):
    pass


def _rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ControlError("must be a number between 0 and 1")
    return float(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ControlError("must be a non-negative integer")
    return value


def _positive(value: Any) -> int:
    if _count(value) == 0:
        raise ControlError("must be at least 1")
    return int(value)


def _numbers(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise ControlError("must be a list of strings")
    return frozenset(value)


def _optional_text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ControlError("must be a string or null")
    return value or None


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ControlError("must be true or false")
    return value


def _order(value: Any) -> str:
    if value not in REPORT_ORDERS:
        raise ControlError(f"must be one of {', '.join(REPORT_ORDERS)}")
    return str(value)


def _codes(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ControlError("must be an object of number -> code")
    return dict(value)


def _seed(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ControlError("must be an integer or null")
    return value


_CONTROL_PARSERS: dict[str, Callable[[Any], Any]] = {
    "fail_rate": _rate,
    "timeout_rate": _rate,
    "timeout_sleep_ms": _count,
    "error_code": _optional_text,
    "throttle_numbers": _numbers,
    "number_codes": _codes,
    "undelivered_numbers": _numbers,
    "report_delay_ms": _count,
    "report_order": _order,
    "report_duplicates": _flag,
    "report_linger_ms": _count,
    "report_ack_timeout_ms": _positive,
    "report_retry_backoff_ms": _count,
    "report_concurrency": _positive,
    "callback_url": _optional_text,
    "callback_token": _optional_text,
    "reply_url": _optional_text,
    "seed": _seed,
}


def parse_control(changes: Any, current: Control) -> Control:
    """``current`` with ``changes`` applied; unknown keys and bad values are refused."""
    if not isinstance(changes, dict):
        raise ControlError("control must be a JSON object")
    unknown = sorted(set(changes) - set(_CONTROL_PARSERS))
    if unknown:
        raise ControlError(f"unknown control keys: {', '.join(unknown)}")
    parsed: dict[str, Any] = {}
    for key, value in changes.items():
        try:
            parsed[key] = _CONTROL_PARSERS[key](value)
        except ControlError as exc:
            raise ControlError(f"{key} {exc}") from None
    return replace(current, **parsed)


def contract_problem(body: Any) -> str | None:
    """Why a send body breaks the contract's shape, or None. Never echoes numbers."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    missing = sorted(CONTRACT_FIELDS - body.keys())
    if missing:
        return f"missing fields: {', '.join(missing)}"
    unknown = sorted(body.keys() - CONTRACT_FIELDS)
    if unknown:
        return f"unknown fields: {', '.join(unknown)}"
    numbers = body["phone_numbers"]
    if not isinstance(numbers, list) or not numbers:
        return "phone_numbers must be a non-empty list"
    if not all(isinstance(n, str) for n in numbers):
        return "phone_numbers must hold strings"
    for name in ("sign_name", "template_code", "out_id"):
        if not isinstance(body[name], str) or not body[name]:
            return f"{name} must be a non-empty string"
    params = body["template_param"]
    if not isinstance(params, dict) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in params.values()
    ):
        return "template_param must be an object of strings or numbers"
    return None


@dataclass(slots=True, eq=False)
class _Batch:
    """One accepted send: its numbers kept as 64-bit ints, 8 bytes each."""

    out_id: str
    biz_id: str
    sent_at: float
    report_at: float
    phones: array[int]
    undelivered: frozenset[int]


def _beijing_time(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _reports(batch: _Batch) -> list[dict[str, Any]]:
    send_time, report_time = _beijing_time(batch.sent_at), _beijing_time(batch.report_at)
    reports = []
    for phone in batch.phones:
        delivered = phone not in batch.undelivered
        reports.append(
            {
                "phone_number": str(phone),
                "send_time": send_time,
                "report_time": report_time,
                "success": delivered,
                "err_code": "DELIVERED" if delivered else "UNDELIVERED",
                "err_msg": "用户接收成功" if delivered else "用户接收失败",
                "sms_size": "1",
                "biz_id": batch.biz_id,
                "out_id": batch.out_id,
            }
        )
    return reports


def _acknowledged(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    try:
        payload = response.json()
    except ValueError:
        return False
    code = payload.get("code") if isinstance(payload, dict) else None
    return type(code) is int and code == 0


class Standin:
    """State and behaviour of the stand-in; one per app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._biz_ids = itertools.count(900_000_000_000_000_001)
        self._generation = 0
        self._dispatcher: asyncio.Task[None] | None = None
        self._dispatcher_loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._client: httpx.AsyncClient | None = None
        self.reset()

    def reset(self) -> None:
        self.control = Control(
            report_delay_ms=self.settings.report_delay_ms,
            callback_url=self.settings.callback_url,
            callback_token=self.settings.callback_token,
            reply_url=self.settings.reply_url,
        )
        self._rng = random.Random()
        self._transient_failures = 0
        self._batches: dict[str, list[_Batch]] = {}
        self._seen: dict[str, set[int]] = {}  # only for out_ids sent more than once
        self._due: list[tuple[float, int, _Batch]] = []  # heap by monotonic due time
        self._due_seq = itertools.count()
        self._generation += 1  # in-flight callbacks of the old generation are not counted
        self.stats: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()

    def set_control(self, changes: Any) -> None:
        """Apply a partial control; a ``seed`` key restarts the random choices from it."""
        self.control = parse_control(changes, self.control)
        if "seed" in changes:
            self._rng = random.Random(self.control.seed)
            self._transient_failures = 0

    # --- sending -------------------------------------------------------------------------

    def authorised(self, request: Request) -> bool:
        expected = f"Bearer {self.settings.key}".encode()
        given = request.headers.get("authorization", "").encode()
        return hmac.compare_digest(given, expected)

    def refusal(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """The answer to a well-formed send that is not accepted, or None to accept it."""
        control = self.control
        if control.fail_rate and self._rng.random() < control.fail_rate:
            self._transient_failures += 1
            self.stats["transient_failures"] += 1
            if self._transient_failures % 2:
                return 503, {"code": "ServiceUnavailable", "message": "stand-in: try again"}
            return self._refused("isp.SYSTEM_ERROR", "系统错误")
        if control.error_code:
            return self._refused(control.error_code, "forced by control")
        numbers: list[str] = body["phone_numbers"]
        if len(numbers) > MAX_NUMBERS_PER_SEND:
            return self._refused("isv.PARAM_LENGTH_LIMIT", "more than 1000 numbers")
        if len(body["out_id"]) > MAX_OUT_ID_LENGTH:
            return self._refused("isv.PARAM_LENGTH_LIMIT", "out_id longer than 255")
        if not all(MOBILE_NUMBER.fullmatch(n) for n in numbers):
            return self._refused("isv.MOBILE_NUMBER_ILLEGAL", "a number is not a mainland mobile")
        if control.throttle_numbers or control.number_codes:
            # One refused number refuses the whole call, as the provider does.
            for number in numbers:
                if number in control.throttle_numbers:
                    return self._refused("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控")
                if number in control.number_codes:
                    return self._refused(control.number_codes[number], "forced for a number")
        return None

    def answer_late_by_ms(self) -> int:
        """How long to hold back the answer to an accepted send (timeout_rate), 0 if not."""
        control = self.control
        if control.timeout_rate and self._rng.random() < control.timeout_rate:
            self.stats["timeouts"] += 1
            return control.timeout_sleep_ms
        return 0

    def _refused(self, code: str, message: str) -> tuple[int, dict[str, Any]]:
        self.rejected[code] += 1
        return 200, {"code": code, "message": message}

    def accept(self, out_id: str, numbers: list[str]) -> str:
        """Record one accepted send and schedule its reports; returns the biz_id."""
        phones = array("q", map(int, numbers))
        earlier = self._batches.get(out_id)
        seen = self._seen.get(out_id)
        if earlier and seen is None:
            seen = set(itertools.chain.from_iterable(b.phones for b in earlier))
            self._seen[out_id] = seen
        if seen is None:
            duplicates = len(phones) - len(set(phones))
        else:
            duplicates = 0
            for phone in phones:
                if phone in seen:
                    duplicates += 1
                else:
                    seen.add(phone)
        control = self.control
        undelivered = (
            frozenset(int(n) for n in numbers if n in control.undelivered_numbers)
            if control.undelivered_numbers
            else frozenset()
        )
        sent_at = time.time()
        delay_s = control.report_delay_ms / 1000
        biz_id = f"{next(self._biz_ids)}^0"
        batch = _Batch(out_id, biz_id, sent_at, sent_at + delay_s, phones, undelivered)
        self._batches.setdefault(out_id, []).append(batch)
        self.stats["sends_accepted"] += 1
        self.stats["sms_accepted"] += len(phones)
        self.stats["duplicates"] += duplicates
        if control.callback_url:
            heapq.heappush(self._due, (time.monotonic() + delay_s, next(self._due_seq), batch))
            self._start_dispatcher()
            self._wake.set()
        log.debug("accepted a send of %d numbers (%d duplicates)", len(phones), duplicates)
        return biz_id

    def reports_for(self, out_id: str) -> list[dict[str, Any]]:
        return [r for batch in self._batches.get(out_id, ()) for r in _reports(batch)]

    # --- statistics ----------------------------------------------------------------------

    def stats_json(self, *, out_id: str | None, per_number: bool) -> dict[str, Any]:
        """Counters for ``GET /_stats``.

        sms_accepted counts numbers in accepted sends (SMS "sent"); duplicates counts each
        extra acceptance of the same (out_id, number); reports_sent counts reports in callbacks
        answered {"code": 0}, so report_duplicates doubles it. ``out_id`` adds that message's
        counts; ``per_number`` adds SMS per number (test-sized runs only).
        """
        out: dict[str, Any] = {
            name: self.stats[name]
            for name in (
                "sends_accepted",
                "sms_accepted",
                "duplicates",
                "transient_failures",
                "timeouts",
                "reports_sent",
                "report_posts",
                "report_retries",
                "reports_dropped",
                "replies_sent",
            )
        }
        out["sends_rejected"] = sum(self.rejected.values())
        out["rejected_by_code"] = dict(self.rejected)
        out["reports_pending"] = sum(len(batch.phones) for _, _, batch in self._due)
        out["out_ids"] = len(self._batches)
        if out_id is not None:
            batches = self._batches.get(out_id, [])
            phones = [p for b in batches for p in b.phones]
            out["out_id"] = {
                "sends_accepted": len(batches),
                "sms_accepted": len(phones),
                "duplicates": len(phones) - len(set(phones)),
            }
        if per_number:
            counts: Counter[int] = Counter()
            for batches in self._batches.values():
                for batch in batches:
                    counts.update(batch.phones)
            out["sms_per_number"] = {str(p): n for p, n in counts.items()}
        return out

    # --- delivery reports ----------------------------------------------------------------

    def _start_dispatcher(self) -> None:
        loop = asyncio.get_running_loop()
        if self._dispatcher is None or self._dispatcher.done() or self._dispatcher_loop is not loop:
            self._wake = asyncio.Event()
            self._dispatcher_loop = loop
            self._dispatcher = loop.create_task(self._dispatch_forever())

    async def _dispatch_forever(self) -> None:
        while True:
            try:
                await self._dispatch_round()
            except Exception:
                log.exception("delivery-report round failed")
                await asyncio.sleep(0.5)

    async def _dispatch_round(self) -> None:
        if not self._due:
            self._wake.clear()
            await self._wake.wait()
            return
        wait_s = self._due[0][0] - time.monotonic()
        if wait_s > 0:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_s)
            return
        control = self.control
        if control.report_linger_ms:
            await asyncio.sleep(control.report_linger_ms / 1000)
        generation, now = self._generation, time.monotonic()
        batches: list[_Batch] = []
        taken = 0
        while self._due and self._due[0][0] <= now and taken < REPORTS_PER_CYCLE:
            batch = heapq.heappop(self._due)[2]
            batches.append(batch)
            taken += len(batch.phones)
        reports = [r for batch in batches for r in _reports(batch)]
        if control.report_order == "reverse":
            reports.reverse()
        elif control.report_order == "shuffle":
            self._rng.shuffle(reports)
        chunks = [
            reports[i : i + REPORTS_PER_CALLBACK]
            for i in range(0, len(reports), REPORTS_PER_CALLBACK)
        ]
        limit = asyncio.Semaphore(control.report_concurrency)

        async def deliver(chunk: list[dict[str, Any]]) -> None:
            async with limit:
                await self._post_reports(chunk, control, generation)
                if control.report_duplicates:
                    await self._post_reports(chunk, control, generation)

        await asyncio.gather(*(deliver(chunk) for chunk in chunks))

    async def _post_reports(
        self, chunk: list[dict[str, Any]], control: Control, generation: int
    ) -> None:
        """POST one report call, retrying up to 3 times unless answered {"code": 0} in time."""
        if not control.callback_url:
            return
        body = json.dumps(chunk, ensure_ascii=False).encode()
        for attempt in range(1 + REPORT_RETRIES):
            if attempt:
                await asyncio.sleep(control.report_retry_backoff_ms * 2 ** (attempt - 1) / 1000)
            acknowledged = await self._post(
                control.callback_url, body, control.callback_token, control.report_ack_timeout_ms
            )
            if generation != self._generation:
                return
            self.stats["report_posts"] += 1
            self.stats["report_retries"] += 1 if attempt else 0
            if acknowledged:
                self.stats["reports_sent"] += len(chunk)
                log.debug("delivered a callback of %d reports", len(chunk))
                return
        self.stats["reports_dropped"] += len(chunk)
        log.warning(
            "gave up on a callback of %d reports after %d attempts", len(chunk), 1 + REPORT_RETRIES
        )

    async def _post(self, url: str, body: bytes, token: str | None, timeout_ms: int) -> bool:
        headers = {"content-type": "application/json; charset=utf-8"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                response = await self._http().post(url, content=body, headers=headers)
        except (TimeoutError, httpx.HTTPError):
            return False
        return _acknowledged(response)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=16)
            )
        return self._client

    async def send_reply(self, phone_number: str, content: str, sign_name: str) -> bool:
        """Play a customer's reply (e.g. "T") to the reply callback."""
        control = self.control
        if not control.reply_url:
            return False
        reply = [
            {
                "phone_number": phone_number,
                "content": content,
                "send_time": _beijing_time(time.time()),
                "sign_name": sign_name,
            }
        ]
        body = json.dumps(reply, ensure_ascii=False).encode()
        for attempt in range(1 + REPORT_RETRIES):
            if attempt:
                await asyncio.sleep(control.report_retry_backoff_ms * 2 ** (attempt - 1) / 1000)
            if await self._post(
                control.reply_url, body, control.callback_token, control.report_ack_timeout_ms
            ):
                self.stats["replies_sent"] += 1
                return True
        return False

    async def aclose(self) -> None:
        if self._dispatcher is not None and not self._dispatcher.done():
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        self._dispatcher = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# --- HTTP --------------------------------------------------------------------------------


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"code": "isv.INVALID_PARAMETERS", "message": message}, status_code=400)


def _unauthorised() -> JSONResponse:
    return JSONResponse(
        {"code": "Unauthorized", "message": "missing or wrong bearer key"}, status_code=401
    )


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return _NOT_JSON


_NOT_JSON = object()


def create_app(settings: Settings | None = None) -> Starlette:
    standin = Standin(settings or Settings.from_env())

    async def send(request: Request) -> Response:
        if not standin.authorised(request):
            return _unauthorised()
        body = await _json_body(request)
        if body is _NOT_JSON:
            return _bad_request("body is not JSON")
        problem = contract_problem(body)
        if problem:
            return _bad_request(problem)
        request_id = str(uuid.uuid4())
        refusal = standin.refusal(body)
        if refusal is not None:
            status, payload = refusal
            return JSONResponse({**payload, "request_id": request_id}, status_code=status)
        late_by_ms = standin.answer_late_by_ms()
        biz_id = standin.accept(body["out_id"], body["phone_numbers"])
        if late_by_ms:
            # Accepted and recorded, answered only after the client gave up: "unknown".
            await asyncio.sleep(late_by_ms / 1000)
        return JSONResponse({"code": "OK", "biz_id": biz_id, "request_id": request_id})

    async def status(request: Request) -> Response:
        if not standin.authorised(request):
            return _unauthorised()
        out_id = request.query_params.get("out_id")
        if not out_id:
            return _bad_request("out_id is required")
        return JSONResponse({"code": "OK", "reports": standin.reports_for(out_id)})

    async def control(request: Request) -> Response:
        if request.method == "POST":
            changes = await _json_body(request)
            try:
                standin.set_control(changes)
            except ControlError as exc:
                return _bad_request(str(exc))
            log.info("control changed: %s", ", ".join(sorted(changes)))
        return JSONResponse(standin.control.as_json())

    async def stats(request: Request) -> Response:
        per_number = request.query_params.get("per_number", "").lower() in {"1", "true", "yes"}
        out_id = request.query_params.get("out_id")
        return JSONResponse(standin.stats_json(out_id=out_id, per_number=per_number))

    async def reset(request: Request) -> Response:
        standin.reset()
        log.info("state reset")
        return JSONResponse({"code": "OK"})

    async def reply(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str) for k in ("phone_number", "content")
        ):
            return _bad_request("phone_number and content are required strings")
        sign_name = body.get("sign_name", "某某证券")
        delivered = await standin.send_reply(body["phone_number"], body["content"], sign_name)
        return JSONResponse({"code": "OK" if delivered else "NOT_DELIVERED"})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("SMS gateway stand-in ready (reports to %s)", standin.control.callback_url)
        yield
        await standin.aclose()

    app = Starlette(
        routes=[
            Route("/sms/send", send, methods=["POST"]),
            Route("/sms/status", status, methods=["GET"]),
            Route("/_control", control, methods=["GET", "POST"]),
            Route("/_stats", stats, methods=["GET"]),
            Route("/_reset", reset, methods=["POST"]),
            Route("/_reply", reply, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.standin = standin
    return app
