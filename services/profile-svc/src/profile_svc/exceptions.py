"""profile-svc domain errors, mapped to HTTP statuses by the app's error handler."""

from __future__ import annotations

from typing import Any

from brokerage_common.errors import DomainError


class ProfileError(DomainError):
    status_code = 400

    def detail(self) -> Any:
        return str(self)


class NotFound(ProfileError):
    status_code = 404


class Conflict(ProfileError):
    """Duplicate customer id, phone or ID number; a request id reused for another customer."""

    status_code = 409


class InvalidField(ProfileError):
    """Input that passes the schema but breaks a rule needing the database or the clock.

    Rendered like FastAPI's own 422, so a client reads one error shape: the field is in ``loc``.
    """

    status_code = 422

    def __init__(self, field: str, message: str, *, location: str = "body") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.location = location

    def detail(self) -> Any:
        return [{"loc": [self.location, self.field], "msg": self.message, "type": "value_error"}]
