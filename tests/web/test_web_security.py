"""Security of the advocates' app: headers, Host check, CSRF, quick exit, error pages."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from unstalk.errors import FeedError
from unstalk.feed.store import FeedStore
from unstalk.web import create_app
from unstalk.web.app import ROUTERS
from unstalk.web.security import host_allowed, host_name
from unstalk.web.sessions import SESSION_COOKIE
from unstalk.web.views import NEUTRAL_EXIT_URL

from .helpers import BASE_URL, accept_start, csrf_token

PAGES = ("/", "/about", "/lookup", "/static/unstalk.css", "/static/quick-exit.js", "/nowhere")


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_load_nothing_from_other_sites(started: tuple[TestClient, str]) -> None:
    client, _ = started
    for path in ("/", "/lookup", "/about"):
        html = client.get(path).text
        loaded = re.findall(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="([^"]+)"', html)
        assert loaded, path
        assert all(url.startswith("/static/") for url in loaded), (path, loaded)
        assert "<style" not in html and " style=" not in html
        assert re.search(r"<script>", html) is None, "inline script would break the CSP"


def test_every_page_starts_with_quick_exit_and_a_skip_link(started: tuple[TestClient, str]) -> None:
    client, _ = started
    for path in ("/", "/lookup", "/about", "/nowhere"):
        html = client.get(path).text
        assert '<html lang="en">' in html
        links = re.findall(r"<a\b[^>]*>", html)
        assert 'href="/exit"' in links[0] and "Quick exit" in html, path
        assert 'href="#main"' in links[1], path
        assert 'id="main"' in html


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example"])
def test_foreign_host_header_is_refused(client: TestClient, host: str) -> None:
    response = client.get("/", headers={"host": host})
    assert response.status_code == 400
    assert "only answers at the address it printed" in response.text
    assert "csrf_token" not in response.text
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "127.0.0.2"])
def test_loopback_host_headers_are_accepted(client: TestClient, host: str) -> None:
    assert client.get("/", headers={"host": host}).status_code == 200


def test_host_parsing() -> None:
    assert host_name("[::1]:8765") == "::1"
    assert host_name("LOCALHOST:80") == "localhost"
    assert host_name("127.0.0.1") == "127.0.0.1"
    assert not host_allowed(None, ())
    assert not host_allowed("", ())
    assert not host_allowed("localhost.evil.example", ())


def test_explicitly_configured_host_is_accepted(store: FeedStore) -> None:
    app = create_app(store, allowed_hosts=["Laptop.lan"])
    with TestClient(app, base_url="http://laptop.lan:8765") as client:
        assert client.get("/").status_code == 200
        assert client.get("/", headers={"host": "other.lan"}).status_code == 400
    assert host_allowed("anything.example", {"*"})


def test_post_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/")
    response = client.post("/start", data={"consent": "yes"})
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "Back to the start page" in response.text


def test_post_with_a_wrong_or_foreign_token_is_refused(app: FastAPI, client: TestClient) -> None:
    token = csrf_token(client.get("/").text)
    with TestClient(app, base_url=BASE_URL) as other:
        other_token = csrf_token(other.get("/").text)
    assert other_token != token
    for bad in (other_token, token[:-1] + ("0" if token[-1] != "0" else "1"), ""):
        response = client.post("/start", data={"csrf_token": bad, "consent": "yes"})
        assert response.status_code == 403
    # The refusals changed nothing: the session has still not accepted the notes.
    assert client.get("/lookup", follow_redirects=False).headers["location"] == "/"


def test_post_from_another_site_is_refused_even_with_the_token(client: TestClient) -> None:
    token = csrf_token(client.get("/").text)
    response = client.post(
        "/start",
        data={"csrf_token": token, "consent": "yes"},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert response.status_code == 403


def test_post_in_other_encodings_is_refused(client: TestClient) -> None:
    token = csrf_token(client.get("/").text)
    assert client.post("/start", json={"csrf_token": token}).status_code == 403
    multipart = client.post(
        "/start", data={"csrf_token": token, "consent": "yes"}, files={"x": ("a", b"a")}
    )
    assert multipart.status_code == 403


def test_session_cookie_is_http_only_and_same_site(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_unknown_session_cookie_starts_a_new_session(client: TestClient) -> None:
    planted = "A" * 43
    client.cookies.set(SESSION_COOKIE, planted)
    response = client.get("/")
    assert SESSION_COOKIE in response.headers["set-cookie"]
    assert planted not in response.headers["set-cookie"]


def test_quick_exit_leaves_and_clears_the_session(started: tuple[TestClient, str]) -> None:
    client, token = started
    old_cookie = client.cookies[SESSION_COOKIE]
    response = client.get("/exit", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == NEUTRAL_EXIT_URL
    clear = response.headers["clear-site-data"]
    assert '"cookies"' in clear and '"cache"' in clear and '"storage"' in clear
    deleted = response.headers["set-cookie"]
    assert deleted.startswith(f'{SESSION_COOKIE}=""') and "Max-Age=0" in deleted
    assert SESSION_COOKIE not in client.cookies
    # Even if a browser kept the old cookie, the server has forgotten that session.
    client.cookies.set(SESSION_COOKIE, old_cookie)
    assert client.get("/lookup", follow_redirects=False).headers["location"] == "/"
    refused = client.post("/lookup", data={"csrf_token": token, "values": "com.thetruth"})
    assert refused.status_code == 403


def test_quick_exit_forgets_the_last_result(started: tuple[TestClient, str]) -> None:
    client, token = started
    client.post("/lookup", data={"csrf_token": token, "values": "com.thetruth"})
    assert "TheTruthSpy" in client.get("/lookup/results").text
    client.get("/exit", follow_redirects=False)
    accept_start(client)
    assert client.get("/lookup/results", follow_redirects=False).headers["location"] == "/lookup"


def test_oversized_form_is_refused_plainly(started: tuple[TestClient, str]) -> None:
    client, token = started
    response = client.post("/lookup", data={"csrf_token": token, "values": "a" * 2_000_000})
    assert response.status_code == 413
    assert "more than unstalk accepts" in response.text


def test_unstalk_errors_render_their_diagnostics(store: FeedStore) -> None:
    app = create_app(store)

    def feed_broke() -> None:
        raise FeedError("The feed file is damaged.", advice="Run 'unstalk feed update'.")

    def bug() -> None:
        raise RuntimeError("internal detail that must not show")

    app.add_api_route("/feed-broke", feed_broke)
    app.add_api_route("/bug", bug)
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        broken = client.get("/feed-broke")
        assert broken.status_code == 500
        assert "The feed file is damaged." in broken.text
        assert "Run &#39;unstalk feed update&#39;." in broken.text
        crashed = client.get("/bug")
        assert crashed.status_code == 500
        assert "Something went wrong" in crashed.text
        assert "internal detail" not in crashed.text and "Traceback" not in crashed.text
        assert crashed.headers["content-security-policy"].startswith("default-src 'self'")


def test_openapi_and_docs_are_not_served(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_every_post_route_refuses_a_request_without_token(app: FastAPI) -> None:
    posts = [
        route.path
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in (route.methods or ())
    ]
    assert {"/start", "/lookup", "/lookup/file"} <= set(posts)
    with TestClient(app, base_url=BASE_URL) as client:
        accept_start(client)
        for path in posts:
            form = client.post(path, data={"values": "com.thetruth", "consent": "yes"})
            assert form.status_code == 403, path
            upload = client.post(path, files={"file": ("a.apk", b"x")})
            assert upload.status_code == 403, path
