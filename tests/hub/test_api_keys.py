"""API keys: shown once, hashed at rest, scoped, expiring, revocable, rate-limited."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.hub.accounts import create_user
from unstalk.hub.db import ApiKey
from unstalk.hub.roles import Role, Scope
from unstalk.hub.schemas import UserIn

from .conftest import Hub
from .helpers import ADMIN_EMAIL, PASSWORD, add_org, api_key, bearer, principal, sign_in


def test_the_key_page_shows_the_secret_once_and_keeps_only_its_hash(
    hub: Hub, client: TestClient
) -> None:
    csrf = sign_in(client, ADMIN_EMAIL)
    created = client.post(
        "/keys", data={"csrf_token": csrf, "name": "sync job", "scopes": ["read", "write"]}
    )
    assert created.status_code == 201
    secret = created.text.split('id="new-secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("uh_") and len(secret) > 40
    assert secret not in client.get("/keys").text
    with hub.db.reader() as session:
        key = session.scalars(select(ApiKey)).one()
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.scopes == ["read", "write"]
    assert secret[:10] == key.prefix
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_the_api_creates_keys_too_and_lists_them_without_secrets(
    hub: Hub, client: TestClient
) -> None:
    first = api_key(hub.db, hub.admin, frozenset(Scope), now=hub.clock())
    created = client.post("/api/v1/keys", headers=bearer(first), json={"name": "second"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    listing = client.get("/api/v1/keys", headers=bearer(first))
    assert secret not in listing.text
    assert [key["name"] for key in listing.json()] == ["second", "test key"]


def test_an_expired_key_is_refused(hub: Hub, client: TestClient) -> None:
    secret = api_key(hub.db, hub.admin, now=hub.clock(), expires_at=hub.clock() + timedelta(days=1))
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    hub.clock.advance(days=1, seconds=1)
    response = client.get("/api/v1/me", headers=bearer(secret))
    assert response.status_code == 401
    assert "revoked or expired" in response.json()["error"]


def test_a_revoked_key_is_refused(hub: Hub, client: TestClient) -> None:
    secret = api_key(hub.db, hub.admin, frozenset(Scope), now=hub.clock())
    keys = client.get("/api/v1/keys", headers=bearer(secret)).json()
    revoked = client.delete(f"/api/v1/keys/{keys[0]['id']}", headers=bearer(secret))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_someone_elses_key_cannot_be_revoked(hub: Hub, client: TestClient) -> None:
    _, admin_b = add_org(hub.db, hub.passwords, hub.admin, "OrgB")
    other = api_key(hub.db, principal(hub.db, admin_b), now=hub.clock())
    mine = api_key(hub.db, hub.admin, frozenset(Scope), now=hub.clock())
    with hub.db.reader() as session:
        other_id = session.scalars(select(ApiKey.id).where(ApiKey.user_id == admin_b)).one()
    assert client.delete(f"/api/v1/keys/{other_id}", headers=bearer(mine)).status_code == 404
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200


def test_scopes_limit_what_a_key_may_do_whatever_the_role(hub: Hub, client: TestClient) -> None:
    read_only = api_key(hub.db, hub.admin, frozenset({Scope.READ}), now=hub.clock())
    assert client.get("/api/v1/orgs", headers=bearer(read_only)).status_code == 200
    response = client.get("/api/v1/audit", headers=bearer(read_only))
    assert response.status_code == 403
    assert "'admin' scope" in response.json()["error"]


def test_a_key_cannot_have_scopes_above_its_owners_role(hub: Hub, client: TestClient) -> None:
    _, admin_b = add_org(hub.db, hub.passwords, hub.admin, "OrgB")
    with hub.db.writer() as session:
        viewer = create_user(
            session,
            principal(hub.db, admin_b),
            principal(hub.db, admin_b).org_id,
            UserIn(email="v@orgb.example", role=Role.VIEWER, password=PASSWORD),
            hub.passwords,
        )
    key = api_key(hub.db, principal(hub.db, viewer.id), now=hub.clock())
    response = client.post(
        "/api/v1/keys", headers=bearer(key), json={"name": "more", "scopes": ["admin"]}
    )
    assert response.status_code == 422
    assert "does not allow" in response.json()["error"]


def test_last_use_is_recorded(hub: Hub, client: TestClient) -> None:
    secret = api_key(hub.db, hub.admin, now=hub.clock())
    with hub.db.reader() as session:
        assert session.scalars(select(ApiKey.last_used_at)).one() is None
    client.get("/api/v1/me", headers=bearer(secret))
    with hub.db.reader() as session:
        assert session.scalars(select(ApiKey.last_used_at)).one() == hub.clock()
    hub.clock.advance(hours=3)
    client.get("/api/v1/me", headers=bearer(secret))
    with hub.db.reader() as session:
        assert session.scalars(select(ApiKey.last_used_at)).one() == hub.clock()


def test_malformed_authorisation_headers_are_refused(client: TestClient) -> None:
    for header in ("Bearer", "Basic dXNlcjpwYXNz", "Bearer uh_" + "x" * 500, "Bearer nope"):
        response = client.get("/api/v1/me", headers={"authorization": header})
        assert response.status_code == 401, header


def test_each_key_is_rate_limited_with_retry_after(hub: Hub, client: TestClient) -> None:
    first = api_key(hub.db, hub.admin, now=hub.clock())
    second = api_key(hub.db, hub.admin, now=hub.clock())
    burst = hub.settings.api_burst
    for _ in range(burst):
        assert client.get("/api/v1/me", headers=bearer(first)).status_code == 200
    limited = client.get("/api/v1/me", headers=bearer(first))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200
    hub.ticker.seconds += 1.0
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 200
