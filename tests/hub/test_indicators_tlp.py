"""TLP leak tests: every families-and-indicators endpoint, API and pages, for every kind of viewer.

For each label the source shares a family and an indicator (naming the ``named``
organisation on AMBER+STRICT and RED); then the source, the named organisation,
an organisation cleared for RED but not named and one cleared for GREEN only
ask every endpoint, and must see exactly what the label allows, no more.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import Hub
from .helpers import BASE_URL, sign_in
from .indicators_world import World, add_family, add_indicator, build_world

LABELS = ("clear", "green", "amber", "amber+strict", "red")
NAMED_ONLY = ("amber+strict", "red")
SEES = {
    "source": set(LABELS),
    "named": set(LABELS),
    "other": {"clear", "green", "amber"},
    "low": {"clear", "green"},
}
"""Written out, not computed: which labels each viewer sees."""


@pytest.fixture
def world(hub: Hub) -> World:
    return build_world(hub)


def _value(label: str) -> str:
    return f"com.leak.{label.replace('+', '_')}"


def _share(api: TestClient, world: World) -> dict[str, tuple[int, int]]:
    """A family and an indicator per label, both with that label: label -> (family, indicator)."""
    source = world.h("source")
    made = {}
    for label in LABELS:
        named = [world.org("named")] if label in NAMED_ONLY else []
        fields = {"tlp": label, "shared_with": named}
        family_id = add_family(api, source, f"Leak {label}", **fields)
        indicator_id = add_indicator(api, source, family_id, "package", _value(label), **fields)
        made[label] = (family_id, indicator_id)
    return made


def _api_view(
    api: TestClient, headers: dict[str, str], made: dict[str, tuple[int, int]]
) -> dict[str, set[str]]:
    """What each API endpoint shows this viewer: endpoint -> labels seen."""
    by_family = {family: label for label, (family, _) in made.items()}
    by_indicator = {indicator: label for label, (_, indicator) in made.items()}
    by_value = {_value(label): label for label in made}
    seen: dict[str, set[str]] = {}
    families = api.get("/api/v1/families", headers=headers).json()
    seen["families"] = {by_family[f["id"]] for f in families if f["id"] in by_family}
    indicators = api.get("/api/v1/indicators", headers=headers).json()
    seen["indicators"] = {by_indicator[i["id"]] for i in indicators if i["id"] in by_indicator}
    seen["family"] = {
        label
        for label, (family, _) in made.items()
        if api.get(f"/api/v1/families/{family}", headers=headers).status_code == 200
    }
    seen["indicator"] = {
        label
        for label, (_, indicator) in made.items()
        if api.get(f"/api/v1/indicators/{indicator}", headers=headers).status_code == 200
    }
    seen["lookup"] = {
        label
        for label in made
        if api.get("/api/v1/lookup", params={"value": _value(label)}, headers=headers).json()[
            "matches"
        ]
    }
    many = api.post("/api/v1/lookup", json={"values": list(by_value)}, headers=headers).json()
    seen["lookup many"] = {by_value[r["value"]] for r in many["results"] if r["matches"]}
    export = api.get("/api/v1/indicators/export", headers=headers).json()["indicators"]
    seen["export"] = {by_value[i["value"]] for i in export if i["value"] in by_value}
    return seen


def _page_view(client: TestClient, made: dict[str, tuple[int, int]]) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    families = client.get("/families").text
    seen["families page"] = {label for label in made if f"Leak {label}<" in families}
    listing = client.get("/indicators").text
    seen["indicators page"] = {label for label in made if _value(label) in listing}
    seen["family page"] = {
        label
        for label, (family, _) in made.items()
        if client.get(f"/families/{family}").status_code == 200
    }
    seen["indicator page"] = {
        label
        for label, (_, indicator) in made.items()
        if client.get(f"/indicators/{indicator}").status_code == 200
    }
    values = "\n".join(_value(label) for label in made)
    found = client.get("/lookup", params={"values": values}).text
    seen["lookup page"] = {label for label in made if f"Leak {label}<" in found}
    return seen


def test_every_endpoint_shows_each_viewer_exactly_what_the_label_allows(
    api: TestClient, world: World
) -> None:
    made = _share(api, world)
    for viewer, allowed in SEES.items():
        for endpoint, labels in _api_view(api, world.h(viewer), made).items():
            assert labels == allowed, (viewer, endpoint)


def test_every_page_shows_each_viewer_exactly_what_the_label_allows(
    hub: Hub, api: TestClient, world: World
) -> None:
    made = _share(api, world)
    for viewer, allowed in SEES.items():
        with TestClient(hub.app, base_url=BASE_URL) as browser:
            sign_in(browser, world.members[viewer].email)
            for endpoint, labels in _page_view(browser, made).items():
                assert labels == allowed, (viewer, endpoint)


def test_an_indicator_under_a_family_the_viewer_may_not_see_stays_hidden(
    api: TestClient, world: World
) -> None:
    source = world.h("source")
    family_id = add_family(api, source, "Secret family", tlp="red")
    add_indicator(api, source, family_id, "domain", "open-under-secret.example", tlp="clear")
    for viewer in ("other", "low"):
        headers = world.h(viewer)
        lookup = api.get("/api/v1/lookup?value=open-under-secret.example", headers=headers)
        assert lookup.json()["matches"] == [], viewer
        listed = api.get("/api/v1/indicators", headers=headers).json()
        assert all(i["value"] != "open-under-secret.example" for i in listed), viewer
        export = api.get("/api/v1/indicators/export", headers=headers).text
        assert "open-under-secret" not in export and "Secret family" not in export, viewer
    assert api.get("/api/v1/lookup?value=open-under-secret.example", headers=source).json()[
        "matches"
    ]


def test_hidden_objects_cannot_be_changed_or_revoked_and_answer_as_missing(
    api: TestClient, world: World
) -> None:
    made = _share(api, world)
    family_id, indicator_id = made["red"]
    other = world.h("other")
    attempts = [
        api.patch(f"/api/v1/families/{family_id}", json={"name": "x"}, headers=other),
        api.post(f"/api/v1/families/{family_id}/revoke", json={"reason": "xyz"}, headers=other),
        api.patch(f"/api/v1/indicators/{indicator_id}", json={"confidence": 1}, headers=other),
        api.post(
            f"/api/v1/indicators/{indicator_id}/revoke", json={"reason": "xyz"}, headers=other
        ),
    ]
    assert [a.status_code for a in attempts] == [404, 404, 404, 404]
    body = {"family_id": family_id, "kind": "package", "value": "com.other", "tlp": "clear"}
    assert api.post("/api/v1/indicators", json=body, headers=other).status_code == 404


def test_lowering_a_label_reaches_more_organisations_at_once(api: TestClient, world: World) -> None:
    made = _share(api, world)
    family_id, indicator_id = made["red"]
    low = world.h("low")
    assert api.get(f"/api/v1/lookup?value={_value('red')}", headers=low).json()["matches"] == []
    source = world.h("source")
    for path in (f"/api/v1/families/{family_id}", f"/api/v1/indicators/{indicator_id}"):
        response = api.patch(path, json={"tlp": "green", "shared_with": []}, headers=source)
        assert response.status_code == 200, response.text
    assert api.get(f"/api/v1/lookup?value={_value('red')}", headers=low).json()["matches"]
