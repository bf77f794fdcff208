"""tiering-svc domain errors, mapped to HTTP statuses by the router."""


class TieringError(Exception):
    status_code = 400


class NotFound(TieringError):
    status_code = 404


class InsufficientPoints(TieringError):
    status_code = 409


class InvalidRedemption(TieringError):
    status_code = 422
