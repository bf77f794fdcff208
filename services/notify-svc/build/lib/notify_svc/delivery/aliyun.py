"""Aliyun SMS (dysmsapi 2017-05-25) through its official SDK: send, its error-code table, the
send-detail query that settles unknown sends, and the check of its delivery-report push
(ADR 0016).

The SDK signs every call with the AccessKey pair; its HTTP layer is
``darabonba.core.DaraCore.async_do_action``, which the tests replay recorded answers at.
Nothing here touches the database, and nothing logs an address.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from aiolimiter import AsyncLimiter
from alibabacloud_dysmsapi20170525 import models as dysms
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import utils_models as openapi
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from darabonba.exceptions import RetryError
from darabonba.runtime import RuntimeOptions

from ..config import Settings
from ..rules import BEIJING, Channel
from .channels import Outgoing, SendResult, StatusResult
from .rules import SendOutcome

log = logging.getLogger(__name__)

PROVIDER = "aliyun"
ALIYUN_DEFAULT_RATE_PER_S = 100.0
# SendSms takes up to 1,000 comma-separated numbers that share the template parameters.
ALIYUN_MAX_NUMBERS = 1000

# Aliyun's codes (API 错误码, help.aliyun.com/document_detail/101346) -> what the sender does.
# The same codes as the generic contract keep the same class (its table is in ``delivery.sms``).
ALIYUN_CODE_OUTCOMES: dict[str, SendOutcome] = {
    "OK": SendOutcome.ACCEPTED,
    # This number's per-minute/hour/day cap (业务流控): later, not a failed attempt.
    "isv.BUSINESS_LIMIT_CONTROL": SendOutcome.DEFER,
    # The API's own request rate (QPS) exceeded: transient.
    "Throttling.User": SendOutcome.RETRY,
    "Throttling.Api": SendOutcome.RETRY,
    "Throttling": SendOutcome.RETRY,
    "isp.SYSTEM_ERROR": SendOutcome.RETRY,
    "ServiceUnavailable": SendOutcome.RETRY,
    "InternalError": SendOutcome.RETRY,
    # This message can never succeed.
    "isv.MOBILE_NUMBER_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.MOBILE_COUNT_OVER_LIMIT": SendOutcome.PERMANENT_FAILURE,
    "isv.TEMPLATE_MISSING_PARAMETERS": SendOutcome.PERMANENT_FAILURE,
    "isv.TEMPLATE_PARAMS_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.INVALID_JSON_PARAM": SendOutcome.PERMANENT_FAILURE,
    "isv.INVALID_PARAMETERS": SendOutcome.PERMANENT_FAILURE,
    "isv.PARAM_LENGTH_LIMIT": SendOutcome.PERMANENT_FAILURE,
    "isv.PARAM_NOT_SUPPORT_URL": SendOutcome.PERMANENT_FAILURE,
    "isv.SMS_CONTENT_ILLEGAL": SendOutcome.PERMANENT_FAILURE,
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": SendOutcome.PERMANENT_FAILURE,
    # The number refuses SMS: suppress it.
    "isv.BLACK_KEY_CONTROL_LIMIT": SendOutcome.SUPPRESS,
    "isv.PHONE_NUMBER_IN_BLACKLIST": SendOutcome.SUPPRESS,
    "isv.CUSTOMER_REFUSED": SendOutcome.SUPPRESS,
    # The account, the key, the signature or the template: every message would fail the same
    # way. Open the circuit and alert operations.
    "isv.SMS_SIGNATURE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SMS_SIGN_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SIGN_STATE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.SMS_TEMPLATE_ILLEGAL": SendOutcome.OPEN_CIRCUIT,
    "isv.AMOUNT_NOT_ENOUGH": SendOutcome.OPEN_CIRCUIT,
    "isv.OUT_OF_SERVICE": SendOutcome.OPEN_CIRCUIT,
    "isv.DAY_LIMIT_CONTROL": SendOutcome.OPEN_CIRCUIT,
    "isv.MONTH_LIMIT_CONTROL": SendOutcome.OPEN_CIRCUIT,
    "isv.PRODUCT_UN_SUBSCRIPT": SendOutcome.OPEN_CIRCUIT,
    "isv.PRODUCT_UNSUBSCRIBE": SendOutcome.OPEN_CIRCUIT,
    "isv.ACCOUNT_NOT_EXISTS": SendOutcome.OPEN_CIRCUIT,
    "isv.ACCOUNT_ABNORMAL": SendOutcome.OPEN_CIRCUIT,
    "isv.DENY_IP_RANGE": SendOutcome.OPEN_CIRCUIT,
    "isp.RAM_PERMISSION_DENY": SendOutcome.OPEN_CIRCUIT,
    "InvalidAccessKeyId.NotFound": SendOutcome.OPEN_CIRCUIT,
    "SignatureDoesNotMatch": SendOutcome.OPEN_CIRCUIT,
    "Forbidden.RAM": SendOutcome.OPEN_CIRCUIT,
}

# Our own code for a template with no Aliyun template in ALIYUN_SMS_TEMPLATES.
UNMAPPED_TEMPLATE = "aliyun.template_not_mapped"


def classify_aliyun(*, http_status: int | None, code: str | None) -> SendOutcome:
    """Class of one SendSms result: the table first; then, for a code not in it, the HTTP
    status like the generic contract (429/5xx retry, other 4xx permanent); an unknown code
    on a 200 is a refusal of this message (logged, to be added to the table)."""
    if code in ALIYUN_CODE_OUTCOMES:
        return ALIYUN_CODE_OUTCOMES[code]
    if code and (code.startswith("isp.") or code.startswith("Throttling")):
        return SendOutcome.RETRY
    if http_status is not None and (http_status == 429 or http_status >= 500):
        return SendOutcome.RETRY
    if http_status is not None and http_status in (401, 403):
        return SendOutcome.OPEN_CIRCUIT
    if code is None and (http_status is None or 200 <= http_status < 300):
        return SendOutcome.UNKNOWN  # no readable answer: it may have been accepted
    return SendOutcome.PERMANENT_FAILURE


# aiohttp could not open the connection: nothing reached Aliyun, safe to send again. Every
# other transport error may have come after the request went out.
_NOT_CONNECTED = "Cannot connect to host"


class AliyunSms:
    """SMS through Aliyun's SendSms, one call per group of numbers sharing the parameters."""

    channel = Channel.SMS
    confirms_delivery = False
    provider = PROVIDER

    def __init__(self, settings: Settings, *, client: Client | None = None) -> None:
        self.sign_name = settings.sms_sign
        self.templates = dict(settings.aliyun_sms_templates)
        self.max_batch = min(settings.sms_batch_max, ALIYUN_MAX_NUMBERS)
        timeout_ms = int(settings.sms_timeout_s * 1000)
        self._client = client or Client(
            openapi.Config(
                access_key_id=settings.aliyun_access_key_id,
                access_key_secret=settings.aliyun_access_key_secret,
                endpoint=settings.aliyun_sms_endpoint,
                read_timeout=timeout_ms,
                connect_timeout=timeout_ms,
            )
        )
        # No RetryOptions: one attempt per call. Retries are ours (backoff, defer, circuit),
        # and the SDK's own would sleep blocking the event loop.
        self._runtime = RuntimeOptions()
        rate = settings.sms_rate_per_s or ALIYUN_DEFAULT_RATE_PER_S
        self.limiter = AsyncLimiter(rate, time_period=1.0)

    @property
    def enabled(self) -> bool:
        return True

    def request_for(self, item: Outgoing) -> dysms.SendSmsRequest | None:
        """The SendSms request of one send, or None when its template has no Aliyun code."""
        template = self.templates.get(item.our_template_code or "")
        if template is None:
            return None
        return dysms.SendSmsRequest(
            phone_numbers=",".join(item.addresses),
            sign_name=self.sign_name,
            template_code=template,
            template_param=orjson.dumps(item.params).decode(),
            out_id=item.out_id,
        )

    async def send(self, item: Outgoing) -> SendResult:
        request = self.request_for(item)
        if request is None:
            log.error(
                "no Aliyun template for this template: set ALIYUN_SMS_TEMPLATES",
                extra={"template_code": item.our_template_code, "out_id": item.out_id},
            )
            return SendResult(SendOutcome.PERMANENT_FAILURE, code=UNMAPPED_TEMPLATE)
        async with self.limiter:
            try:
                response = await self._client.send_sms_with_options_async(request, self._runtime)
            except AlibabaCloudException as exc:
                code = str(exc.code) if exc.code else None
                outcome = classify_aliyun(http_status=exc.status_code, code=code)
                log.warning(
                    "aliyun refused the send",
                    extra={"code": code, "http_status": exc.status_code, "out_id": item.out_id},
                )
                return SendResult(
                    outcome, code=code, http_status=exc.status_code, request_id=exc.request_id
                )
            except RetryError as exc:
                sent = not str(exc.message).startswith(_NOT_CONNECTED)
                log.warning(
                    "aliyun call failed in transport",
                    extra={"out_id": item.out_id, "maybe_sent": sent},
                )
                return SendResult(SendOutcome.UNKNOWN if sent else SendOutcome.RETRY)
        body = response.body
        code = body.code if body is not None else None
        outcome = classify_aliyun(http_status=response.status_code, code=code)
        if outcome != SendOutcome.ACCEPTED:
            log.warning(
                "aliyun did not accept the send",
                extra={"code": code, "out_id": item.out_id, "request_id": body and body.request_id},
            )
        return SendResult(
            outcome,
            code=code,
            biz_id=(body.biz_id or None) if body is not None else None,
            http_status=response.status_code,
            request_id=body.request_id if body is not None else None,
        )

    async def query_status(
        self, out_id: str, *, numbers: Sequence[str] = (), sent_at: datetime | None = None
    ) -> StatusResult:
        """QuerySendDetails for each number on the Beijing day it was sent, keeping the sends
        made under ``out_id``: a final status becomes a report, a waiting one keeps the
        message from being sent again. Any failed call fails the whole query."""
        if not numbers or sent_at is None:
            return StatusResult(ok=False)
        result = StatusResult(ok=True)
        for number in numbers:
            details: list[Any] = []
            for day in send_days(sent_at):
                found = await self._details(number, day)
                if found is None:
                    return StatusResult(ok=False)
                details += found
            for d in details:
                if d.out_id != out_id:
                    continue
                report = report_of(d, out_id=out_id)
                if report is None:
                    result.pending.append(number)
                else:
                    result.reports.append(report)
        return result

    async def _details(self, number: str, sent_on: date) -> list[Any] | None:
        request = dysms.QuerySendDetailsRequest(
            phone_number=number,
            send_date=sent_on.strftime("%Y%m%d"),
            page_size=QUERY_PAGE_SIZE,
            current_page=1,
        )
        async with self.limiter:
            try:
                response = await self._client.query_send_details_with_options_async(
                    request, self._runtime
                )
            except (AlibabaCloudException, RetryError) as exc:
                log.warning("aliyun send-detail query failed", extra={"error": type(exc).__name__})
                return None
        body = response.body
        if body is None or body.code != "OK":
            log.warning("aliyun send-detail query refused", extra={"code": body and body.code})
            return None
        dtos = body.sms_send_detail_dtos
        return list(dtos.sms_send_detail_dto or []) if dtos is not None else []

    async def aclose(self) -> None:
        return None


# QuerySendDetails SendStatus: 1 waiting for the carrier's receipt, 2 failed, 3 delivered.
_DELIVERED, _FAILED = 3, 2
# The sends of one number on one day under one out_id: a handful; one page is enough.
QUERY_PAGE_SIZE = 50
_MIDNIGHT_MARGIN = timedelta(minutes=10)


def send_days(sent_at: datetime) -> list[date]:
    """The Beijing days Aliyun may have filed a send under: its day, and the next one too when
    the call was made in the last minutes before midnight."""
    local = sent_at.astimezone(BEIJING)
    days = [local.date()]
    if (local + _MIDNIGHT_MARGIN).date() != local.date():
        days.append(days[0] + timedelta(days=1))
    return days


def report_of(detail: Any, *, out_id: str) -> dict[str, Any] | None:
    """A send detail as a delivery report (the contract's fields), or None while waiting."""
    if detail.send_status not in (_DELIVERED, _FAILED):
        return None
    return {
        "phone_number": detail.phone_num,
        "send_time": detail.send_date,
        "report_time": detail.receive_date,
        "success": detail.send_status == _DELIVERED,
        "err_code": detail.err_code,
        "out_id": out_id,
    }


# ----------------------------------------------------------------------------- report push


def token_matches(given: str, expected: str | None) -> bool:
    """The callback's token against ours, in constant time; no token configured: refused."""
    if not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def address_allowed(host: str | None, networks: Sequence[str]) -> bool:
    """Whether the caller's address is in ALIYUN_REPORT_ALLOWED_IPS (none listed: any, which
    settings allow only in local and test)."""
    if not networks:
        return True
    if host is None:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)
