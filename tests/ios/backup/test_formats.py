"""The pure pieces: MBFile archives, AES decryption, file IDs and bounded reads."""

from __future__ import annotations

import hashlib
import plistlib
import sys
from pathlib import Path

import pytest

from tests.ios.gen.__main__ import main as generator_main
from tests.ios.gen.formats import MODE_FILE, encrypt, file_id, mbfile
from unstalk.errors import BackupError
from unstalk.ios.backup.crypto import decrypt
from unstalk.ios.backup.files import BackupFiles, blob_path
from unstalk.ios.backup.plists import MBFile, decode_mbfile


def test_mbfile_round_trip() -> None:
    key = b"\x03\x00\x00\x00" + bytes(range(40))
    raw = mbfile(
        "Library/x.plist", size=123, mode=MODE_FILE, protection_class=3, mtime=9, encryption_key=key
    )
    assert decode_mbfile(raw, "row") == MBFile(
        size=123, mode=MODE_FILE, protection_class=3, encryption_key=key, last_modified=9
    )


def test_mbfile_with_a_reference_cycle_does_not_loop() -> None:
    archive = {
        "$top": {"root": plistlib.UID(1)},
        "$objects": ["$null", {"EncryptionKey": plistlib.UID(1), "Size": plistlib.UID(99)}],
    }
    decoded = decode_mbfile(plistlib.dumps(archive, fmt=plistlib.FMT_BINARY), "row")
    assert decoded.encryption_key is None
    assert decoded.size is None


@pytest.mark.parametrize(
    "blob",
    [
        b"not a plist",
        plistlib.dumps({"$objects": []}),
        plistlib.dumps({"$top": {}, "$objects": []}),
    ],
)
def test_broken_mbfile_is_a_clear_error(blob: bytes) -> None:
    with pytest.raises(BackupError, match="row"):
        decode_mbfile(blob, "row")


def test_decrypt_strips_padding_or_cuts_to_size() -> None:
    key = bytes(32)
    stored = encrypt(key, b"hello backup")
    assert decrypt(key, stored, "f") == b"hello backup"
    assert decrypt(key, stored, "f", size=5) == b"hello"


def test_decrypt_refuses_partial_blocks_and_bad_padding() -> None:
    key = bytes(32)
    with pytest.raises(BackupError, match="whole number of AES blocks"):
        decrypt(key, b"\x00" * 17, "f")
    with pytest.raises(BackupError, match="did not decrypt cleanly"):
        decrypt(b"\x01" * 32, encrypt(key, b"hello backup"), "f")


def test_file_id_is_sha1_of_domain_and_path() -> None:
    expected = hashlib.sha1(b"HomeDomain-Library/Preferences/a.plist").hexdigest()
    assert file_id("HomeDomain", "Library/Preferences/a.plist") == expected
    assert blob_path(expected) == f"{expected[:2]}/{expected}"
    with pytest.raises(BackupError, match="not a SHA-1 file ID"):
        blob_path("../" + expected[3:])


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "Info.plist").write_bytes(b"x" * 1000)
    files = BackupFiles(tmp_path)
    with pytest.raises(BackupError, match="more than the 100 bytes"):
        files.read("Info.plist", limit=100)
    assert files.hashes == {}


def test_generator_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["gen", str(tmp_path), "--scenario", "jailbroken", "--damage", "missing-blobs"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as finished:
        generator_main()
    assert finished.value.code == 0
    folder = tmp_path / "00008110-001A2B3C4D5E6F70"
    assert {"Info.plist", "Manifest.plist", "Status.plist", "Manifest.db"} <= {
        path.name for path in folder.iterdir()
    }
