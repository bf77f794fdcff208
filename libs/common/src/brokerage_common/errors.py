"""Domain errors and the one error shape every service answers (ADR 0021).

Every 4xx (and the few 5xx a route means, like 503) is JSON ``{"detail": ..., "code": ...}``:
``detail`` exactly as api.md fixes it (a message, an object, or FastAPI's list of field
errors), ``code`` a stable snake_case word a client can branch on (``ERROR_CODES``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

# The code of an answer by its HTTP status, for errors that carry no code of their own
# (FastAPI's HTTPException, an unknown path, a wrong method, request validation).
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    503: "unavailable",
}

# The whole vocabulary: the status codes above, and the codes of DomainError subclasses
# that say more than their status (``rule_violated:<rule>``, ``calendar_unavailable``).
# A contract test checks that every DomainError subclass's code is listed here.
ERROR_CODES: dict[str, str] = {
    **{code: f"HTTP {status}" for status, code in STATUS_CODES.items()},
    "rule_violated": "a change that would break a business rule (the detail lists the problems)",
    "rule_violated:insufficient_points": "a redemption larger than the points balance",
    "rule_violated:invalid_redemption": "a redemption the catalogue does not allow",
    "idempotency_key_reused": "an Idempotency-Key replayed with a different request",
    "calendar_unavailable": "the trading calendar does not reach the day yet; retry later",
}


def code_for_status(status: int) -> str:
    """The code of an answer that has only its status (``http_<status>`` if not listed)."""
    return STATUS_CODES.get(status, f"http_{status}")


class DomainError(Exception):
    """A use case's refusal (not found, conflict, rule broken), with the HTTP status it means.

    ``install_platform`` registers one handler for all of them: the route need not catch
    anything, and since it never reaches its commit, the request's session closes with a
    rollback, so nothing of the refused request is kept. ``code`` (None: the status's code)
    is the machine-readable ``code`` of the answer.
    """

    status_code = 400
    code: ClassVar[str | None] = None

    def detail(self) -> Any:
        return str(self)

    def error_code(self) -> str:
        return self.code or code_for_status(self.status_code)


class ErrorResponse(BaseModel):
    """Every error answer of every service: the message and a machine-readable code."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"detail": "customer C000123 not found", "code": "not_found"},
                {
                    "detail": [
                        {"loc": ["query", "phone"], "msg": "invalid phone", "type": "value_error"}
                    ],
                    "code": "validation_failed",
                },
            ]
        }
    )

    detail: Any = Field(
        description=(
            "What went wrong, for people: a message, an object with the problems, or (422) "
            "FastAPI's list of field errors with `loc`, `msg` and `type`"
        ),
        examples=["customer C000123 not found"],
    )
    code: str = Field(
        description=(
            "What went wrong, for programs: `not_found`, `validation_failed`, `conflict`, "
            "`forbidden`, `unauthorized`, `rule_violated:<rule>`, ... (ADR 0021)"
        ),
        examples=["not_found"],
    )


def error_body(detail: Any, code: str) -> dict[str, Any]:
    """The JSON body of an error answer (for the rare route that answers without raising)."""
    return {"detail": detail, "code": code}
