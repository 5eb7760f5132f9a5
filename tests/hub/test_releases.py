"""Feed releases: published, signed, versioned, with a changelog, at stable URLs, TLP:CLEAR only."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import select

from unstalk.feed.formats.echap import parse_echap
from unstalk.feed.io import EXPORT_FORMATS, detect_format
from unstalk.feed.model import TLP, IndicatorKind, Role
from unstalk.feed.update import check_lint, parse_sums
from unstalk.hub.db import AuditEntry, Indicator
from unstalk.hub.db.intel import RecordStatus
from unstalk.hub.releases.files import export_file_name

from .conftest import Hub, make_hub
from .helpers import BASE_URL, bearer
from .releases_world import LABELS, World, add_indicator, build_world, domain


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    made = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, api_burst=10_000)
    yield made
    made.db.dispose()


@pytest.fixture
def world(hub: Hub) -> World:
    return build_world(hub)


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(hub.app, base_url=BASE_URL) as test_client:
        yield test_client


def publish(client: TestClient, world: World) -> dict[str, object]:
    response = client.post("/api/v1/releases", headers=bearer(world.keys["admin"]))
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def fetch(client: TestClient, version: str, name: str) -> bytes:
    response = client.get(f"/feed/{version}/{name}")
    assert response.status_code == 200, (name, response.text)
    return response.content


def test_release_is_signed_and_every_file_matches_its_sum(
    client: TestClient, world: World, hub: Hub
) -> None:
    release = publish(client, world)
    version = str(release["version"])
    assert version.startswith(f"{hub.clock():%Y.%m.%d}.")
    sums = fetch(client, "latest", "SHA256SUMS")
    signature = base64.b64decode(fetch(client, version, "SHA256SUMS.sig"))
    key = client.get("/api/v1/releases/key", headers=bearer(world.keys["Greenorg"])).json()
    assert key["public_key"] == release["public_key"]
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(signature, sums)
    listed = parse_sums(sums.decode())
    expected = {export_file_name(name) for name in [*EXPORT_FORMATS, "suricata"]}
    expected |= {"ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar", "changelog.json"}
    assert expected <= set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256(fetch(client, version, name)).hexdigest() == digest
    assert release["sha256sums_sha256"] == hashlib.sha256(sums).hexdigest()
    key_file = hub.settings.release_key_path()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not key_file.is_relative_to(hub.settings.releases_dir())


def test_release_holds_only_active_classified_clear_objects(
    client: TestClient, world: World
) -> None:
    version = str(publish(client, world)["version"])
    everything = b"".join(
        fetch(client, version, export_file_name(name)) for name in [*EXPORT_FORMATS, "suricata"]
    )
    assert domain(TLP.CLEAR).encode() in everything
    assert b"com.kidwatch.app" in fetch(client, version, "watchware.yaml")
    for label in LABELS:
        if label is not TLP.CLEAR:
            assert domain(label).encode() not in everything
    for absent in (b"revoked.spy.example", b"com.mystery.app", b"com.harmless.app", b"hiddenapp"):
        assert absent not in everything


def test_echap_files_install_like_upstream_and_exports_read_back(
    client: TestClient, world: World
) -> None:
    version = str(publish(client, world)["version"])
    files = {n: fetch(client, version, n) for n in ("ioc.yaml", "watchware.yaml", "samples.csv")}
    check_lint(files)
    feed = parse_echap(files, source="hub")
    assert {f.name for f in feed.families} == {"Spyapp", "Kidwatch"}
    assert {(i.kind, i.value) for i in feed.indicators} == {
        (IndicatorKind.DOMAIN, domain(TLP.CLEAR)),
        (IndicatorKind.PACKAGE, "com.spyapp.agent"),
        (IndicatorKind.PACKAGE, "com.kidwatch.app"),
    }
    for name in ("stix2", "misp", "tinycheck", "network-csv"):
        assert detect_format(fetch(client, version, export_file_name(name))) == name


def test_changelog_lists_additions_and_removals_and_versions_grow(
    client: TestClient, world: World, hub: Hub
) -> None:
    first = str(publish(client, world)["version"])
    add_indicator(
        hub.db,
        world.source.org_id,
        world.spyapp,
        IndicatorKind.DOMAIN,
        "new.spy.example",
        role=Role.C2,
    )
    with hub.db.writer() as session:
        row = session.scalars(select(Indicator).where(Indicator.value == "com.spyapp.agent")).one()
        row.status = RecordStatus.REVOKED
    second = publish(client, world)
    changes = second["changelog"]
    assert isinstance(changes, dict)
    assert changes["previous_version"] == first
    assert [i["value"] for i in changes["indicators_added"]] == ["new.spy.example"]
    assert [i["value"] for i in changes["indicators_removed"]] == ["com.spyapp.agent"]
    assert changes["families_added"] == [] and changes["families_removed"] == []
    index = client.get("/feed/releases.json").json()
    assert index["latest"] == second["version"]
    assert [r["version"] for r in index["releases"]] == [second["version"], first]
    assert int(str(second["version"]).rsplit(".", 1)[1]) > int(first.rsplit(".", 1)[1])
    assert b"com.spyapp.agent" in fetch(client, first, "ioc.yaml")
    assert b"com.spyapp.agent" not in fetch(client, "latest", "ioc.yaml")
    on_disk = json.loads(fetch(client, "latest", "changelog.json"))
    assert on_disk["version"] == second["version"]
    with hub.db.reader() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("release.published") == 2


def test_only_coalition_admins_publish(client: TestClient, world: World) -> None:
    response = client.post("/api/v1/releases", headers=bearer(world.keys["Source"]))
    assert response.status_code == 403
    assert client.get("/feed/releases.json").json()["latest"] is None
    assert client.get("/feed/latest/SHA256SUMS").status_code == 404


def test_unknown_files_and_versions_are_not_found(client: TestClient, world: World) -> None:
    version = str(publish(client, world)["version"])
    for path in (
        f"/feed/{version}/contents.json.bak",
        f"/feed/{version}/..%2Fhub.db",
        "/feed/2001.01.01.1/SHA256SUMS",
        "/feed/latest/..",
    ):
        assert client.get(path).status_code == 404, path


def test_export_gives_what_the_organisation_may_see(client: TestClient, world: World) -> None:
    def values(who: str) -> bytes:
        response = client.get("/api/v1/export/network-csv", headers=bearer(world.keys[who]))
        assert response.status_code == 200, response.text
        return response.content

    seen = {
        "Greenorg": {TLP.CLEAR, TLP.GREEN},
        "Other": {TLP.CLEAR, TLP.GREEN, TLP.AMBER},
        "Named": set(LABELS),
        "Source": set(LABELS),
    }
    for who, labels in seen.items():
        body = values(who)
        assert {label for label in LABELS if domain(label).encode() in body} == labels, who
    assert (
        client.get("/api/v1/export/nonsense", headers=bearer(world.keys["Other"])).status_code
        == 404
    )
    assert client.get("/api/v1/export/stix2").status_code == 401


def test_releases_page_publishes_with_the_form(client: TestClient, world: World) -> None:
    from .helpers import ADMIN_EMAIL, csrf_of, sign_in

    sign_in(client, ADMIN_EMAIL)
    page = client.get("/releases")
    assert page.status_code == 200 and "No release has been published yet" in page.text
    response = client.post("/releases", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and response.url.path == "/releases"
    latest = client.get("/feed/releases.json").json()
    assert latest["latest"] in response.text
    assert latest["public_key"] in response.text
    refused = client.post("/releases", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
