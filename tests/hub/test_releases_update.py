"""``unstalk feed update --hub URL --key KEY`` against a hub served by uvicorn on loopback."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient

from tests.web.serving import serving
from unstalk.cli.main import EXIT_INCOMPLETE, EXIT_USAGE, cli
from unstalk.feed.model import TLP
from unstalk.feed.store import FeedStore

from .conftest import Hub, make_hub
from .helpers import BASE_URL, bearer
from .releases_world import World, build_world, domain


@pytest.fixture
def published(tmp_path: Path) -> Iterator[tuple[Hub, str, str]]:
    """A hub with one release: (hub, its loopback URL, the release's public key)."""
    hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, api_burst=10_000)
    world: World = build_world(hub)
    with TestClient(hub.app, base_url=BASE_URL) as client:
        answer = client.post("/api/v1/releases", headers=bearer(world.keys["admin"]))
        assert answer.status_code == 201
        key = str(answer.json()["public_key"])
    with serving(hub.app) as url:
        yield hub, url, key
    hub.db.dispose()


def _update(tmp_path: Path, *args: str) -> tuple[int, str, FeedStore]:
    env = {"UNSTALK_HOME": str(tmp_path / "home"), "UNSTALK_CACHE": str(tmp_path / "cache")}
    result = CliRunner().invoke(cli, ["feed", "update", *args], env=env)
    store = FeedStore(tmp_path / "home", tmp_path / "cache")
    return result.exit_code, result.output, store


def test_update_from_hub_installs_the_signed_release(
    published: tuple[Hub, str, str], tmp_path: Path
) -> None:
    _, url, key = published
    # The test hub holds 2 families where the bundled Echap feed has far more: without
    # --force, the guard against a source that lost most of its families refuses it.
    code, output, store = _update(tmp_path, "--hub", url, "--key", key)
    assert code == EXIT_INCOMPLETE and "--force" in output
    assert store.location().bundled
    code, output, store = _update(tmp_path, "--hub", url, "--key", key, "--force")
    assert code == 0, output
    assert not store.location().bundled
    feed = store.load()
    assert {f.name for f in feed.listed_families()} == {"Spyapp", "Kidwatch"}
    assert domain(TLP.CLEAR) in {i.value for i in feed.indicators}


def test_key_file_in_pem_works_too(published: tuple[Hub, str, str], tmp_path: Path) -> None:
    hub, url, _ = published
    pem = tmp_path / "hub.pub"
    from unstalk.hub.releases.signing import load_key

    pem.write_text(load_key(hub.settings.release_key_path()).public_pem)
    code, output, store = _update(tmp_path, "--hub", url, "--key", str(pem), "--force")
    assert code == 0, output
    assert not store.location().bundled


def test_another_key_is_refused_and_nothing_installed(
    published: tuple[Hub, str, str], tmp_path: Path
) -> None:
    _, url, _ = published
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    other = base64.b64encode(raw).decode()
    code, output, store = _update(tmp_path, "--hub", url, "--key", other, "--force")
    assert code == EXIT_INCOMPLETE
    assert "signature" in output
    assert store.location().bundled


def test_file_changed_on_the_hub_after_signing_is_refused(
    published: tuple[Hub, str, str], tmp_path: Path
) -> None:
    hub, url, key = published
    (folder,) = [p for p in hub.settings.releases_dir().iterdir() if p.is_dir()]
    ioc = folder / "ioc.yaml"
    ioc.write_bytes(ioc.read_bytes().replace(b"spy.example", b"evil.example"))
    code, output, store = _update(tmp_path, "--hub", url, "--key", key, "--force")
    assert code == EXIT_INCOMPLETE
    assert "ioc.yaml does not match" in output
    assert store.location().bundled


def test_hub_needs_a_key_and_a_release(tmp_path: Path) -> None:
    code, output, _ = _update(tmp_path, "--hub", "http://127.0.0.1:9")
    assert code == EXIT_USAGE and "--key" in output
    hub = make_hub(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    with serving(hub.app) as url:
        raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        code, output, store = _update(
            tmp_path, "--hub", url, "--key", base64.b64encode(raw).decode()
        )
    hub.db.dispose()
    assert code == EXIT_INCOMPLETE and "no feed release yet" in output
    assert store.location().bundled


def test_imported_echap_feed_round_trips_through_a_release(tmp_path: Path) -> None:
    """Echap feed -> hub import -> signed release -> 'feed update --hub': the same feed."""
    from unstalk.feed.store import bundled_dir, load_folder
    from unstalk.hub.indicators.echap_import import import_echap

    hub = make_hub(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    bundled = load_folder(bundled_dir())
    with hub.db.writer() as session:
        import_echap(session, hub.admin, bundled, source="bundled")
    world = build_world(hub)
    with TestClient(hub.app, base_url=BASE_URL) as client:
        assert (
            client.post("/api/v1/releases", headers=bearer(world.keys["admin"])).status_code == 201
        )
    with serving(hub.app) as url:
        key = client.get("/feed/releases.json").json()["public_key"]
        code, output, store = _update(tmp_path, "--hub", url, "--key", key)
    hub.db.dispose()
    assert code == 0, output
    installed = store.load()

    def ids(feed: object) -> set[str]:
        return {f.id for f in feed.listed_families()}  # type: ignore[attr-defined]

    assert ids(bundled) <= ids(installed)
    wanted = {(i.kind, i.value) for i in bundled.active()}
    assert wanted <= {(i.kind, i.value) for i in installed.active()}
