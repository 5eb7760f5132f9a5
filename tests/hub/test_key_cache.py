"""API keys are checked from a per-process cache, yet revocations still count at once.

A key used again within a second is not read from the database; any change this process
commits to a key, a user or an organisation drops the cache; a change made elsewhere (another
worker, the CLI: here, SQL that bypasses this process's sessions) counts within a second.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from unstalk.hub.apikeys import KeyCache, KeyUse, authenticate
from unstalk.hub.db import ApiKey, Organisation, User, utcnow
from unstalk.hub.roles import Role, Scope

from .conftest import Hub
from .helpers import Ticker, add_org, api_key, bearer, principal


class _CountingLoader:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.calls = 0

    def __call__(self, secret: str) -> KeyUse | None:
        self.calls += 1
        with self.hub.db.reader() as session:
            return authenticate(session, secret, now=self.hub.clock())


def test_a_key_used_again_within_a_second_is_not_read_again(hub: Hub) -> None:
    secret = api_key(hub.db, hub.admin, now=hub.clock())
    ticker = Ticker()
    cache, load = KeyCache(monotonic=ticker), _CountingLoader(hub)
    first = cache.authenticate(secret, hub.clock(), load)
    assert first is not None and first.principal.user_id == hub.admin.user_id
    assert cache.authenticate(secret, hub.clock(), load) == first
    assert load.calls == 1
    ticker.seconds += 1.0
    assert cache.authenticate(secret, hub.clock(), load) is not None
    assert load.calls == 2


def test_unknown_keys_are_never_cached_and_malformed_ones_never_looked_up(hub: Hub) -> None:
    cache, load = KeyCache(monotonic=Ticker()), _CountingLoader(hub)
    assert cache.authenticate("uh_" + "x" * 43, hub.clock(), load) is None
    assert cache.authenticate("uh_" + "x" * 43, hub.clock(), load) is None
    assert load.calls == 2
    assert cache.authenticate("not a key", hub.clock(), load) is None
    assert load.calls == 2


def test_a_cached_key_stops_working_the_moment_it_expires(hub: Hub) -> None:
    now = hub.clock()
    secret = api_key(hub.db, hub.admin, now=now, expires_at=now + timedelta(minutes=5))
    cache, load = KeyCache(monotonic=Ticker()), _CountingLoader(hub)
    assert cache.authenticate(secret, now, load) is not None
    assert cache.authenticate(secret, now + timedelta(minutes=5), load) is None
    assert load.calls == 1


def test_a_revocation_through_the_api_counts_at_once(hub: Hub, client: TestClient) -> None:
    secret = api_key(hub.db, hub.admin, frozenset(Scope), now=hub.clock())
    other = api_key(hub.db, hub.admin, frozenset(Scope), now=hub.clock())
    assert client.get("/api/v1/lookup?value=a.example", headers=bearer(secret)).status_code == 200
    with hub.db.reader() as session:
        key_id = session.scalars(select(ApiKey.id).order_by(ApiKey.id)).first()
    assert client.delete(f"/api/v1/keys/{key_id}", headers=bearer(other)).status_code == 200
    refused = client.get("/api/v1/lookup?value=a.example", headers=bearer(secret))
    assert refused.status_code == 401


def test_deactivating_an_organisation_or_lowering_a_role_counts_at_once(
    hub: Hub, client: TestClient
) -> None:
    org_id, admin_id = add_org(hub.db, hub.passwords, hub.admin, "Refuge")
    owner = principal(hub.db, admin_id)
    secret = api_key(hub.db, owner, frozenset({Scope.READ, Scope.WRITE}), now=hub.clock())
    assert client.get("/api/v1/me", headers=bearer(secret)).json()["role"] == "org_admin"
    with hub.db.writer() as session:
        user = session.get(User, admin_id)
        assert user is not None
        user.role = Role.VIEWER
    assert client.get("/api/v1/me", headers=bearer(secret)).json()["role"] == "viewer"
    with hub.db.writer() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        org.active = False
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_a_revocation_by_another_process_counts_within_a_second(
    hub: Hub, client: TestClient
) -> None:
    secret = api_key(hub.db, hub.admin, now=hub.clock())
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    # Plain SQL on a connection of its own, as another worker or the CLI would commit it.
    with hub.db.engine.begin() as connection:
        connection.execute(text("UPDATE api_keys SET revoked_at = :now"), {"now": utcnow()})
    hub.ticker.seconds += 1.0
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_the_last_use_is_written_once_a_minute_not_on_every_request(
    hub: Hub, client: TestClient
) -> None:
    secret = api_key(hub.db, hub.admin, now=hub.clock())
    for _ in range(3):
        assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    first = _last_used(hub)
    assert first is not None
    hub.clock.advance(seconds=30)
    client.get("/api/v1/me", headers=bearer(secret))
    assert _last_used(hub) == first
    hub.clock.advance(seconds=31)
    client.get("/api/v1/me", headers=bearer(secret))
    assert _last_used(hub) == hub.clock()


def _last_used(hub: Hub) -> datetime | None:
    with hub.db.reader() as session:
        return session.scalars(select(ApiKey.last_used_at)).one()
