"""The audit log: every sign-in, change and key is recorded, and shown to the right people."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.hub.audit import AuditLogImmutable
from unstalk.hub.db import AuditEntry
from unstalk.hub.roles import Scope

from .conftest import Hub
from .helpers import ADMIN_EMAIL, PASSWORD, add_org, api_key, bearer, csrf_of, principal, sign_in


def _actions(hub: Hub) -> list[tuple[str, str, str]]:
    with hub.db.reader() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor_label, AuditEntry.object_type).order_by(
                AuditEntry.id
            )
        ).all()
    return [(action, actor, kind) for action, actor, kind in rows]


def test_every_action_through_the_pages_is_recorded(hub: Hub, client: TestClient) -> None:
    form = client.get("/login")
    client.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": "nope nope nope", "csrf_token": csrf_of(form.text)},
    )
    csrf = sign_in(client, ADMIN_EMAIL)
    created = client.post(
        "/orgs",
        data={
            "csrf_token": csrf,
            "name": "Refuge",
            "kind": "survivor_support",
            "country": "GB",
            "admin_email": "lead@refuge.example",
            "admin_password": PASSWORD,
        },
    )
    org_path = created.url.path
    client.post(org_path, data={"csrf_token": csrf, "clearance": "amber", "active": "true"})
    client.post(
        "/users",
        data={
            "csrf_token": csrf,
            "email": "analyst@coalition.example",
            "role": "analyst",
            "password": PASSWORD,
        },
    )
    client.post("/keys", data={"csrf_token": csrf, "name": "k", "scopes": ["read"]})
    client.post("/keys/1/revoke", data={"csrf_token": csrf})
    client.post("/logout", data={"csrf_token": csrf})
    assert _actions(hub) == [
        ("hub.initialised", "system", "users"),
        ("login.failed", ADMIN_EMAIL, "users"),
        ("login.succeeded", ADMIN_EMAIL, "users"),
        ("org.created", ADMIN_EMAIL, "organisations"),
        ("user.created", ADMIN_EMAIL, "users"),
        ("org.updated", ADMIN_EMAIL, "organisations"),
        ("user.created", ADMIN_EMAIL, "users"),
        ("api_key.created", ADMIN_EMAIL, "api_keys"),
        ("api_key.revoked", ADMIN_EMAIL, "api_keys"),
        ("logout", ADMIN_EMAIL, ""),
    ]
    with hub.db.reader() as session:
        update = session.scalars(select(AuditEntry).where(AuditEntry.action == "org.updated")).one()
    assert update.details == {"clearance": {"from": "green", "to": "amber"}}


def test_a_failed_sign_in_for_an_unknown_address_is_recorded(hub: Hub, client: TestClient) -> None:
    form = client.get("/login")
    client.post(
        "/login",
        data={"email": "Who@X.example", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    with hub.db.reader() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.action, entry.actor_label) == ("login.failed", "who@x.example")
    assert entry.details == {"reason": "unknown account"}


def test_api_changes_name_the_key_used(hub: Hub, client: TestClient) -> None:
    secret = api_key(hub.db, hub.admin, frozenset(Scope), now=hub.clock())
    client.patch("/api/v1/orgs/1", headers=bearer(secret), json={"country": "BE"})
    entries = client.get("/api/v1/audit?limit=1", headers=bearer(secret)).json()
    assert entries[0]["action"] == "org.updated"
    assert "api_key_id" in entries[0]["details"]


def test_an_org_admin_sees_only_their_organisations_entries(hub: Hub, client: TestClient) -> None:
    _, admin_b = add_org(hub.db, hub.passwords, hub.admin, "OrgB")
    org_admin = principal(hub.db, admin_b)
    secret = api_key(hub.db, org_admin, frozenset({Scope.READ, Scope.ADMIN}), now=hub.clock())
    client.get("/api/v1/me", headers=bearer(secret))
    with TestClient(hub.app, base_url="http://testserver") as browser:
        sign_in(browser, "admin@orgb.example")
    entries = client.get("/api/v1/audit", headers=bearer(secret)).json()
    assert [e["action"] for e in entries] == ["login.succeeded", "api_key.created"]
    everything = client.get(
        "/api/v1/audit",
        headers=bearer(api_key(hub.db, hub.admin, frozenset(Scope), now=hub.clock())),
    ).json()
    assert len(everything) > len(entries)


def test_the_audit_page_pages_back_through_older_entries(hub: Hub, client: TestClient) -> None:
    sign_in(client, ADMIN_EMAIL)
    page = client.get("/audit")
    assert "login.succeeded" in page.text and "hub.initialised" in page.text
    older = client.get("/audit?before=2")
    assert "hub.initialised" in older.text and "login.succeeded" not in older.text


def test_the_app_cannot_change_or_delete_an_entry(hub: Hub) -> None:
    with pytest.raises(AuditLogImmutable), hub.db.writer() as session:
        entry = session.scalars(select(AuditEntry)).first()
        assert entry is not None
        entry.action = "something else"
    with pytest.raises(AuditLogImmutable), hub.db.writer() as session:
        entry = session.scalars(select(AuditEntry)).first()
        session.delete(entry)
    with hub.db.reader() as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["hub.initialised"]
