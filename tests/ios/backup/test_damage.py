"""Damaged, incomplete and hostile backups: a clear error, or a part marked as not read."""

from __future__ import annotations

import plistlib
import sqlite3
from pathlib import Path

import pytest

from tests.ios.backup.conftest import PASSWORD
from tests.ios.gen import SCENARIOS, write_backup
from tests.ios.gen.damage import (
    add_row,
    blob,
    corrupt_info_plist,
    old_format,
    remove_profile_events,
    truncate_manifest_db,
)
from tests.ios.gen.scenarios import PROFILES, PROFILES_DOMAIN
from unstalk.errors import BackupError
from unstalk.ios.backup import read_backup
from unstalk.ios.model import ParseStatus

STUB = f"{PROFILES}/profile-3f1a9c.stub"


def _profiles_phone(tmp_path: Path, password: str | None = None) -> Path:
    return write_backup(tmp_path, SCENARIOS["profiles"](), password=password)


@pytest.mark.parametrize("password", [None, PASSWORD])
def test_truncated_manifest_db_is_a_clear_error(tmp_path: Path, password: str | None) -> None:
    folder = _profiles_phone(tmp_path, password)
    truncate_manifest_db(folder)
    with pytest.raises(BackupError, match="Manifest.db is damaged") as caught:
        read_backup(folder, password=password)
    assert "Make a new backup" in caught.value.diagnostics()


def test_manifest_db_missing(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path)
    (folder / "Manifest.db").unlink()
    with pytest.raises(BackupError, match="Manifest.db is missing"):
        read_backup(folder)


def test_manifest_db_without_files_table(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path)
    (folder / "Manifest.db").unlink()
    sqlite3.connect(folder / "Manifest.db").execute("CREATE TABLE Other (x)").connection.close()
    with pytest.raises(BackupError, match="no Files table"):
        read_backup(folder)


def test_pre_ios_10_backup_is_not_supported(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path)
    old_format(folder)
    with pytest.raises(BackupError, match=r"iOS 9 or older \(Manifest.mbdb\): not supported"):
        read_backup(folder)


@pytest.mark.parametrize("password", [None, PASSWORD])
def test_missing_blob_marks_profiles_partial(tmp_path: Path, password: str | None) -> None:
    folder = _profiles_phone(tmp_path, password)
    remove_profile_events(folder)
    acquisition = read_backup(folder, password=password)
    assert acquisition.profiles.status is ParseStatus.PARTIAL
    assert "MCProfileEvents.plist" in acquisition.profiles.problems[0]
    assert "missing from the backup folder" in acquisition.profiles.problems[0]
    assert any("MCProfileEvents.plist" in note for note in acquisition.integrity)
    # The profiles themselves are still there, only their install dates are unknown.
    assert {p.identifier for p in acquisition.profiles.value or ()} >= {"com.acme.mdm"}


def test_corrupt_info_plist_leaves_the_rest_readable(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path)
    corrupt_info_plist(folder)
    acquisition = read_backup(folder)
    assert acquisition.device.status is ParseStatus.PARTIAL
    assert "Info.plist is damaged" in acquisition.device.problems[0]
    device = acquisition.device.value
    assert device is not None and device.ios_version == "17.5.1"  # from Manifest.plist Lockdown
    assert acquisition.apps.status is ParseStatus.PARTIAL
    assert any("Info.plist" in problem for problem in acquisition.apps.problems)
    assert acquisition.apps.value  # still listed from Manifest.plist and Manifest.db
    assert acquisition.profiles.status is ParseStatus.OK
    assert any(note.startswith("Info.plist is damaged") for note in acquisition.integrity)


@pytest.mark.parametrize("password", [None, PASSWORD])
def test_one_corrupt_profile_is_a_problem_naming_it(tmp_path: Path, password: str | None) -> None:
    folder = _profiles_phone(tmp_path, password)
    blob(folder, PROFILES_DOMAIN, STUB).write_bytes(b"\x13" * 48)
    acquisition = read_backup(folder, password=password)
    assert acquisition.profiles.status is ParseStatus.PARTIAL
    assert "profile-3f1a9c.stub" in acquisition.profiles.problems[0]
    assert [p.identifier for p in acquisition.profiles.value or ()] == [
        "com.acme.mdm",
        "CloudConfigurationDetails",
    ]


def test_missing_manifest_plist_on_a_plain_backup(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path)
    (folder / "Manifest.plist").unlink()
    acquisition = read_backup(folder)
    assert acquisition.device.status is ParseStatus.PARTIAL
    assert "Manifest.plist is missing" in acquisition.device.problems[0]
    assert acquisition.wifi_sync.status is ParseStatus.MISSING
    assert acquisition.profiles.status is ParseStatus.OK


def test_damaged_manifest_plist_on_an_encrypted_backup(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path, PASSWORD)
    (folder / "Manifest.plist").write_bytes(b"bplist00garbage")
    with pytest.raises(BackupError, match="not an SQLite database"):
        read_backup(folder, password=PASSWORD)


def test_unfinished_backup_is_noted(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path)
    status = plistlib.loads((folder / "Status.plist").read_bytes())
    status["SnapshotState"] = "uploading"
    (folder / "Status.plist").write_bytes(plistlib.dumps(status, fmt=plistlib.FMT_BINARY))
    acquisition = read_backup(folder)
    assert any("did not finish" in note for note in acquisition.integrity)


def test_file_id_with_dot_dot_is_refused(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path / "phone")
    secret = tmp_path / "secret.plist"
    secret.write_bytes(plistlib.dumps({"PayloadIdentifier": "stolen"}))
    add_row(folder, "../../../secret.plist", PROFILES_DOMAIN, f"{PROFILES}/profile-x.stub", b"")
    acquisition = read_backup(folder)
    assert acquisition.profiles.status is ParseStatus.PARTIAL
    assert any("not a SHA-1 file ID" in p for p in acquisition.profiles.problems)
    assert "stolen" not in {p.identifier for p in acquisition.profiles.value or ()}
    assert not any("secret" in key for key in acquisition.file_hashes)


def test_blob_linking_out_of_the_backup_is_refused(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path / "phone")
    outside = tmp_path / "outside.plist"
    outside.write_bytes(plistlib.dumps({"PayloadIdentifier": "stolen"}))
    target = blob(folder, PROFILES_DOMAIN, STUB)
    target.unlink()
    target.symlink_to(outside)
    acquisition = read_backup(folder)
    assert any("points outside the backup folder" in p for p in acquisition.profiles.problems)
    assert "stolen" not in {p.identifier for p in acquisition.profiles.value or ()}


def test_info_plist_linking_out_of_the_backup_is_refused(tmp_path: Path) -> None:
    folder = _profiles_phone(tmp_path / "phone")
    outside = tmp_path / "Info.plist"
    (folder / "Info.plist").rename(outside)
    (folder / "Info.plist").symlink_to(outside)
    acquisition = read_backup(folder)
    assert acquisition.device.status is ParseStatus.PARTIAL
    assert "points outside the backup folder" in acquisition.device.problems[0]
    assert "Info.plist" not in acquisition.file_hashes
