"""Signed evidence manifests: what they record, and that any changed byte is caught and named."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from unstalk.errors import UsageError
from unstalk.feed.model import Feed
from unstalk.netcap.check import NetworkCheckResult
from unstalk.netcap.check import result_dict as network_dict
from unstalk.report.manifest import (
    FileRole,
    Manifest,
    ManifestFile,
    ResultRef,
    ToolInfo,
    canonical,
    feed_digest,
    sign,
    utc_text,
)
from unstalk.report.manifest_build import ManifestRequest, build_manifest, feed_record
from unstalk.report.manifest_keys import fingerprint, public_raw
from unstalk.report.manifest_verify import (
    ManifestFormatError,
    Verification,
    problems,
    verify_manifest,
)

from .conftest import CASE_FILES, SIGNED_AT, SignCase


def _verify(manifest: Path, **kwargs: bytes) -> Verification:
    return verify_manifest(
        manifest.read_bytes(), manifest.parent, manifest_name="manifest.json", **kwargs
    )


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_an_untouched_case_verifies(case: Path, sign_case: SignCase) -> None:
    outcome = _verify(sign_case(case))
    assert outcome.ok, problems(outcome)
    assert outcome.checked == sum(1 for p in case.rglob("*") if p.is_file()) - 1
    assert problems(outcome) == []


def test_the_manifest_records_versions_times_case_and_roles(
    case: Path, sign_case: SignCase, key: Ed25519PrivateKey
) -> None:
    document = json.loads(sign_case(case).read_text(encoding="utf-8"))
    manifest = Manifest.model_validate(document["manifest"])
    assert manifest.format == "unstalk-evidence-manifest" and manifest.format_version == 1
    assert manifest.tool.version == "9.9.9"
    assert manifest.created_utc == "2024-03-13T09:00:00Z"
    assert manifest.case.case_id == "2024-0042" and manifest.case.examiner == "Det. Müller"
    # The generated acquisition's own acquisition.json gives both times and the feed files.
    assert manifest.acquisition is not None
    assert manifest.acquisition.known_from == "phone/acquisition.json"
    assert manifest.acquisition.finished_utc and manifest.acquisition.finished_utc.endswith("Z")
    roles = {f.path: f.role for f in manifest.files}
    for role, name in CASE_FILES.items():
        assert roles[name] is FileRole(role)
    result = case / "result.json"
    assert manifest.result.path == "result.json"
    assert manifest.result.schema_id == "unstalk.android-check/1"
    assert manifest.result.sha256 == next(
        f.sha256 for f in manifest.files if f.path == "result.json"
    )
    assert "phone/SHA256SUMS: all" in " ".join(manifest.notes)
    assert result.is_file()
    signature = document["signature"]
    assert signature["algorithm"] == "Ed25519"
    assert base64.b64decode(signature["public_key"]) == public_raw(key)
    assert signature["key_fingerprint"] == fingerprint(public_raw(key))


def test_the_feed_in_use_is_recorded_with_one_digest_over_its_files(case: Path, feed: Feed) -> None:
    (case / "phone" / "acquisition.json").unlink()
    provenance = feed.provenance
    assert provenance is not None
    request = ManifestRequest(
        root=case,
        result=case / "result.json",
        tool_version="1",
        created=SIGNED_AT,
        feed_in_use=provenance,
    )
    manifest = build_manifest(request)
    assert manifest.feed == feed_record(provenance)
    assert manifest.feed.known_from == "feed-in-use"
    assert manifest.feed.sha256 == feed_digest(manifest.feed.files)
    assert {f.name for f in manifest.feed.files} >= {"ioc.yaml", "samples.csv"}


@pytest.mark.parametrize("role", sorted(CASE_FILES))
def test_one_flipped_byte_in_any_file_fails_and_names_that_file(
    case: Path, sign_case: SignCase, role: str
) -> None:
    manifest = sign_case(case)
    name = CASE_FILES[role]
    target = case / name
    before = target.stat().st_size
    _flip(target, before // 2)
    outcome = _verify(manifest)
    assert not outcome.ok
    assert outcome.signature_ok
    assert [c.path for c in outcome.modified] == [name]
    changed = outcome.modified[0]
    assert changed.expected_sha256 != changed.actual_sha256
    assert changed.expected_size == changed.actual_size == before
    assert problems(outcome) == [
        f"Modified: {name} (expected SHA-256 {changed.expected_sha256}, {before} bytes; "
        f"now {changed.actual_sha256}, {before} bytes)."
    ]


def test_missing_and_added_files_are_named(case: Path, sign_case: SignCase) -> None:
    manifest = sign_case(case)
    (case / "traffic.pcap").unlink()
    (case / "phone" / "extra.txt").write_text("planted later")
    outcome = _verify(manifest)
    assert not outcome.ok
    assert outcome.missing == ("traffic.pcap",)
    assert outcome.added == ("phone/extra.txt",)
    assert outcome.modified == ()
    assert "Missing: traffic.pcap." in problems(outcome)
    assert "Added (not in the manifest): phone/extra.txt." in problems(outcome)


def _flipped_everywhere(data: bytes) -> list[int]:
    """Offsets to flip: a spread over the whole file plus the signature's and a hash's bytes."""
    text = data.decode()
    picks = set(range(0, len(data), 29))
    for marker in ('"value": "', '"public_key": "', '"sha256": "', '"case_id": "'):
        start = text.index(marker) + len(marker)
        picks.update(range(start, start + 6))
    return sorted(picks)


def test_any_flipped_byte_in_the_manifest_fails(case: Path, sign_case: SignCase) -> None:
    manifest = sign_case(case)
    original = manifest.read_bytes()
    for offset in _flipped_everywhere(original):
        data = bytearray(original)
        data[offset] ^= 0x01
        try:
            outcome = verify_manifest(bytes(data), case, manifest_name="manifest.json")
        except ManifestFormatError as e:
            assert "The manifest cannot be read" in e.message
            continue
        assert not outcome.ok, f"byte {offset} changed and still verified"
        assert problems(outcome)


def test_a_changed_value_is_reported_as_an_altered_manifest(
    case: Path, sign_case: SignCase
) -> None:
    manifest = sign_case(case)
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("2024-0042", "2024-0043"), encoding="utf-8")
    outcome = _verify(manifest)
    assert not outcome.signature_ok
    assert problems(outcome)[0] == (
        "The manifest was altered or damaged: the signature does not match the manifest's content."
    )


def test_a_reformatted_manifest_fails_even_with_the_same_content(
    case: Path, sign_case: SignCase
) -> None:
    manifest = sign_case(case)
    manifest.write_text(json.dumps(json.loads(manifest.read_text())), encoding="utf-8")
    outcome = _verify(manifest)
    assert outcome.signature_ok and outcome.layout_changed and not outcome.ok


def test_another_key_than_the_expected_one_fails(case: Path, sign_case: SignCase) -> None:
    manifest = sign_case(case)
    other = public_raw(Ed25519PrivateKey.generate())
    outcome = _verify(manifest, expected_key=other)
    assert outcome.signature_ok and outcome.expected_key_ok is False and not outcome.ok
    assert any("signed with another key" in line for line in problems(outcome))


def test_the_expected_key_verifies(case: Path, sign_case: SignCase, key: Ed25519PrivateKey) -> None:
    outcome = _verify(sign_case(case), expected_key=public_raw(key))
    assert outcome.ok and outcome.expected_key_ok is True


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "it is not valid JSON"),
        (b'{"manifest": {"format": "unstalk-evid', "it is not valid JSON"),
        (b"\xff\xfe garbage", "it is not UTF-8 text"),
        (b"[1, 2, 3]", "it is not a JSON object"),
        (b'{"manifest": {}}', "it has no 'signature' object"),
        (b"[" * 100_000, "it nests too deeply"),
    ],
)
def test_a_truncated_or_garbage_manifest_is_a_clear_error(
    data: bytes, says: str, case: Path
) -> None:
    with pytest.raises(ManifestFormatError) as caught:
        verify_manifest(data, case)
    assert says in caught.value.message
    assert "damaged or altered" in caught.value.diagnostics()


def test_a_truncated_real_manifest_is_a_clear_error(case: Path, sign_case: SignCase) -> None:
    data = sign_case(case).read_bytes()
    with pytest.raises(ManifestFormatError, match="not valid JSON"):
        verify_manifest(data[: len(data) // 2], case)


def test_paths_leading_out_of_the_folder_are_refused_unopened(tmp_path: Path) -> None:
    root = tmp_path / "case"
    root.mkdir()
    (root / "result.json").write_text("{}")
    (tmp_path / "secret.txt").write_text("outside")
    hostile = Manifest(
        tool=ToolInfo(version="1"),
        created_utc="2024-01-01T00:00:00Z",
        result=ResultRef(path="result.json", sha256="0" * 64),
        files=(
            ManifestFile(path="../secret.txt", sha256="0" * 64, size=7),
            ManifestFile(path="/etc/hostname", sha256="0" * 64, size=1),
        ),
    )
    data = sign(hostile, Ed25519PrivateKey.generate())
    outcome = verify_manifest(data, root)
    assert outcome.signature_ok and not outcome.ok
    assert outcome.unsafe == ("../secret.txt", "/etc/hostname")
    assert outcome.missing == () and outcome.modified == ()


def test_symbolic_links_are_listed_as_not_hashed_and_never_followed(
    case: Path, sign_case: SignCase, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not evidence")
    (case / "link.txt").symlink_to(outside)
    manifest = sign_case(case)
    value = json.loads(manifest.read_text())["manifest"]
    assert {"path": "link.txt", "reason": "symbolic link, not followed"} in value["skipped"]
    assert all(f["path"] != "link.txt" for f in value["files"])
    outside.write_text("changed")
    assert _verify(manifest).ok


def test_the_result_must_be_inside_the_case_folder(case: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("{}")
    request = ManifestRequest(root=case, result=elsewhere, tool_version="1", created=SIGNED_AT)
    with pytest.raises(UsageError, match="is not a file inside"):
        build_manifest(request)


def test_the_signed_bytes_are_canonical_json() -> None:
    assert canonical({"b": 1, "a": ["é", 2]}) == '{"a":["é",2],"b":1}'.encode()


def test_a_capture_only_case_records_the_captures_first_and_last_packet(
    case: Path, network_result: NetworkCheckResult
) -> None:
    (case / "phone" / "acquisition.json").unlink()
    run = {"feed": None, "results": [network_dict(network_result)]}
    (case / "network.json").write_text(json.dumps(run))
    request = ManifestRequest(
        root=case, result=case / "network.json", tool_version="1", created=SIGNED_AT
    )
    manifest = build_manifest(request)
    assert manifest.acquisition is not None
    assert manifest.acquisition.known_from == "network.json"
    summary = network_result.summary
    assert summary.first_timestamp is not None and summary.last_timestamp is not None
    first = datetime.fromtimestamp(summary.first_timestamp, UTC)
    last = datetime.fromtimestamp(summary.last_timestamp, UTC)
    # The check's JSON keeps milliseconds.
    assert manifest.acquisition.started_utc == utc_text(_to_ms(first))
    assert manifest.acquisition.finished_utc == utc_text(_to_ms(last))


def _to_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
