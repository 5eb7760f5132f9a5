"""Encrypted backups: the keybag, the password, and decrypting Manifest.db and files."""

from __future__ import annotations

import plistlib
import struct
from pathlib import Path

import pytest

from tests.ios.backup.conftest import PASSWORD
from tests.ios.gen import SCENARIOS, write_backup
from tests.ios.gen.formats import Keybag, replace_tlv
from unstalk.errors import BackupError
from unstalk.ios.backup import read_backup
from unstalk.ios.backup.keybag import parse_keybag, unlock
from unstalk.ios.model import IosAcquisition, ParseStatus


def test_encrypted_backup_reads_like_the_plain_one(read: dict[str, IosAcquisition]) -> None:
    encrypted, plain = read["encrypted"], read["profiles"]
    assert encrypted.device.value is not None
    assert encrypted.device.value.backup_encrypted is True
    assert encrypted.apps == plain.apps
    assert encrypted.profiles.status is ParseStatus.OK
    assert [p.identifier for p in encrypted.profiles.value or ()] == [
        p.identifier for p in plain.profiles.value or ()
    ]
    assert encrypted.integrity == ()


def test_stored_bytes_are_ciphertext(read: dict[str, IosAcquisition]) -> None:
    root = Path(read["encrypted"].source)
    assert not (root / "Manifest.db").read_bytes().startswith(b"SQLite format 3")


def test_no_password_says_how_to_give_one(backups: dict[str, Path]) -> None:
    with pytest.raises(BackupError, match="This backup is encrypted") as caught:
        read_backup(backups["encrypted"])
    assert "--password-prompt" in caught.value.diagnostics()
    assert "does not store it" in caught.value.diagnostics()


def test_wrong_password(backups: dict[str, Path]) -> None:
    with pytest.raises(BackupError, match="The password is not this backup's") as caught:
        read_backup(backups["encrypted"], password="correct horse")
    assert "not the phone's passcode" in caught.value.diagnostics()


def test_keybag_holds_every_class_and_the_counts_it_was_written_with() -> None:
    written = Keybag("pw", iterations=3, double_iterations=5)
    keybag = parse_keybag(written.blob)
    assert set(keybag.class_keys) == set(range(1, 12))
    assert keybag.attributes["ITER"] == 3
    assert keybag.attributes["DPIC"] == 5
    assert unlock(keybag, "pw") == written.class_keys


def test_pre_10_2_keybag_without_double_protection_unlocks() -> None:
    written = Keybag("pw", double_protection=False)
    keybag = parse_keybag(written.blob)
    assert "DPSL" not in keybag.attributes
    assert unlock(keybag, "pw") == written.class_keys


def test_keybag_from_another_password_derivation_is_a_wrong_password() -> None:
    # A keybag whose DPSL was changed derives another key: the unwrap integrity check fails.
    blob = replace_tlv(Keybag("pw").blob, "DPSL", bytes(20))
    with pytest.raises(BackupError, match="not this backup's"):
        unlock(parse_keybag(blob), "pw")


def test_hostile_iteration_count_is_refused_quickly() -> None:
    blob = replace_tlv(Keybag("pw").blob, "DPIC", struct.pack(">I", 0xFFFFFFFF))
    with pytest.raises(BackupError, match="DPIC value is missing or out of range"):
        unlock(parse_keybag(blob), "pw")


def test_truncated_keybag(tmp_path: Path) -> None:
    folder = write_backup(tmp_path, SCENARIOS["benign"](), password=PASSWORD)
    manifest = plistlib.loads((folder / "Manifest.plist").read_bytes())
    manifest["BackupKeyBag"] = manifest["BackupKeyBag"][:-7]
    (folder / "Manifest.plist").write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    with pytest.raises(BackupError, match="keybag is truncated"):
        read_backup(folder, password=PASSWORD)
