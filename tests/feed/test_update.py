"""``feed update``: fetched over HTTP from a server on loopback, verified, installed atomically.

Every failure must leave the feed that was in use before.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from unstalk.errors import FeedUpdateError
from unstalk.feed import update as update_module
from unstalk.feed.store import FeedStore, bundled_dir
from unstalk.feed.update import UpdateOptions, update_feed

FEED_FILES = ("ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "served"
    folder.mkdir()
    for name in FEED_FILES:
        shutil.copy(bundled_dir() / name, folder / name)
    return folder


@pytest.fixture
def server(source_dir: Path) -> Iterator[str]:
    handler = partial(_QuietHandler, directory=str(source_dir))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def store(tmp_path: Path) -> FeedStore:
    return FeedStore(tmp_path / "home", tmp_path / "cache")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_update_over_http_installs_and_is_used(store: FeedStore, server: str) -> None:
    assert store.location().bundled
    result = update_feed(store, UpdateOptions(source=server))
    assert result.changed
    location = store.location()
    assert not location.bundled
    assert (location.path / "ioc.yaml").read_bytes() == (bundled_dir() / "ioc.yaml").read_bytes()
    loaded = store.load()
    assert loaded.provenance is not None and loaded.provenance.source == server
    assert sum(1 for _ in loaded.listed_families()) == 174


def test_second_identical_update_changes_nothing(store: FeedStore, server: str) -> None:
    update_feed(store, UpdateOptions(source=server))
    again = update_feed(store, UpdateOptions(source=server))
    assert not again.changed


def test_update_from_local_folder(store: FeedStore, source_dir: Path) -> None:
    update_feed(store, UpdateOptions(source=str(source_dir)))
    assert not store.location().bundled


def test_pin_mismatch_keeps_previous_feed(store: FeedStore, server: str) -> None:
    pins = {"ioc.yaml": "0" * 64}
    with pytest.raises(FeedUpdateError, match="ioc.yaml does not match"):
        update_feed(store, UpdateOptions(source=server, pins=pins))
    assert store.location().bundled


def test_correct_pin_is_accepted(store: FeedStore, server: str, source_dir: Path) -> None:
    pins = {"ioc.yaml": _sha256(source_dir / "ioc.yaml")}
    update_feed(store, UpdateOptions(source=server, pins=pins))
    assert not store.location().bundled


def _sign(source_dir: Path, key: Ed25519PrivateKey) -> bytes:
    sums = "".join(f"{_sha256(source_dir / n)}  {n}\n" for n in FEED_FILES).encode()
    (source_dir / "SHA256SUMS").write_bytes(sums)
    (source_dir / "SHA256SUMS.sig").write_bytes(base64.b64encode(key.sign(sums)))
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def test_signed_feed_is_verified(store: FeedStore, server: str, source_dir: Path) -> None:
    public = _sign(source_dir, Ed25519PrivateKey.generate())
    update_feed(store, UpdateOptions(source=server, public_key=public))
    assert not store.location().bundled


def test_signature_by_another_key_is_refused(
    store: FeedStore, server: str, source_dir: Path
) -> None:
    _sign(source_dir, Ed25519PrivateKey.generate())
    other = Ed25519PrivateKey.generate().public_key()
    raw = base64.b64encode(other.public_bytes(Encoding.Raw, PublicFormat.Raw))
    with pytest.raises(FeedUpdateError, match="signature"):
        update_feed(store, UpdateOptions(source=server, public_key=raw))
    assert store.location().bundled


def test_file_changed_after_signing_is_refused(
    store: FeedStore, server: str, source_dir: Path
) -> None:
    public = _sign(source_dir, Ed25519PrivateKey.generate())
    with (source_dir / "ioc.yaml").open("a", encoding="utf-8") as f:
        f.write("\n- name: Injected\n  type: stalkerware\n  packages:\n  - com.injected\n")
    with pytest.raises(FeedUpdateError, match="ioc.yaml does not match the signed SHA256SUMS"):
        update_feed(store, UpdateOptions(source=server, public_key=public))
    assert store.location().bundled


def test_missing_signature_file_is_refused(store: FeedStore, server: str) -> None:
    public = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(FeedUpdateError, match="404"):
        update_feed(store, UpdateOptions(source=server, public_key=public))


def test_invalid_yaml_keeps_the_installed_update(
    store: FeedStore, server: str, source_dir: Path
) -> None:
    update_feed(store, UpdateOptions(source=server))
    first = store.location().path
    (source_dir / "ioc.yaml").write_text("- name: [unclosed\n", encoding="utf-8")
    with pytest.raises(FeedUpdateError, match="not valid"):
        update_feed(store, UpdateOptions(source=server))
    assert store.location().path == first
    assert sum(1 for _ in store.load().listed_families()) == 174


def test_missing_required_file_is_refused(store: FeedStore, server: str, source_dir: Path) -> None:
    (source_dir / "watchware.yaml").unlink()
    with pytest.raises(FeedUpdateError, match="404"):
        update_feed(store, UpdateOptions(source=server))
    assert store.location().bundled


def test_unreachable_server_says_so(store: FeedStore) -> None:
    with pytest.raises(FeedUpdateError, match="Could not reach") as info:
        update_feed(store, UpdateOptions(source="http://127.0.0.1:9"))
    assert "connection" in info.value.diagnostics().lower()
    assert store.location().bundled


def test_feed_that_shrinks_too_much_needs_force(
    store: FeedStore, server: str, source_dir: Path
) -> None:
    (source_dir / "ioc.yaml").write_text(
        "- name: Only\n  type: stalkerware\n  packages:\n  - com.only.one\n", encoding="utf-8"
    )
    with pytest.raises(FeedUpdateError, match="families where the one in use has"):
        update_feed(store, UpdateOptions(source=server))
    assert store.location().bundled
    update_feed(store, UpdateOptions(source=server, force=True))
    assert not store.location().bundled


def test_oversized_answer_is_refused(
    store: FeedStore, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(update_module, "MAX_FILE_BYTES", 1024)
    with pytest.raises(FeedUpdateError, match="larger than any real feed file"):
        update_feed(store, UpdateOptions(source=server))
    assert store.location().bundled


def test_old_versions_are_pruned_but_previous_kept(
    store: FeedStore, server: str, source_dir: Path
) -> None:
    for n in range(3):
        with (source_dir / "samples.csv").open("a", encoding="utf-8") as f:
            f.write(f"{n:064x},com.example.pruned{n},,,TheTruthSpy\n")
        update_feed(store, UpdateOptions(source=server))
    versions = [p for p in (store.feeds_dir / "versions").iterdir() if p.is_dir()]
    assert len(versions) == 2
    assert store.location().path in [v.resolve() for v in versions]
