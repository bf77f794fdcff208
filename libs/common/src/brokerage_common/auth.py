"""JWT verification, principals and role/scope/object-level checks for every service."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.algorithms import RSAAlgorithm

Role = Literal["customer", "staff", "service"]
StaffRole = Literal["manager", "account_manager", "sales", "back_office", "adviser"]
STAFF_ROLES: frozenset[str] = frozenset(
    {"manager", "account_manager", "sales", "back_office", "adviser"}
)
HQ_BRANCH = "HQ"
"""The ``branch_id`` of headquarters staff: they see every branch for what their roles allow."""
_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a customer (sub = customer id), staff of a branch, or a scoped service."""

    sub: str
    role: Role
    branch_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    expires_at: float | None = None  # the token's exp (epoch seconds)
    # Staff roles (domain.md §5.1); a token without the claim has none of them (api.md).
    staff_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_customer(self) -> bool:
        return self.role == "customer"

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def is_service(self) -> bool:
        return self.role == "service"

    @property
    def is_headquarters(self) -> bool:
        """Headquarters staff (``branch_id`` ``HQ``) act for every branch, within their roles."""
        return self.is_staff and self.branch_id == HQ_BRANCH

    @property
    def is_hq(self) -> bool:
        """Short for ``is_headquarters``."""
        return self.is_headquarters

    def has_staff_role(self, *roles: str) -> bool:
        """Staff holding at least one of ``roles``."""
        return self.is_staff and not self.staff_roles.isdisjoint(roles)


class TokenVerifier:
    """HS256 with a shared secret locally; RS256 with a public key in production."""

    def __init__(
        self, *, secret: str | None = None, public_key: str | None = None, issuer: str | None = None
    ) -> None:
        self._verify_key: Any
        if public_key:
            self.key: str = public_key
            self.algorithms = ["RS256"]
            # Parse it now: a broken AUTH_JWT_PUBLIC_KEY must stop the service at start-up,
            # not turn every request into a 401.
            try:
                self._verify_key = RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(public_key)
            except (jwt.PyJWTError, ValueError, TypeError) as exc:
                raise ValueError(f"the JWT public key is not a usable RSA key: {exc}") from exc
        elif secret:
            self.key = secret
            self._verify_key = secret
            self.algorithms = ["HS256"]
        else:
            raise ValueError("a JWT secret or public key is required")
        self.issuer = issuer

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._verify_key,
                algorithms=self.algorithms,
                issuer=self.issuer,
                options={"require": ["sub", "exp", "role"]},
            )
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"invalid token: {exc}") from exc
        role = claims.get("role")
        if role not in ("customer", "staff", "service"):
            raise _unauthorized("invalid token: unknown role")
        if role == "staff" and not claims.get("branch_id"):
            raise _unauthorized("invalid token: staff without branch_id")
        scopes = claims.get("scopes") or []
        if not isinstance(scopes, list):
            raise _unauthorized("invalid token: scopes must be a list")
        staff_roles = claims.get("staff_roles") or []
        if not isinstance(staff_roles, list):
            raise _unauthorized("invalid token: staff_roles must be a list")
        return Principal(
            sub=str(claims["sub"]),
            role=role,
            branch_id=claims.get("branch_id"),
            scopes=frozenset(str(s) for s in scopes),
            expires_at=float(claims["exp"]),
            # Unknown role names grant nothing; only staff carry staff rights.
            staff_roles=frozenset(str(r) for r in staff_roles) & STAFF_ROLES
            if role == "staff"
            else frozenset(),
        )


def _unauthorized(detail: str) -> HTTPException:
    # Every 401 carries the challenge (RFC 6750), whatever was wrong with the token.
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


class TokenCache:
    """Verified tokens for a short while, keyed by the whole Authorization header: a client
    (the call center, the app) reuses its token for every call, so a known caller costs one
    dict lookup. The fast paths that answer before FastAPI use it (tiering's routing, ADR
    0006; advisory's offers, ADR 0010): re-verified after at most ``ttl_s`` and never
    trusted past the token's own ``exp``."""

    def __init__(
        self, verifier: TokenVerifier, max_entries: int = 10000, ttl_s: float = 60.0
    ) -> None:
        self.verifier = verifier
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._cache: dict[bytes, tuple[Principal, float]] = {}

    def principal(self, authorization: bytes) -> Principal | None:
        """The principal of the header's bearer token; None when it carries none.

        Raises the verifier's 401 for a bad or expired token.
        """
        now = time.monotonic()
        hit = self._cache.get(authorization)
        if hit is not None and hit[1] > now:
            return hit[0]
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        principal = self.verifier.verify(token.strip())  # raises 401
        if len(self._cache) >= self.max_entries:
            self._cache.clear()
        until = now + self.ttl_s
        if principal.expires_at is not None:
            until = min(until, now + (principal.expires_at - time.time()))
        self._cache[authorization] = (principal, until)
        return principal


def issue_token(
    *,
    secret: str,
    sub: str,
    role: Role,
    branch_id: str | None = None,
    scopes: list[str] | None = None,
    ttl_s: int = 3600,
    staff_roles: list[str] | None = None,
) -> str:
    """Sign an HS256 token: local runs, demo data and tests only (production uses the IdP's)."""
    claims: dict[str, Any] = {"sub": sub, "role": role, "exp": int(time.time()) + ttl_s}
    if branch_id is not None:
        claims["branch_id"] = branch_id
    if scopes is not None:
        claims["scopes"] = scopes
    if staff_roles is not None:
        claims["staff_roles"] = staff_roles
    return jwt.encode(claims, secret, algorithm="HS256")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the verified caller, or 401.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in its
    thread pool, a thread hop on every request for a few microseconds of work.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires role {' or '.join(roles)}")
        return principal

    return dependency


def require_staff_role(*roles: StaffRole) -> Callable[[Principal], Awaitable[Principal]]:
    """Staff holding at least one of ``roles`` (the token's ``staff_roles`` claim), else 403."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.has_staff_role(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"requires the staff role {' or '.join(roles)}"
            )
        return principal

    return dependency


def require_scope(scope: str) -> Callable[[Principal], Principal]:
    def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.is_service or scope not in principal.scopes:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"requires a service token with scope {scope}"
            )
        return principal

    return dependency


def ensure_can_access_customer(
    principal: Principal, *, customer_id: str, branch_id: str | None
) -> None:
    """Object-level check: a customer sees only themself, staff only their own branch's customers.

    Services pass (they act for the platform and are limited by their scopes at the route).
    """
    if principal.is_customer:
        if principal.sub != customer_id:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "customers may only access their own data"
            )
        return
    if principal.is_staff:
        if branch_id is None or principal.branch_id != branch_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "staff may only access their own branch")
        return
