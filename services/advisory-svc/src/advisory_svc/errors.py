"""advisory-svc domain errors; every app answers them with their status (common errors)."""

from __future__ import annotations

from typing import Any

from brokerage_common.errors import DomainError


class AdvisoryError(DomainError):
    status_code = 400


class NotFound(AdvisoryError):
    status_code = 404


class NotAllowed(AdvisoryError):
    """A request the current state refuses (409), with the machine-readable reasons."""

    status_code = 409

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.reasons = reasons or []

    def detail(self) -> Any:
        if not self.reasons:
            return str(self)
        return {"message": str(self), "reasons": self.reasons}


class Invalid(AdvisoryError):
    status_code = 422


class CalendarUnavailable(AdvisoryError):
    """The calendars do not know the day yet (see calendars.py): nothing is recorded."""

    status_code = 409
    code = "calendar_unavailable"
