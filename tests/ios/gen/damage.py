"""Damage a written backup the ways real ones get damaged (or tampered with)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.ios.gen.formats import file_id
from tests.ios.gen.scenarios import PROFILES, PROFILES_DOMAIN


def blob(folder: Path, domain: str, relative_path: str) -> Path:
    """Where a file's content is stored in the backup."""
    fid = file_id(domain, relative_path)
    return folder / fid[:2] / fid


def truncate_manifest_db(folder: Path) -> None:
    """Cut Manifest.db in half, as an interrupted copy does."""
    path = folder / "Manifest.db"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2 // 16 * 16])


def remove_profile_events(folder: Path) -> None:
    """Delete one listed file's content (a backup copied without all its sub-folders)."""
    blob(folder, PROFILES_DOMAIN, f"{PROFILES}/MCProfileEvents.plist").unlink()


def corrupt_info_plist(folder: Path) -> None:
    path = folder / "Info.plist"
    path.write_bytes(path.read_bytes()[:200])


def old_format(folder: Path) -> None:
    """Turn the folder into an iOS 9 style backup: Manifest.mbdb, no Manifest.db."""
    (folder / "Manifest.db").unlink()
    (folder / "Manifest.mbdb").write_bytes(b"mbdb\x05\x00")


def add_row(folder: Path, fid: str, domain: str, relative_path: str, blob: bytes) -> None:
    """Insert a Files row into an unencrypted backup's Manifest.db."""
    connection = sqlite3.connect(folder / "Manifest.db")
    with connection:
        connection.execute(
            "INSERT INTO Files VALUES (?, ?, ?, 1, ?)", (fid, domain, relative_path, blob)
        )
    connection.close()


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated-db": truncate_manifest_db,
    "missing-blobs": remove_profile_events,
    "corrupt-plist": corrupt_info_plist,
    "old-format": old_format,
}
