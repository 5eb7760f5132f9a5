"""Families and indicators through the pages, signed in, with plain HTML forms (no JavaScript)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from .conftest import Hub
from .helpers import BASE_URL, csrf_of, sign_in
from .indicators_world import World, build_world


@pytest.fixture
def world(hub: Hub) -> World:
    return build_world(hub)


@pytest.fixture
def browser(hub: Hub) -> Iterator[TestClient]:
    with TestClient(hub.app, base_url=BASE_URL) as client:
        yield client


def test_an_analyst_adds_edits_and_revokes_through_the_pages(
    browser: TestClient, world: World
) -> None:
    csrf = sign_in(browser, "analyst@source.example")
    added = browser.post(
        "/families",
        data={"csrf_token": csrf, "name": "Spy Pages", "aliases": "SP, SpyP", "tlp": "green"},
    )
    assert added.status_code == 200
    family_url = added.url.path
    assert "spy-pages" in added.text and "SP, SpyP" in added.text
    family_id = family_url.rsplit("/", 1)[1]
    indicator = browser.post(
        "/indicators",
        data={
            "csrf_token": csrf,
            "family_id": family_id,
            "kind": "domain",
            "value": "C2.SpyPages.Example",
            "role": "c2",
            "confidence": "70",
            "first_seen": "2026-01-05",
            "tlp": "green",
        },
    )
    assert indicator.status_code == 200
    assert "c2.spypages.example" in indicator.text
    assert "2026-01-05" in indicator.text
    indicator_url = indicator.url.path
    edited = browser.post(
        indicator_url,
        data={"csrf_token": csrf, "role": "c2", "confidence": "95", "tlp": "amber"},
    )
    assert "<td>95</td>" in edited.text
    found = browser.get("/lookup", params={"values": "x.c2.spypages.example"})
    assert "Spy Pages" in found.text and "critical" not in found.text  # unclassified: low
    revoked = browser.post(
        f"{indicator_url}/revoke", data={"csrf_token": csrf, "reason": "Sinkholed by the registrar"}
    )
    assert "Revoked" in revoked.text and "Sinkholed by the registrar" in revoked.text
    assert "analyst@source.example" in revoked.text
    found = browser.get("/lookup", params={"values": "x.c2.spypages.example"})
    assert "No match" in found.text


def test_forms_without_the_session_token_are_refused(browser: TestClient, world: World) -> None:
    sign_in(browser, "analyst@source.example")
    response = browser.post("/families", data={"csrf_token": "forged", "name": "Nope"})
    assert response.status_code == 403
    assert "Nope" not in browser.get("/families").text


def test_viewers_get_no_forms_and_cannot_post(browser: TestClient, world: World) -> None:
    csrf = sign_in(browser, "viewer@source.example")
    page = browser.get("/families")
    assert "Add a family" not in page.text and "Import the Echap feed" not in page.text
    response = browser.post("/families", data={"csrf_token": csrf, "name": "Nope"})
    assert response.status_code == 403


def test_a_bad_value_explains_itself(browser: TestClient, world: World) -> None:
    csrf = sign_in(browser, "analyst@source.example")
    family = browser.post("/families", data={"csrf_token": csrf, "name": "Spy", "tlp": "clear"})
    family_id = family.url.path.rsplit("/", 1)[1]
    response = browser.post(
        "/indicators",
        data={"csrf_token": csrf, "family_id": family_id, "kind": "cert_sha1", "value": "12AB"},
    )
    assert response.status_code == 422
    assert "40 hexadecimal digits" in response.text


def test_the_coalition_admin_imports_the_echap_feed_from_the_families_page(
    browser: TestClient, world: World
) -> None:
    sign_in(browser, world.members["coalition"].email)
    page = browser.get("/families")
    assert "Import the Echap feed" in page.text
    response = browser.post("/imports/echap", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200
    assert "Indicators added" in response.text
    assert "TheTruthSpy" in browser.get("/families").text
