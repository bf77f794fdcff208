"""notify-svc domain errors, mapped to HTTP statuses by the router."""

from brokerage_common.errors import DomainError


class NotifyError(DomainError):
    status_code = 400


class NotFound(NotifyError):
    status_code = 404


class Conflict(NotifyError):
    status_code = 409


class Invalid(NotifyError):
    status_code = 422


class CalendarUnavailable(NotifyError):
    """The request is fine; the trading calendar does not reach its days yet."""

    status_code = 503
