"""The SMS channel: the provider's contract (spec sms-gateway.md), its error-code table and
how each answer is classified, and the HTTP client that sends and asks for status.

Nothing here touches the database, and nothing logs an address.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime

import httpx
import orjson
from aiolimiter import AsyncLimiter

from ..config import Settings
from ..rules import Channel
from .aliyun import AliyunSms
from .channels import Outgoing, SendResult, SmsSender, StatusResult, code_of, json_of
from .rules import SendOutcome

log = logging.getLogger(__name__)


SEND_CODE_OUTCOMES: dict[str, SendOutcome] = {
    "OK": SendOutcome.ACCEPTED,
    "isv.BUSINESS_LIMIT_CONTROL": SendOutcome.DEFER,
    "isv.MOBILE_NUMBER_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.TEMPLATE_MISSING_PARAMETERS": SendOutcome.PERMANENT_FAILURE,
    "isv.PARAM_LENGTH_LIMIT": SendOutcome.PERMANENT_FAILURE,
    "isv.SMS_CONTENT_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.BLACK_KEY_CONTROL_LIMIT": SendOutcome.SUPPRESS,
    "isv.PHONE_NUMBER_IN_BLACKLIST": SendOutcome.SUPPRESS,
    "isv.SMS_SIGNATURE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SMS_TEMPLATE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.AMOUNT_NOT_ENOUGH": SendOutcome.OPEN_CIRCUIT,
    "isv.OUT_OF_SERVICE": SendOutcome.OPEN_CIRCUIT,
    "isv.DAY_LIMIT_CONTROL": SendOutcome.OPEN_CIRCUIT,
    "isp.SYSTEM_ERROR": SendOutcome.RETRY,
}

# Our key or the gateway URL is wrong: every message would fail the same way.
_CONFIG_STATUSES = frozenset({401, 403, 404})


def classify_send_result(
    *, http_status: int | None, code: str | None, timed_out_after_send: bool = False
) -> SendOutcome:
    """Class of one ``POST /sms/send`` result, exactly as the contract lists them.

    Beyond the contract's list (choices):
    - no response and no timeout after sending (connection refused, DNS) -> retry: nothing
      reached the provider;
    - 2xx without a readable code -> unknown: the provider may have accepted it;
    - 401/403/404 and 3xx -> open circuit: key or URL misconfigured, every message would fail;
    - 408 -> retry; any other 4xx -> permanent failure of this message;
    - an unlisted ``isp.*`` code (provider side) -> retry, bounded by max attempts; any other
      unlisted code -> permanent failure. Both were refused, so no duplicate is possible,
      and the code should be logged and added to the table.
    """
    if timed_out_after_send:
        return SendOutcome.UNKNOWN
    if http_status is None:
        return SendOutcome.RETRY
    if http_status == 429 or http_status >= 500 or http_status == 408:
        return SendOutcome.RETRY
    if http_status in _CONFIG_STATUSES or 300 <= http_status < 400:
        return SendOutcome.OPEN_CIRCUIT
    if http_status >= 400 or http_status < 200:
        return SendOutcome.PERMANENT_FAILURE
    if not code:
        return SendOutcome.UNKNOWN
    if code in SEND_CODE_OUTCOMES:
        return SEND_CODE_OUTCOMES[code]
    if code.startswith("isp."):
        return SendOutcome.RETRY
    return SendOutcome.PERMANENT_FAILURE


# Nothing left the process: safe to retry. Every other transport error may have reached the
# provider (a read timeout, a dropped connection after the body went out): unknown.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class SmsGateway:
    """Client of the provider contract: ``POST /sms/send`` and ``GET /sms/status``."""

    channel = Channel.SMS
    confirms_delivery = False
    provider = "generic"

    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None = None) -> None:
        self.sign_name = settings.sms_sign_name
        rate = settings.sms_rate_per_s
        self.limiter = AsyncLimiter(rate, time_period=1.0) if rate else None
        self.max_batch = settings.sms_batch_max
        connections = settings.sms_concurrency * settings.sms_lanes + 4
        self._client = client or httpx.AsyncClient(
            base_url=settings.sms_gateway_url.rstrip("/"),
            headers={"Authorization": f"Bearer {settings.sms_gateway_key}"},
            timeout=httpx.Timeout(settings.sms_timeout_s),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )

    @property
    def enabled(self) -> bool:
        return True

    async def send(self, item: Outgoing) -> SendResult:
        body = {
            "phone_numbers": item.addresses,
            "sign_name": self.sign_name,
            "template_code": item.template_code,
            "template_param": item.params,
            "out_id": item.out_id,
        }
        try:
            async with self._paced():
                response = await self._client.post(
                    "/sms/send",
                    content=orjson.dumps(body),
                    headers={"content-type": "application/json"},
                )
        except _NOT_SENT as exc:
            log.warning(
                "sms send not delivered to the gateway", extra={"error": type(exc).__name__}
            )
            return SendResult(classify_send_result(http_status=None, code=None))
        except httpx.TransportError as exc:
            log.warning(
                "sms send timed out after sending",
                extra={"out_id": item.out_id, "error": type(exc).__name__},
            )
            return SendResult(
                classify_send_result(http_status=None, code=None, timed_out_after_send=True)
            )
        code = code_of(response)
        outcome = classify_send_result(http_status=response.status_code, code=code)
        payload = json_of(response)
        biz_id = payload.get("biz_id") if isinstance(payload, dict) else None
        return SendResult(
            outcome,
            code=code,
            biz_id=str(biz_id) if biz_id else None,
            http_status=response.status_code,
        )

    async def query_status(
        self, out_id: str, *, numbers: Sequence[str] = (), sent_at: datetime | None = None
    ) -> StatusResult:
        try:
            async with self._paced():
                response = await self._client.get("/sms/status", params={"out_id": out_id})
        except httpx.HTTPError as exc:
            log.warning("sms status query failed", extra={"error": type(exc).__name__})
            return StatusResult(ok=False)
        payload = json_of(response)
        if (
            response.status_code != 200
            or not isinstance(payload, dict)
            or payload.get("code") != "OK"
        ):
            return StatusResult(ok=False)
        reports = payload.get("reports")
        return StatusResult(ok=True, reports=[r for r in reports or [] if isinstance(r, dict)])

    def _paced(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self.limiter if self.limiter is not None else contextlib.nullcontext()

    async def aclose(self) -> None:
        await self._client.aclose()


def build_sms_sender(settings: Settings) -> SmsSender:
    """The configured provider (SMS_PROVIDER): the generic contract or Aliyun."""
    if settings.sms_provider == "aliyun":
        return AliyunSms(settings)
    return SmsGateway(settings)
