"""Sign-in and sign-out: demo staff locally, the SSO proxy's token in production."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..config import Settings
from ..rules import pages_for
from ..session import COOKIE, NotSignedIn, NotStaff, cookie_value, mint_demo_token, read_user
from .common import render

router = APIRouter()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _signed_in(request: Request, token: str) -> Response:
    settings = _settings(request)
    resp = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    resp.set_cookie(
        COOKIE,
        cookie_value(settings, token),
        max_age=settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=not settings.may_mint_tokens,
    )
    return resp


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    try:
        user = read_user(request)
    except (NotSignedIn, NotStaff):
        return RedirectResponse("/signin", status_code=status.HTTP_303_SEE_OTHER)
    pages = pages_for(user.staff_roles)
    if not pages:
        return render(
            request,
            "error.html",
            user=user,
            status_code=403,
            title="没有岗位",
            message="你的令牌没有任何员工岗位（staff_roles），不能使用工作台。",
        )
    return RedirectResponse(f"/{pages[0].value}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/signin", response_class=HTMLResponse, include_in_schema=False)
async def signin_page(request: Request) -> HTMLResponse:
    settings = _settings(request)
    return render(
        request,
        "signin.html",
        user=None,
        may_mint=settings.may_mint_tokens,
        demo_staff=settings.console_demo_staff,
    )


@router.post("/signin", include_in_schema=False)
async def signin(request: Request, staff_id: Annotated[str, Form(max_length=32)]) -> Response:
    settings = _settings(request)
    if not settings.may_mint_tokens:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "生产环境通过统一身份认证登录")
    staff = next((s for s in settings.console_demo_staff if s.staff_id == staff_id), None)
    if staff is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"没有演示员工 {staff_id}")
    assert settings.auth_jwt_secret is not None  # local runs always have the dev secret
    token = mint_demo_token(staff, secret=settings.auth_jwt_secret, ttl_s=settings.demo_token_ttl_s)
    return _signed_in(request, token)


@router.post("/signin/token", include_in_schema=False)
async def signin_with_token(
    request: Request, token: Annotated[str, Form(min_length=10, max_length=4096)]
) -> Response:
    """Locally: use a token make run printed (e.g. the customer's, to see that it gets nothing)."""
    if not _settings(request).may_mint_tokens:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "生产环境通过统一身份认证登录")
    return _signed_in(request, token.strip())


@router.post("/signout", include_in_schema=False)
async def signout() -> Response:
    resp = RedirectResponse("/signin", status_code=status.HTTP_303_SEE_OTHER)
    resp.delete_cookie(COOKIE)
    return resp
