"""The MISP feed: a manifest naming every event, each event readable, TLP:CLEAR without a key."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.feed.formats.misp_read import parse_misp
from unstalk.feed.model import TLP, IndicatorKind
from unstalk.hub.db import Indicator

from .conftest import Hub, make_hub
from .helpers import BASE_URL, bearer
from .releases_world import LABELS, World, add_family, add_indicator, build_world, domain


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[TestClient, World]]:
    hub: Hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, api_burst=10_000)
    world = build_world(hub)
    with TestClient(hub.app, base_url=BASE_URL) as client:
        yield client, world
    hub.db.dispose()


def _events(client: TestClient, headers: dict[str, str]) -> dict[str, bytes]:
    manifest = client.get("/misp/manifest.json", headers=headers)
    assert manifest.status_code == 200
    events = {}
    for event_uuid, summary in manifest.json().items():
        assert summary["Orgc"]["name"] and summary["info"] and summary["Tag"]
        answer = client.get(f"/misp/{event_uuid}.json", headers=headers)
        assert answer.status_code == 200
        assert answer.json()["Event"]["uuid"] == event_uuid
        events[event_uuid] = answer.content
    return events


def test_manifest_lists_every_event_and_each_parses(setup: tuple[TestClient, World]) -> None:
    client, _ = setup
    events = _events(client, {})
    names = set()
    for uuid, body in events.items():
        feed = parse_misp(body, source=f"{uuid}.json")
        names |= {f.name for f in feed.listed_families()}
    assert names == {"Spyapp", "Kidwatch"}
    hashes = client.get("/misp/hashes.csv").text.splitlines()
    md5 = hashlib.md5(domain(TLP.CLEAR).encode(), usedforsecurity=False).hexdigest()
    assert any(line.startswith(md5 + ",") and line.split(",")[1] in events for line in hashes)


def test_without_a_key_only_clear_with_a_key_what_tlp_allows(
    setup: tuple[TestClient, World],
) -> None:
    client, world = setup
    expected = {
        "": {TLP.CLEAR},
        "Greenorg": {TLP.CLEAR, TLP.GREEN},
        "Other": {TLP.CLEAR, TLP.GREEN, TLP.AMBER},
        "Named": set(LABELS),
        "Source": set(LABELS),
    }
    for who, labels in expected.items():
        headers = bearer(world.keys[who]) if who else {}
        body = b"".join(_events(client, headers).values())
        assert {label for label in LABELS if domain(label).encode() in body} == labels, who
        assert (b"com.hiddenapp.x" in body) is (TLP.GREEN in labels), who


def test_unknown_event_and_bad_key(setup: tuple[TestClient, World]) -> None:
    client, _ = setup
    assert client.get("/misp/00000000-0000-0000-0000-000000000000.json").status_code == 404
    assert client.get("/misp/../hub.db").status_code == 404
    assert client.get("/misp/manifest.json", headers=bearer("uh_wrong")).status_code == 401


def test_changes_show_at_once(tmp_path: Path) -> None:
    hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    world = build_world(hub)
    with TestClient(hub.app, base_url=BASE_URL) as client:
        assert domain(TLP.CLEAR).encode() in b"".join(_events(client, {}).values())
        with hub.db.writer() as session:
            row = session.scalars(
                select(Indicator).where(Indicator.value == domain(TLP.CLEAR))
            ).one()
            row.tlp = TLP.GREEN
        assert domain(TLP.CLEAR).encode() not in b"".join(_events(client, {}).values())
        late = add_family(hub.db, world.source.org_id, "latecomer")
        add_indicator(hub.db, world.source.org_id, late, IndicatorKind.PACKAGE, "com.late.app")
        assert b"com.late.app" in b"".join(_events(client, {}).values())
    hub.db.dispose()
