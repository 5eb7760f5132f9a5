"""Forms need the session's CSRF token; the JSON API takes keys, never cookies."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.hub.db import Organisation

from .conftest import Hub
from .helpers import ADMIN_EMAIL, PASSWORD, csrf_of, sign_in

NEW_ORG = {
    "name": "Forged Org",
    "kind": "ngo",
    "country": "FR",
    "admin_email": "x@forged.example",
    "admin_password": PASSWORD,
}


def _org_count(hub: Hub) -> int:
    with hub.db.reader() as session:
        return len(session.scalars(select(Organisation)).all())


def test_a_form_without_the_token_is_refused(hub: Hub, client: TestClient) -> None:
    sign_in(client, ADMIN_EMAIL)
    response = client.post("/orgs", data=NEW_ORG)
    assert response.status_code == 403
    assert "form has expired" in response.text
    assert _org_count(hub) == 1


def test_a_form_with_another_sessions_token_is_refused(hub: Hub, client: TestClient) -> None:
    sign_in(client, ADMIN_EMAIL)
    with TestClient(hub.app, base_url="http://testserver") as other:
        other_token = sign_in(other, ADMIN_EMAIL)
    response = client.post("/orgs", data={**NEW_ORG, "csrf_token": other_token})
    assert response.status_code == 403
    assert _org_count(hub) == 1


def test_a_form_posted_from_another_site_is_refused(hub: Hub, client: TestClient) -> None:
    token = sign_in(client, ADMIN_EMAIL)
    response = client.post(
        "/orgs", data={**NEW_ORG, "csrf_token": token}, headers={"sec-fetch-site": "cross-site"}
    )
    assert response.status_code == 403
    assert _org_count(hub) == 1
    accepted = client.post("/orgs", data={**NEW_ORG, "csrf_token": token})
    assert accepted.status_code == 200 and _org_count(hub) == 2


def test_login_needs_the_token_from_its_own_form(client: TestClient) -> None:
    response = client.post(
        "/login", data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": "guess"}
    )
    assert response.status_code == 403
    client.get("/login")
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": PASSWORD})
    assert response.status_code == 403


def test_logout_without_the_token_keeps_the_session(client: TestClient) -> None:
    sign_in(client, ADMIN_EMAIL)
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/").url.path == "/"


def test_the_api_ignores_a_signed_in_browser(client: TestClient) -> None:
    sign_in(client, ADMIN_EMAIL)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "needs a key" in response.json()["error"]
    assert csrf_of(client.get("/").text)
