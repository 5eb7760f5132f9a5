"""Who may do what: every role against every account action, through the JSON API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from unstalk.hub.accounts import create_user
from unstalk.hub.roles import Role
from unstalk.hub.schemas import UserIn

from .conftest import Hub
from .helpers import PASSWORD, add_org, api_key, bearer, principal, scopes_for


class Actors:
    """One API client per role; the non-coalition ones belong to organisation B."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.org_b, admin_b = add_org(hub.db, hub.passwords, hub.admin, "OrgB")
        self.org_c, _ = add_org(hub.db, hub.passwords, hub.admin, "OrgC")
        org_admin = principal(hub.db, admin_b)
        ids = {Role.ORG_ADMIN: admin_b, Role.COALITION_ADMIN: hub.admin.user_id}
        for role in (Role.VIEWER, Role.ANALYST):
            with hub.db.writer() as session:
                data = UserIn(email=f"{role.value}@orgb.example", role=role, password=PASSWORD)
                ids[role] = create_user(session, org_admin, self.org_b, data, hub.passwords).id
        self.keys = {
            role: api_key(hub.db, principal(hub.db, uid), scopes_for(role), now=hub.clock())
            for role, uid in ids.items()
        }
        self.counter = 0

    def fresh_email(self) -> str:
        self.counter += 1
        return f"new{self.counter}@example.org"


@pytest.fixture
def actors(hub: Hub) -> Actors:
    return Actors(hub)


Action = Callable[[TestClient, Actors, dict[str, str]], Response]

ACTIONS: dict[str, tuple[Action, set[Role]]] = {
    "list organisations": (
        lambda c, a, h: c.get("/api/v1/orgs", headers=h),
        set(Role),
    ),
    "create an organisation": (
        lambda c, a, h: c.post(
            "/api/v1/orgs",
            headers=h,
            json={
                "name": f"Org {a.fresh_email()}",
                "kind": "academic",
                "country": "NL",
                "admin": {"email": a.fresh_email(), "password": PASSWORD},
            },
        ),
        {Role.COALITION_ADMIN},
    ),
    "change an organisation": (
        lambda c, a, h: c.patch(f"/api/v1/orgs/{a.org_b}", headers=h, json={"clearance": "amber"}),
        {Role.COALITION_ADMIN},
    ),
    "list users of their organisation": (
        lambda c, a, h: c.get(f"/api/v1/users?org_id={a.org_b}", headers=h),
        {Role.ORG_ADMIN, Role.COALITION_ADMIN},
    ),
    "add a user to their organisation": (
        lambda c, a, h: c.post(
            f"/api/v1/orgs/{a.org_b}/users",
            headers=h,
            json={"email": a.fresh_email(), "password": PASSWORD, "role": "analyst"},
        ),
        {Role.ORG_ADMIN, Role.COALITION_ADMIN},
    ),
    "add a user to another organisation": (
        lambda c, a, h: c.post(
            f"/api/v1/orgs/{a.org_c}/users",
            headers=h,
            json={"email": a.fresh_email(), "password": PASSWORD},
        ),
        {Role.COALITION_ADMIN},
    ),
    "make someone a coalition admin": (
        lambda c, a, h: c.post(
            f"/api/v1/orgs/{a.org_b}/users",
            headers=h,
            json={"email": a.fresh_email(), "password": PASSWORD, "role": "coalition_admin"},
        ),
        {Role.COALITION_ADMIN},
    ),
    "read the audit log": (
        lambda c, a, h: c.get("/api/v1/audit", headers=h),
        {Role.ORG_ADMIN, Role.COALITION_ADMIN},
    ),
    "see who they are": (
        lambda c, a, h: c.get("/api/v1/me", headers=h),
        set(Role),
    ),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_each_role_may_do_exactly_what_it_is_allowed(
    api: TestClient, actors: Actors, action: str
) -> None:
    run, allowed = ACTIONS[action]
    for role in Role:
        response = run(api, actors, bearer(actors.keys[role]))
        if role in allowed:
            assert response.status_code in (200, 201), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"]


def test_an_org_admin_cannot_demote_or_deactivate_themselves(
    api: TestClient, actors: Actors, hub: Hub
) -> None:
    me = api.get("/api/v1/me", headers=bearer(actors.keys[Role.ORG_ADMIN])).json()
    response = api.patch(
        f"/api/v1/users/{me['user_id']}",
        headers=bearer(actors.keys[Role.ORG_ADMIN]),
        json={"active": False},
    )
    assert response.status_code == 403


def test_an_org_admin_cannot_touch_a_coalition_admin(api: TestClient, actors: Actors) -> None:
    response = api.patch(
        f"/api/v1/users/{actors.hub.admin.user_id}",
        headers=bearer(actors.keys[Role.ORG_ADMIN]),
        json={"active": False},
    )
    assert response.status_code == 403


def test_a_deactivated_user_loses_api_access_at_once(api: TestClient, actors: Actors) -> None:
    viewer_key = actors.keys[Role.VIEWER]
    viewer = api.get("/api/v1/me", headers=bearer(viewer_key)).json()
    response = api.patch(
        f"/api/v1/users/{viewer['user_id']}",
        headers=bearer(actors.keys[Role.ORG_ADMIN]),
        json={"active": False},
    )
    assert response.status_code == 200 and response.json()["active"] is False
    assert api.get("/api/v1/me", headers=bearer(viewer_key)).status_code == 401


def test_a_deactivated_organisation_loses_access(api: TestClient, actors: Actors) -> None:
    response = api.patch(
        f"/api/v1/orgs/{actors.org_b}",
        headers=bearer(actors.keys[Role.COALITION_ADMIN]),
        json={"active": False},
    )
    assert response.status_code == 200
    assert api.get("/api/v1/me", headers=bearer(actors.keys[Role.ANALYST])).status_code == 401
