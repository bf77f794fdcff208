"""tiering-svc domain errors; every app answers them with their status (brokerage_common.errors)."""

from brokerage_common.errors import DomainError


class TieringError(DomainError):
    status_code = 400


class NotFound(TieringError):
    status_code = 404


class InsufficientPoints(TieringError):
    status_code = 409
    code = "rule_violated:insufficient_points"


class InvalidRedemption(TieringError):
    status_code = 422
    code = "rule_violated:invalid_redemption"


class IdempotencyKeyReused(TieringError):
    """An ``Idempotency-Key`` replayed with a request other than the one it first carried."""

    status_code = 422
    code = "idempotency_key_reused"
