"""The service token the stand-in's callbacks carry, minted from the stack's JWT secret.

notify-svc accepts delivery reports and replies only with a service token of scope
``sms:report`` (spec sms-gateway.md). ``make run`` issues one and passes it in
STANDIN_CALLBACK_TOKEN; under docker compose the stand-in mints its own from
STANDIN_CALLBACK_JWT_SECRET (the stack's AUTH_JWT_SECRET), so no token is pasted by hand.
"""

from __future__ import annotations

import time

import jwt

REPORT_SCOPE = "sms:report"
# A local stack: a year outlives any compose session, and a restart mints a new one.
TOKEN_TTL_S = 365 * 24 * 3600


def report_token(secret: str, *, now: float | None = None) -> str:
    """An HS256 service token (sub sms-gateway, scope sms:report) signed with ``secret``."""
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": "sms-gateway",
        "role": "service",
        "scopes": [REPORT_SCOPE],
        "iat": issued,
        "exp": issued + TOKEN_TTL_S,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
