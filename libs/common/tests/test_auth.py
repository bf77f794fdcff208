"""Token verification (HS256 locally, RS256 in production) and the checks of api.md."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI, HTTPException

from brokerage_common.auth import (
    CurrentPrincipal,
    Principal,
    TokenVerifier,
    ensure_can_access_customer,
    issue_token,
    require_role,
    require_scope,
    require_staff_role,
)
from brokerage_common.settings import CommonSettings
from brokerage_common.testing import TEST_JWT_SECRET, auth_header
from brokerage_common.web import install_platform

SECRET = "a-test-secret-that-is-long-enough-0123456789"
OTHER_SECRET = "another-secret-that-is-long-enough-987654321"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": "C000123", "role": "customer", "exp": int(time.time()) + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _who(p: Principal) -> tuple[str, str, str | None, frozenset[str]]:
    return (p.sub, p.role, p.branch_id, p.scopes)


def _assert_401(verifier: TokenVerifier, token: str) -> HTTPException:
    with pytest.raises(HTTPException) as info:
        verifier.verify(token)
    assert info.value.status_code == 401
    return info.value


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


# ----------------------------------------------------------------------------- HS256


def test_hs256_customer_token_is_verified() -> None:
    token = issue_token(secret=SECRET, sub="C000123", role="customer")
    principal = TokenVerifier(secret=SECRET).verify(token)
    assert _who(principal) == ("C000123", "customer", None, frozenset())
    assert principal.is_customer
    assert not principal.is_staff
    assert not principal.is_service


def test_hs256_staff_and_service_tokens_carry_branch_and_scopes() -> None:
    verifier = TokenVerifier(secret=SECRET)
    staff = verifier.verify(issue_token(secret=SECRET, sub="S01", role="staff", branch_id="B001"))
    assert staff.is_staff
    assert staff.branch_id == "B001"
    assert staff.sub == "S01"
    service = verifier.verify(
        issue_token(secret=SECRET, sub="callcenter", role="service", scopes=["routing:read", "x:y"])
    )
    assert service.is_service
    assert service.scopes == frozenset({"routing:read", "x:y"})


@pytest.mark.parametrize(
    ("role", "claim", "expected"),
    [
        # A token from before the claim existed still verifies, with no staff rights.
        ("staff", None, frozenset()),
        ("staff", ["manager"], frozenset({"manager"})),
        ("staff", ["back_office", "sales"], frozenset({"back_office", "sales"})),
        # A name outside domain.md §5.1 grants nothing.
        ("staff", ["manager", "owner"], frozenset({"manager"})),
        # Only staff carry staff rights, whatever a customer token claims.
        ("customer", ["manager"], frozenset()),
    ],
)
def test_staff_roles_claim_is_read_and_optional(
    role: str, claim: list[str] | None, expected: frozenset[str]
) -> None:
    token = issue_token(
        secret=SECRET,
        sub="S01",
        role=role,  # type: ignore[arg-type]
        branch_id="B001" if role == "staff" else None,
        staff_roles=claim,
    )
    principal = TokenVerifier(secret=SECRET).verify(token)
    assert principal.staff_roles == expected
    assert ("staff_roles" in jwt.decode(token, SECRET, algorithms=["HS256"])) is (claim is not None)


def test_staff_roles_that_is_not_a_list_is_401() -> None:
    token = jwt.encode(
        _claims(role="staff", branch_id="B001", staff_roles="manager"), SECRET, algorithm="HS256"
    )
    _assert_401(TokenVerifier(secret=SECRET), token)


async def test_require_staff_role_admits_only_those_roles() -> None:
    app = FastAPI()
    install_platform(app, settings=CommonSettings(auth_jwt_secret=TEST_JWT_SECRET), readiness=[])

    @app.get("/v1/weights", dependencies=[Depends(require_staff_role("manager"))])
    async def weights() -> dict[str, str]:
        return {"ok": "yes"}

    def token(**kw: Any) -> dict[str, str]:
        return auth_header(issue_token(secret=TEST_JWT_SECRET, sub="S1", **kw))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        manager = token(role="staff", branch_id="B001", staff_roles=["manager"])
        sales = token(role="staff", branch_id="B001", staff_roles=["sales"])
        legacy = token(role="staff", branch_id="B001")
        customer = token(role="customer")
        assert (await client.get("/v1/weights", headers=manager)).status_code == 200
        assert (await client.get("/v1/weights", headers=sales)).status_code == 403
        assert (await client.get("/v1/weights", headers=legacy)).status_code == 403
        assert (await client.get("/v1/weights", headers=customer)).status_code == 403


def test_expired_token_is_401() -> None:
    token = issue_token(secret=SECRET, sub="C000123", role="customer", ttl_s=-10)
    exc = _assert_401(TokenVerifier(secret=SECRET), token)
    assert "expired" in str(exc.detail).lower()
    assert exc.headers == {"WWW-Authenticate": "Bearer"}


def test_token_without_exp_is_401() -> None:
    token = jwt.encode({"sub": "C000123", "role": "customer"}, SECRET, algorithm="HS256")
    _assert_401(TokenVerifier(secret=SECRET), token)


def test_wrong_secret_is_401() -> None:
    token = issue_token(secret=OTHER_SECRET, sub="C000123", role="customer")
    _assert_401(TokenVerifier(secret=SECRET), token)


def test_tampered_token_is_401() -> None:
    token = issue_token(secret=SECRET, sub="C000123", role="customer")
    header, _payload, signature = token.split(".")
    forged = _b64(json.dumps(_claims(sub="C999999")).encode())
    _assert_401(TokenVerifier(secret=SECRET), f"{header}.{forged}.{signature}")


def test_garbage_token_is_401() -> None:
    _assert_401(TokenVerifier(secret=SECRET), "not-a-jwt")


def test_missing_role_is_401() -> None:
    token = jwt.encode(_claims(role=None), SECRET, algorithm="HS256")
    _assert_401(TokenVerifier(secret=SECRET), token)


def test_missing_sub_is_401() -> None:
    token = jwt.encode(_claims(sub=None), SECRET, algorithm="HS256")
    _assert_401(TokenVerifier(secret=SECRET), token)


def test_unknown_role_is_401() -> None:
    token = jwt.encode(_claims(role="admin"), SECRET, algorithm="HS256")
    exc = _assert_401(TokenVerifier(secret=SECRET), token)
    assert exc.headers == {"WWW-Authenticate": "Bearer"}


def test_staff_without_branch_is_401() -> None:
    token = issue_token(secret=SECRET, sub="S01", role="staff")
    _assert_401(TokenVerifier(secret=SECRET), token)
    empty = jwt.encode(_claims(sub="S01", role="staff", branch_id=""), SECRET, algorithm="HS256")
    _assert_401(TokenVerifier(secret=SECRET), empty)


def test_scopes_must_be_a_list() -> None:
    token = jwt.encode(_claims(role="service", scopes="routing:read"), SECRET, algorithm="HS256")
    _assert_401(TokenVerifier(secret=SECRET), token)


def test_unsigned_token_is_401() -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    _assert_401(TokenVerifier(secret=SECRET), f"{header}.{payload}.")


def test_issuer_is_checked_when_configured() -> None:
    verifier = TokenVerifier(secret=SECRET, issuer="https://idp.example")
    good = jwt.encode(_claims(iss="https://idp.example"), SECRET, algorithm="HS256")
    assert verifier.verify(good).sub == "C000123"
    _assert_401(
        verifier, jwt.encode(_claims(iss="https://evil.example"), SECRET, algorithm="HS256")
    )
    _assert_401(verifier, jwt.encode(_claims(), SECRET, algorithm="HS256"))


def test_verifier_needs_a_key() -> None:
    with pytest.raises(ValueError):
        TokenVerifier()


# ----------------------------------------------------------------------------- RS256


def test_rs256_token_is_verified_with_the_public_key(rsa_keys: tuple[str, str]) -> None:
    private_pem, public_pem = rsa_keys
    token = jwt.encode(
        _claims(sub="S01", role="staff", branch_id="B001"), private_pem, algorithm="RS256"
    )
    principal = TokenVerifier(public_key=public_pem).verify(token)
    assert _who(principal) == ("S01", "staff", "B001", frozenset())


def test_rs256_token_signed_by_another_key_is_401(rsa_keys: tuple[str, str]) -> None:
    _, public_pem = rsa_keys
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(), other, algorithm="RS256")
    _assert_401(TokenVerifier(public_key=public_pem), token)


def test_rs256_verifier_refuses_hs256_tokens(rsa_keys: tuple[str, str]) -> None:
    """Algorithm confusion: an HS256 token 'signed' with the public key must not pass."""
    _, public_pem = rsa_keys
    verifier = TokenVerifier(public_key=public_pem)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(role="staff", branch_id="B001")).encode())
    signing_input = f"{header}.{payload}".encode()
    for key in (public_pem.encode(), public_pem.strip().encode()):
        signature = _b64(hmac.new(key, signing_input, hashlib.sha256).digest())
        _assert_401(verifier, f"{header}.{payload}.{signature}")
    # And a token signed with the local development secret is refused too.
    _assert_401(verifier, issue_token(secret=TEST_JWT_SECRET, sub="C000123", role="customer"))


def test_public_key_wins_over_a_secret(rsa_keys: tuple[str, str]) -> None:
    _, public_pem = rsa_keys
    verifier = TokenVerifier(secret=SECRET, public_key=public_pem)
    assert verifier.algorithms == ["RS256"]
    _assert_401(verifier, issue_token(secret=SECRET, sub="C000123", role="customer"))


def test_hs256_verifier_refuses_rs256_tokens(rsa_keys: tuple[str, str]) -> None:
    private_pem, _ = rsa_keys
    token = jwt.encode(_claims(), private_pem, algorithm="RS256")
    _assert_401(TokenVerifier(secret=SECRET), token)


# ----------------------------------------------------------------------------- object-level checks

CUSTOMER = Principal(sub="C000123", role="customer")
STAFF_B1 = Principal(sub="S01", role="staff", branch_id="B001")
SERVICE = Principal(sub="callcenter", role="service", scopes=frozenset({"routing:read"}))


@pytest.mark.parametrize(
    ("principal", "customer_id", "branch_id", "allowed"),
    [
        (CUSTOMER, "C000123", "B001", True),
        (CUSTOMER, "C000123", None, True),
        (CUSTOMER, "C000124", "B001", False),
        (CUSTOMER, "c000123", "B001", False),
        (STAFF_B1, "C000123", "B001", True),
        (STAFF_B1, "C000999", "B001", True),
        (STAFF_B1, "C000123", "B002", False),
        (STAFF_B1, "C000123", None, False),
        (SERVICE, "C000123", "B002", True),
    ],
)
def test_ensure_can_access_customer(
    principal: Principal, customer_id: str, branch_id: str | None, allowed: bool
) -> None:
    if allowed:
        ensure_can_access_customer(principal, customer_id=customer_id, branch_id=branch_id)
        return
    with pytest.raises(HTTPException) as info:
        ensure_can_access_customer(principal, customer_id=customer_id, branch_id=branch_id)
    assert info.value.status_code == 403


def test_require_scope_direct() -> None:
    check = require_scope("routing:read")
    assert check(SERVICE) is SERVICE
    for principal in (
        Principal(sub="callcenter", role="service", scopes=frozenset({"other"})),
        Principal(sub="callcenter", role="service"),
        STAFF_B1,
        CUSTOMER,
    ):
        with pytest.raises(HTTPException) as info:
            check(principal)
        assert info.value.status_code == 403


# ----------------------------------------------------------------------------- over HTTP


def _app() -> FastAPI:
    app = FastAPI()
    install_platform(app, settings=CommonSettings(environment="test"), readiness=[])

    @app.get("/v1/routing")
    def routing(principal: Principal = Depends(require_scope("routing:read"))) -> dict[str, str]:  # noqa: B008
        return {"sub": principal.sub}

    @app.get("/v1/staff-only")
    def staff_only(principal: Principal = Depends(require_role("staff"))) -> dict[str, str]:  # noqa: B008
        return {"branch": principal.branch_id or ""}

    @app.get("/v1/customers/{customer_id}")
    def customer(customer_id: str, principal: CurrentPrincipal) -> dict[str, str]:
        ensure_can_access_customer(principal, customer_id=customer_id, branch_id="B001")
        return {"customer_id": customer_id}

    return app


@pytest.fixture
async def client() -> Any:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_http_missing_or_bad_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/customers/C000123")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = await client.get("/v1/customers/C000123", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    r = await client.get("/v1/customers/C000123", headers=auth_header("garbage"))
    assert r.status_code == 401
    assert r.json()["detail"].startswith("invalid token")


async def test_http_object_level_checks(
    client: httpx.AsyncClient, make_token: Callable[..., str]
) -> None:
    own = auth_header(make_token("customer", sub="C000123"))
    assert (await client.get("/v1/customers/C000123", headers=own)).status_code == 200
    assert (await client.get("/v1/customers/C000124", headers=own)).status_code == 403
    same_branch = auth_header(make_token("staff", sub="S01", branch_id="B001"))
    other_branch = auth_header(make_token("staff", sub="S02", branch_id="B002"))
    assert (await client.get("/v1/customers/C000124", headers=same_branch)).status_code == 200
    assert (await client.get("/v1/customers/C000124", headers=other_branch)).status_code == 403
    wrong_secret = auth_header(make_token("customer", sub="C000123", secret=OTHER_SECRET))
    assert (await client.get("/v1/customers/C000123", headers=wrong_secret)).status_code == 401


async def test_http_scope_and_role(
    client: httpx.AsyncClient, make_token: Callable[..., str]
) -> None:
    scoped = auth_header(make_token("service", sub="cc", scopes=["routing:read"]))
    r = await client.get("/v1/routing", headers=scoped)
    assert r.status_code == 200
    assert r.json() == {"sub": "cc"}
    unscoped = auth_header(make_token("service", sub="cc", scopes=["other"]))
    assert (await client.get("/v1/routing", headers=unscoped)).status_code == 403
    staff = auth_header(make_token("staff", branch_id="B001"))
    assert (await client.get("/v1/routing", headers=staff)).status_code == 403
    assert (await client.get("/v1/routing")).status_code == 401
    assert (await client.get("/v1/staff-only", headers=staff)).json() == {"branch": "B001"}
    customer = auth_header(make_token("customer", sub="C000123"))
    assert (await client.get("/v1/staff-only", headers=customer)).status_code == 403


@pytest.mark.parametrize(
    "key",
    ["garbage", "-----BEGIN PUBLIC KEY-----\\nMIIBIjANBgkq\\n-----END PUBLIC KEY-----"],
)
def test_unusable_public_key_fails_at_start_up(key: str) -> None:
    with pytest.raises(ValueError, match="public key"):
        TokenVerifier(public_key=key)


def test_staff_roles_come_from_the_claim_and_a_token_without_it_has_none() -> None:
    verifier = TokenVerifier(secret=SECRET)
    adviser = verifier.verify(
        issue_token(
            secret=SECRET,
            sub="S1",
            role="staff",
            branch_id="HQ",
            staff_roles=["adviser", "astronaut"],
        )
    )
    assert adviser.staff_roles == frozenset({"adviser"})  # unknown names grant nothing
    assert adviser.has_staff_role("adviser")
    assert adviser.is_headquarters
    old = verifier.verify(issue_token(secret=SECRET, sub="S2", role="staff", branch_id="B001"))
    assert old.staff_roles == frozenset()
    assert not old.has_staff_role("adviser")
    assert not old.is_headquarters
    # A customer's token cannot smuggle staff roles in.
    customer = verifier.verify(
        issue_token(secret=SECRET, sub="C1", role="customer", staff_roles=["adviser"])
    )
    assert not customer.has_staff_role("adviser")


def test_staff_roles_must_be_a_list() -> None:
    token = jwt.encode(
        {
            "sub": "S1",
            "role": "staff",
            "branch_id": "B1",
            "staff_roles": "adviser",
            "exp": int(time.time()) + 60,
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(HTTPException) as info:
        TokenVerifier(secret=SECRET).verify(token)
    assert info.value.status_code == 401
