"""Pages: sign in, sign out, and the start page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from unstalk.hub.auth import login, logout
from unstalk.hub.errors import CsrfRefused
from unstalk.hub.principal import Principal
from unstalk.hub.web import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    browser_user,
    check_same_origin,
    form_user,
    hub_of,
    page,
    secure_cookie,
    signed_in_user,
)

router = APIRouter(include_in_schema=False)

SIGN_IN_FAILED = (
    "Sign-in failed: the e-mail address or the password is not right, or the account is "
    "locked after too many failed attempts."
)


def _login_page(request: Request, message: str = "", status: int = 200) -> HTMLResponse:
    # A pre-session CSRF token (double submit): only a page of this site can read the cookie
    # it must match, so another site cannot sign a browser in to an account of its choosing.
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        {"title": "Sign in", "login_csrf": token, "message": message},
        user=None,
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    if signed_in_user(request) is None:
        return _login_page(request)
    return RedirectResponse("/", status_code=303)


@router.post("/login")
def login_submit(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_same_origin(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise CsrfRefused()
    hub = hub_of(request)
    with hub.db.writer() as session:
        result = login(
            session,
            hub.passwords,
            email,
            password[:1024],
            now=hub.clock(),
            policy=hub.settings.login_policy(),
        )
    if result.token is None:
        return _login_page(request, SIGN_IN_FAILED, status=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=int(hub.settings.login_policy().session_lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout_submit(request: Request, user: Annotated[Principal, Depends(form_user)]) -> Response:
    hub = hub_of(request)
    with hub.db.writer() as session:
        logout(session, request.cookies.get(SESSION_COOKIE), user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request, user: Annotated[Principal, Depends(browser_user)]) -> HTMLResponse:
    return page(request, "home.html", {"title": "Coalition hub"}, user=user)
