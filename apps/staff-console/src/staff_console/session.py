"""Who is signed in: the JWT from the SSO proxy's Authorization header or the signed cookie.

The console never decides access to data itself beyond hiding pages: it forwards the user's
token and each service answers for its own data (branch, role). Locally (ENVIRONMENT local or
test) the sign-in page mints a token for one of make run's demo staff with the dev secret.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from itsdangerous import BadSignature, URLSafeTimedSerializer

from brokerage_common.auth import TokenVerifier

from .config import DemoStaff, Settings
from .rules import STAFF_ROLES, Page, may_open

COOKIE = "console_session"


@dataclass(frozen=True)
class StaffUser:
    """A signed-in staff member: the token's identity, branch and staff roles, and the token."""

    staff_id: str
    branch_id: str
    staff_roles: frozenset[str]
    name: str
    token: str


class NotSignedIn(Exception):
    pass


class NotStaff(Exception):
    """A valid token that is not a staff member's (a customer's or a service's): nothing."""


def mint_demo_token(staff: DemoStaff, *, secret: str, ttl_s: int) -> str:
    """An HS256 staff token carrying ``staff_roles`` (api.md) as issue_token's claims do.

    Signed here rather than through issue_token, which has no staff_roles argument yet.
    """
    claims: dict[str, Any] = {
        "sub": staff.staff_id,
        "role": "staff",
        "branch_id": staff.branch_id,
        "staff_roles": list(staff.staff_roles),
        "name": staff.name,
        "exp": int(time.time()) + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.session_key, salt="staff-console-session")


def cookie_value(settings: Settings, token: str) -> str:
    return serializer(settings).dumps(token)


def _token_from(request: Request, settings: Settings) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        token = serializer(settings).loads(raw, max_age=settings.session_max_age_s)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def read_user(request: Request) -> StaffUser:
    settings: Settings = request.app.state.settings
    token = _token_from(request, settings)
    if token is None:
        raise NotSignedIn
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        principal = verifier.verify(token)
    except HTTPException as exc:
        raise NotSignedIn from exc
    if not principal.is_staff or principal.branch_id is None:
        raise NotStaff
    # The signature was checked just above; this second read only picks the extra claims.
    claims = jwt.decode(token, options={"verify_signature": False})
    roles = claims.get("staff_roles") or []
    return StaffUser(
        staff_id=principal.sub,
        branch_id=principal.branch_id,
        staff_roles=frozenset(str(r) for r in roles if r in STAFF_ROLES)
        if isinstance(roles, list)
        else frozenset(),
        name=str(claims.get("name") or principal.sub),
        token=token,
    )


UserDep = Annotated[StaffUser, Depends(read_user)]


def page_user(page: Page) -> Any:
    """Dependency: the signed-in staff member, 403 when their roles do not open ``page``."""

    def dependency(user: UserDep) -> StaffUser:
        if not may_open(page, user.staff_roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "你的岗位不能打开此页面")
        return user

    return Depends(dependency)
