"""Signing in and out through the pages: sessions, cookies, lockout."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.hub.db import LoginSession, User
from unstalk.hub.routers.ui_auth import SIGN_IN_FAILED
from unstalk.hub.web import SESSION_COOKIE

from .conftest import Hub, make_hub
from .helpers import ADMIN_EMAIL, BASE_URL, PASSWORD, csrf_of, sign_in


def _attempt(client: TestClient, email: str, password: str) -> int:
    form = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_of(form.text)}
    )
    return response.status_code


def test_pages_send_a_visitor_who_is_not_signed_in_to_the_login_form(client: TestClient) -> None:
    for path in ("/", "/orgs", "/users", "/keys", "/audit"):
        response = client.get(path)
        assert response.url.path == "/login", path
        assert "Sign in" in response.text


def test_sign_in_and_out(client: TestClient) -> None:
    csrf = sign_in(client, ADMIN_EMAIL.upper())
    assert "Coalition admin of Coalition" in client.get("/").text
    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.url.path == "/login"
    assert client.get("/orgs").url.path == "/login"


def test_the_session_cookie_is_http_only_strict_and_only_its_hash_is_stored(
    hub: Hub, client: TestClient
) -> None:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    with hub.db.reader() as session:
        stored = session.scalars(select(LoginSession.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0]


def test_cookies_are_secure_behind_tls(tmp_path: Path) -> None:
    hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, secure_cookies=True)
    with TestClient(hub.app, base_url=BASE_URL) as client:
        form = client.get("/login")
        assert "Secure" in form.headers["set-cookie"]
    hub.db.dispose()


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client: TestClient) -> None:
    form = client.get("/login")
    wrong = client.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": "not it at all", "csrf_token": csrf_of(form.text)},
    )
    form = client.get("/login")
    unknown = client.post(
        "/login",
        data={"email": "nobody@x.example", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert SIGN_IN_FAILED in wrong.text and SIGN_IN_FAILED in unknown.text


def test_five_failures_lock_the_account_until_the_lockout_ends(
    hub: Hub, client: TestClient
) -> None:
    for _ in range(5):
        assert _attempt(client, ADMIN_EMAIL, "wrong password!") == 401
    assert _attempt(client, ADMIN_EMAIL, PASSWORD) == 401, "locked: even the right password"
    hub.clock.advance(minutes=14)
    assert _attempt(client, ADMIN_EMAIL, PASSWORD) == 401
    hub.clock.advance(minutes=2)
    assert _attempt(client, ADMIN_EMAIL, PASSWORD) == 200
    with hub.db.reader() as session:
        user = session.scalars(select(User).where(User.email == ADMIN_EMAIL)).one()
        assert user.failed_logins == 0 and user.locked_until is None


def test_sessions_end_after_their_lifetime(hub: Hub, client: TestClient) -> None:
    sign_in(client, ADMIN_EMAIL)
    hub.clock.advance(hours=11)
    assert client.get("/").url.path == "/"
    hub.clock.advance(hours=2)
    assert client.get("/").url.path == "/login"


def test_a_forged_session_cookie_is_not_accepted(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "A" * 43)
    assert client.get("/").url.path == "/login"
