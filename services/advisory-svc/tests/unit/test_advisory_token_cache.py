"""The offers fast path's token cache: never trusted past a token's exp, bad tokens refused."""

from __future__ import annotations

import time

import pytest
from fastapi import HTTPException

from brokerage_common import TokenCache, TokenVerifier
from brokerage_common.auth import issue_token

SECRET = "a-test-secret-of-enough-length-for-hs256"


def test_a_token_is_kept_until_its_exp_at_most() -> None:
    cache = TokenCache(TokenVerifier(secret=SECRET), ttl_s=60.0)
    token = issue_token(secret=SECRET, sub="C1", role="customer", ttl_s=2)
    header = f"Bearer {token}".encode()
    principal = cache.principal(header)
    assert principal is not None
    assert principal.sub == "C1"
    assert cache._cache[header][1] <= time.monotonic() + 2.0  # not the 60 s of the cache


def test_no_bearer_is_none_and_a_bad_token_is_401() -> None:
    cache = TokenCache(TokenVerifier(secret=SECRET))
    assert cache.principal(b"") is None
    assert cache.principal(b"Basic abc") is None
    forged = issue_token(secret="another-secret-of-enough-length-x", sub="C1", role="customer")
    with pytest.raises(HTTPException) as exc:
        cache.principal(f"Bearer {forged}".encode())
    assert exc.value.status_code == 401
