"""Families and indicators through the JSON API: add, change, revoke, who may, what is audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.hub.db import AuditEntry

from .conftest import Hub
from .indicators_world import World, add_family, add_indicator, build_world


@pytest.fixture
def world(hub: Hub) -> World:
    return build_world(hub)


def _audit(hub: Hub, action: str) -> list[AuditEntry]:
    with hub.db.reader() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_an_analyst_adds_a_family_and_an_indicator_normalised_as_the_feed_does(
    api: TestClient, world: World
) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy App", aliases=["SpyApp Pro"], platforms=["android"])
    family = api.get(f"/api/v1/families/{family_id}", headers=analyst).json()
    assert family["slug"] == "spy-app"
    assert family["classification"] == "unclassified"
    assert family["source_org"] == "Source"

    indicator_id = add_indicator(
        api,
        analyst,
        family_id,
        "cert_sha1",
        "7f:5c:0d:54:a8:13:ba:9b:87:a9:14:20:ca:2c:3d:e5:e7:94:8f:09",
    )
    got = api.get(f"/api/v1/indicators/{indicator_id}", headers=analyst).json()
    assert got["value"] == "7F5C0D54A813BA9B87A91420CA2C3DE5E7948F09"
    assert len(got["value_sha256"]) == 64
    domain_id = add_indicator(api, analyst, family_id, "domain", "Spy.Example.", role="c2")
    assert api.get(f"/api/v1/indicators/{domain_id}", headers=analyst).json()["value"] == (
        "spy.example"
    )


BAD_VALUES = [
    ("cert_sha1", "ABCD", None),
    ("file_sha256", "Z" * 64, None),
    ("domain", "not a host", None),
    ("ipv4", "300.1.1.1", None),
    ("url", "ftp://example.org/x", None),
    ("cert_cname_re", "([unclosed", None),
    ("package", "com.example.app", "c2"),
]


def test_values_that_are_not_their_kind_are_refused(api: TestClient, world: World) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    for kind, value, role in BAD_VALUES:
        body = {"family_id": family_id, "kind": kind, "value": value, "role": role}
        response = api.post("/api/v1/indicators", json=body, headers=analyst)
        assert response.status_code == 422, (kind, value)
        assert response.json()["error"]


def test_the_same_value_twice_in_a_family_is_a_conflict(api: TestClient, world: World) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    add_indicator(api, analyst, family_id, "package", "com.spy")
    body = {"family_id": family_id, "kind": "package", "value": " com.spy ", "tlp": "clear"}
    assert api.post("/api/v1/indicators", json=body, headers=analyst).status_code == 409


def test_editing_is_audited_with_before_and_after(api: TestClient, world: World, hub: Hub) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    indicator_id = add_indicator(api, analyst, family_id, "domain", "spy.example", confidence=40)
    patch = {"confidence": 90, "role": "c2", "last_seen": "2026-02-01T00:00:00Z"}
    response = api.patch(f"/api/v1/indicators/{indicator_id}", json=patch, headers=analyst)
    assert response.status_code == 200, response.text
    assert response.json()["confidence"] == 90
    (entry,) = _audit(hub, "indicator.updated")
    assert entry.details["before"] == {"confidence": 40, "role": None, "last_seen": None}
    after = entry.details["after"]
    assert isinstance(after, dict)
    assert (after["confidence"], after["role"]) == (90, "c2")
    assert entry.actor_label == "analyst@source.example"
    (created,) = _audit(hub, "indicator.created")
    cleared = {"role": None}
    response = api.patch(f"/api/v1/indicators/{indicator_id}", json=cleared, headers=analyst)
    assert response.json()["role"] is None
    assert response.json()["confidence"] == 90  # fields not sent stay as they were
    created_after = created.details["after"]
    assert isinstance(created_after, dict)
    assert created_after["value"] == "spy.example"


def test_a_revoked_indicator_stays_listed_with_who_when_and_why_and_stops_matching(
    api: TestClient, world: World, hub: Hub
) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    indicator_id = add_indicator(api, analyst, family_id, "package", "com.spy.agent")
    assert api.get("/api/v1/lookup?value=com.spy.agent", headers=analyst).json()["matches"]

    reason = {"reason": "Also used by a legitimate backup app"}
    revoked = api.post(f"/api/v1/indicators/{indicator_id}/revoke", json=reason, headers=analyst)
    assert revoked.status_code == 200, revoked.text
    seen_by_other = api.get(f"/api/v1/indicators/{indicator_id}", headers=world.h("other")).json()
    assert seen_by_other["status"] == "revoked"
    assert seen_by_other["revoked"]["reason"] == "Also used by a legitimate backup app"
    assert seen_by_other["revoked"]["by"] == "analyst@source.example"
    assert seen_by_other["revoked"]["at"] is not None
    assert api.get("/api/v1/lookup?value=com.spy.agent", headers=analyst).json()["matches"] == []
    again = api.post(f"/api/v1/indicators/{indicator_id}/revoke", json=reason, headers=analyst)
    assert again.status_code == 409
    assert (
        api.patch(
            f"/api/v1/indicators/{indicator_id}", json={"confidence": 1}, headers=analyst
        ).status_code
        == 409
    )
    assert len(_audit(hub, "indicator.revoked")) == 1


def test_revoking_needs_a_reason(api: TestClient, world: World) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    response = api.post(
        f"/api/v1/families/{family_id}/revoke", json={"reason": ""}, headers=analyst
    )
    assert response.status_code == 422


def test_a_revoked_family_keeps_its_indicators_out_of_lookups(
    api: TestClient, world: World
) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    add_indicator(api, analyst, family_id, "package", "com.spy.agent")
    reason = {"reason": "Merged into another family"}
    response = api.post(f"/api/v1/families/{family_id}/revoke", json=reason, headers=analyst)
    assert response.json()["status"] == "revoked"
    assert response.json()["revoked"]["reason"] == "Merged into another family"
    assert api.get("/api/v1/lookup?value=com.spy.agent", headers=analyst).json()["matches"] == []
    body = {"family_id": family_id, "kind": "package", "value": "com.other", "tlp": "clear"}
    assert api.post("/api/v1/indicators", json=body, headers=analyst).status_code == 409


def test_only_analysts_and_admins_of_the_source_change_its_objects(
    api: TestClient, world: World
) -> None:
    for who, status in (("source_viewer", 403), ("other", 403), ("source_analyst", 200)):
        family_id = add_family(api, world.h("source"), f"Spy {who}")
        headers = world.h(who)
        patch = {"name": "Spy 2"}
        response = api.patch(f"/api/v1/families/{family_id}", json=patch, headers=headers)
        assert response.status_code == status, who
        reason = {"reason": "wrong"}
        revoke = api.post(f"/api/v1/families/{family_id}/revoke", json=reason, headers=headers)
        assert revoke.status_code == status, who


def test_viewers_read_but_do_not_add(api: TestClient, world: World) -> None:
    viewer = world.h("source_viewer")
    body = {"name": "Spy", "tlp": "clear"}
    assert api.post("/api/v1/families", json=body, headers=viewer).status_code == 403
    family_id = add_family(api, world.h("source_analyst"), "Spy")
    assert api.get(f"/api/v1/families/{family_id}", headers=viewer).status_code == 200


def test_named_organisations_only_on_amber_strict_and_red(api: TestClient, world: World) -> None:
    analyst = world.h("source_analyst")
    body = {"name": "Spy", "tlp": "amber", "shared_with": [world.org("named")]}
    assert api.post("/api/v1/families", json=body, headers=analyst).status_code == 422
    body = {"name": "Spy", "tlp": "red", "shared_with": [world.org("named")]}
    created = api.post("/api/v1/families", json=body, headers=analyst).json()
    assert created["shared_with"] == [world.org("named")]
    body = {"name": "Spy2", "tlp": "red", "shared_with": [99999]}
    assert api.post("/api/v1/families", json=body, headers=analyst).status_code == 422


def test_nobody_labels_above_their_own_clearance(api: TestClient, world: World) -> None:
    body = {"name": "Spy", "tlp": "amber"}
    response = api.post("/api/v1/families", json=body, headers=world.h("low"))
    assert response.status_code == 422
    assert "clearance" in response.json()["error"]


def test_dates_without_a_time_zone_are_refused(api: TestClient, world: World) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    body = {
        "family_id": family_id,
        "kind": "package",
        "value": "com.spy",
        "first_seen": "2026-01-01T00:00:00",
    }
    assert api.post("/api/v1/indicators", json=body, headers=analyst).status_code == 422
    body["first_seen"] = "2026-03-01T00:00:00Z"
    body["last_seen"] = "2026-01-01T00:00:00Z"
    response = api.post("/api/v1/indicators", json=body, headers=analyst)
    assert response.status_code == 422
    assert "before the first-seen" in response.json()["error"]


def test_listing_pages_by_id_and_filters_by_kind_and_status(api: TestClient, world: World) -> None:
    analyst = world.h("source_analyst")
    family_id = add_family(api, analyst, "Spy")
    ids = [add_indicator(api, analyst, family_id, "package", f"com.spy.n{n}") for n in range(5)]
    add_indicator(api, analyst, family_id, "domain", "spy.example")
    api.post(f"/api/v1/indicators/{ids[0]}/revoke", json={"reason": "typo"}, headers=analyst)
    first = api.get("/api/v1/indicators?kind=package&limit=3", headers=analyst).json()
    assert [i["id"] for i in first] == ids[:3]
    rest = api.get(f"/api/v1/indicators?kind=package&after={ids[2]}", headers=analyst).json()
    assert [i["id"] for i in rest] == ids[3:]
    revoked = api.get("/api/v1/indicators?status=revoked", headers=analyst).json()
    assert [i["id"] for i in revoked] == [ids[0]]
