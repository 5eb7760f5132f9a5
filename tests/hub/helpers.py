"""Shared pieces of the hub tests: a movable clock, sign-in through the pages, API keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from unstalk.feed.model import TLP
from unstalk.hub.accounts import create_org
from unstalk.hub.apikeys import create_key
from unstalk.hub.db import Database
from unstalk.hub.passwords import Passwords
from unstalk.hub.principal import Principal, load_principal
from unstalk.hub.roles import OrgKind, Role, Scope
from unstalk.hub.schemas import OrgIn, UserIn

PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "admin@coalition.example"
BASE_URL = "http://testserver"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    """A wall clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Ticker:
    """A monotonic clock for the rate limiter, moved by hand."""

    seconds: float = 1000.0

    def __call__(self) -> float:
        return self.seconds


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 200, response.text
    assert response.url.path == "/"
    return csrf_of(response.text)


def principal(db: Database, user_id: int) -> Principal:
    with db.reader() as session:
        found = load_principal(session, user_id)
    assert found is not None
    return found


def add_org(
    db: Database,
    passwords: Passwords,
    actor: Principal,
    name: str,
    *,
    clearance: TLP = TLP.GREEN,
    admin_email: str | None = None,
) -> tuple[int, int]:
    """A new organisation and its first admin: (org id, admin user id)."""
    data = OrgIn(
        name=name,
        kind=OrgKind.NGO,
        country="FR",
        clearance=clearance,
        admin=UserIn(email=admin_email or f"admin@{name.lower()}.example", password=PASSWORD),
    )
    with db.writer() as session:
        org, admin = create_org(session, actor, data, passwords)
        return org.id, admin.id


def api_key(
    db: Database,
    owner: Principal,
    scopes: frozenset[Scope] = frozenset({Scope.READ}),
    *,
    now: datetime,
    expires_at: datetime | None = None,
) -> str:
    with db.writer() as session:
        _, secret = create_key(session, owner, "test key", scopes, expires_at=expires_at, now=now)
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


def scopes_for(role: Role) -> frozenset[Scope]:
    from unstalk.hub.apikeys import SCOPE_MIN_ROLE

    return frozenset(scope for scope, needed in SCOPE_MIN_ROLE.items() if role.at_least(needed))
