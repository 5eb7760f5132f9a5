"""A hub with four member organisations around one source, for indicator and TLP tests.

- ``source``: shares the objects (an analyst, a viewer and its org admin);
- ``named``: named on AMBER+STRICT and RED objects;
- ``other``: cleared for RED but never named;
- ``low``: cleared for GREEN only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from unstalk.feed import model as feed_model
from unstalk.feed.model import TLP
from unstalk.hub.accounts import create_user
from unstalk.hub.roles import Role
from unstalk.hub.schemas import UserIn

from .conftest import Hub
from .helpers import PASSWORD, add_org, api_key, bearer, principal, scopes_for


@dataclass
class Member:
    org_id: int
    user_id: int
    headers: dict[str, str]
    email: str


@dataclass
class World:
    hub: Hub
    members: dict[str, Member] = field(default_factory=dict)

    def h(self, name: str) -> dict[str, str]:
        return self.members[name].headers

    def org(self, name: str) -> int:
        return self.members[name].org_id


def _member(hub: Hub, org_id: int, user_id: int, role: Role, email: str) -> Member:
    owner = principal(hub.db, user_id)
    secret = api_key(hub.db, owner, scopes_for(role), now=hub.clock())
    return Member(org_id, user_id, bearer(secret), email)


def build_world(hub: Hub) -> World:
    world = World(hub)
    admin = hub.admin
    world.members["coalition"] = _member(
        hub, admin.org_id, admin.user_id, Role.COALITION_ADMIN, admin.email
    )
    for name, clearance in (("source", TLP.RED), ("named", TLP.RED), ("other", TLP.RED)):
        org_id, admin_id = add_org(hub.db, hub.passwords, admin, name.title(), clearance=clearance)
        email = f"admin@{name}.example"
        world.members[name] = _member(hub, org_id, admin_id, Role.ORG_ADMIN, email)
    org_id, admin_id = add_org(hub.db, hub.passwords, admin, "Low", clearance=TLP.GREEN)
    world.members["low"] = _member(hub, org_id, admin_id, Role.ORG_ADMIN, "admin@low.example")
    source_admin = principal(hub.db, world.members["source"].user_id)
    for role in (Role.ANALYST, Role.VIEWER):
        email = f"{role.value}@source.example"
        with hub.db.writer() as session:
            data = UserIn(email=email, role=role, password=PASSWORD)
            user = create_user(session, source_admin, world.org("source"), data, hub.passwords)
            user_id = user.id
        world.members[f"source_{role.value}"] = _member(
            hub, world.org("source"), user_id, role, email
        )
    return world


def add_family(client: TestClient, headers: dict[str, str], name: str, **fields: object) -> int:
    body = {"name": name, "tlp": "clear", **fields}
    response = client.post("/api/v1/families", json=body, headers=headers)
    assert response.status_code == 201, response.text
    family_id: int = response.json()["id"]
    return family_id


def add_indicator(
    client: TestClient,
    headers: dict[str, str],
    family_id: int,
    kind: str,
    value: str,
    **fields: object,
) -> int:
    body = {"family_id": family_id, "kind": kind, "value": value, "tlp": "clear", **fields}
    response = client.post("/api/v1/indicators", json=body, headers=headers)
    assert response.status_code == 201, response.text
    indicator_id: int = response.json()["id"]
    return indicator_id


def small_feed() -> feed_model.Feed:
    """Two Echap-like families with a few indicators (a duplicate included, as Echap has)."""
    spy = feed_model.family_id(feed_model.FamilyType.STALKERWARE, "SpyApp")
    kid = feed_model.family_id(feed_model.FamilyType.WATCHWARE, "KidWatch")
    families = (
        feed_model.Family(spy, "SpyApp", feed_model.FamilyType.STALKERWARE, aliases=("Spy2",)),
        feed_model.Family(kid, "KidWatch", feed_model.FamilyType.WATCHWARE),
    )
    kinds = feed_model.IndicatorKind
    indicators = (
        feed_model.Indicator(kinds.PACKAGE, "com.spyapp.agent", spy),
        feed_model.Indicator(kinds.DOMAIN, "spyapp-c2.example", spy, role=feed_model.Role.C2),
        feed_model.Indicator(kinds.DOMAIN, "spyapp-c2.example", spy, role=feed_model.Role.C2),
        feed_model.Indicator(kinds.CIDR, "198.51.100.0/24", spy, role=feed_model.Role.C2),
        feed_model.Indicator(kinds.PACKAGE, "com.kidwatch", kid),
    )
    return feed_model.Feed(families=families, indicators=indicators)
