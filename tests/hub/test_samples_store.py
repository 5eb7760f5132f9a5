"""The sample store: encrypted at rest, its key file, and the analysis in a child process."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from unstalk.hub.samples.runner import ProcessRunner, bundled_analyser
from unstalk.hub.samples.store import CHUNK, SampleStore, SampleStoreError, key_path

from .samples_helpers import apk


def _store(root: Path, data: bytes) -> tuple[SampleStore, str]:
    store = SampleStore(root)
    with store.writer(limit=len(data) + 1) as writer:
        for start in range(0, len(data), 1000):
            writer.write(data[start : start + 1000])
        writer.finish()
        return store, writer.keep()


def test_no_plaintext_byte_of_the_apk_reaches_the_disk(tmp_path: Path) -> None:
    data = apk()
    store, relative = _store(tmp_path / "samples", data)
    sealed = b"".join(
        path.read_bytes() for path in (tmp_path / "samples").rglob("*") if path.is_file()
    )
    for start in range(0, len(data) - 32, 256):
        assert data[start : start + 32] not in sealed
    assert b"com.example.tracker".decode().encode("utf-16-le") not in sealed
    assert store.read(relative) == data


def test_large_samples_round_trip_across_chunks(tmp_path: Path) -> None:
    data = bytes(range(256)) * (CHUNK * 2 // 256) + b"tail"
    store, relative = _store(tmp_path / "samples", data)
    assert SampleStore(tmp_path / "samples").read(relative) == data
    exact = bytes(CHUNK)
    other, name = _store(tmp_path / "exact", exact)
    assert other.read(name) == exact


def test_the_key_file_is_private_and_beside_the_store(tmp_path: Path) -> None:
    _store(tmp_path / "samples", apk())
    key = key_path(tmp_path / "samples")
    assert key == tmp_path / "samples.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_missing_key_is_a_clear_error_not_a_new_key(tmp_path: Path) -> None:
    _, relative = _store(tmp_path / "samples", apk())
    key_path(tmp_path / "samples").unlink()
    with pytest.raises(SampleStoreError) as raised:
        SampleStore(tmp_path / "samples").read(relative)
    assert "missing" in raised.value.message
    assert "backup" in raised.value.advice
    assert not key_path(tmp_path / "samples").exists()


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    _, relative = _store(tmp_path / "samples", apk())
    key_path(tmp_path / "samples").chmod(0o644)
    with pytest.raises(SampleStoreError) as raised:
        SampleStore(tmp_path / "samples").read(relative)
    assert "chmod 600" in raised.value.advice


def test_another_stores_key_or_a_changed_blob_is_detected(tmp_path: Path) -> None:
    _, relative = _store(tmp_path / "samples", apk())
    foreign = tmp_path / "other.key"
    key_path(tmp_path / "samples").replace(foreign)
    _store(tmp_path / "fresh", b"x")
    key_path(tmp_path / "fresh").replace(key_path(tmp_path / "samples"))
    with pytest.raises(SampleStoreError, match="not sealed with this store's key"):
        SampleStore(tmp_path / "samples").read(relative)
    foreign.replace(key_path(tmp_path / "samples"))
    blob = tmp_path / "samples" / relative
    sealed = bytearray(blob.read_bytes())
    sealed[-20] ^= 1
    blob.write_bytes(bytes(sealed))
    with pytest.raises(SampleStoreError, match="damaged"):
        SampleStore(tmp_path / "samples").read(relative)


def test_the_child_process_analyses_and_a_slow_analysis_times_out() -> None:
    # Generous: a loaded CI machine takes a while to start the child and build the analyser.
    runner = ProcessRunner(bundled_analyser, timeout=300.0)
    try:
        outcome = runner.analyse(apk(), "tracker.apk")
        assert outcome.result is not None and outcome.result["package"] == "com.example.tracker"
        refused = runner.analyse(b"not an apk at all", "junk.apk")
        assert refused.result is None and "not an APK" in refused.error
        runner.timeout = 0.0
        late = runner.analyse(apk(), "tracker.apk")
        assert late.result is None and "took longer" in late.error
    finally:
        runner.close()
