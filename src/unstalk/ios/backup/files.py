"""The backup folder on disk: finding it, reading its files safely, hashing what is read.

Every read goes through :class:`BackupFiles`, which refuses paths that leave the
backup folder (a ``..`` in a name, a symbolic link pointing elsewhere), refuses
files larger than the caller's limit before reading them, and records the
SHA-256 of the bytes as stored on disk.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from unstalk.errors import BackupError

PLIST_LIMIT = 64 * 1024 * 1024
"""Largest plist read into memory; real Info.plist files with many app icons stay far below."""
DB_LIMIT = 2 * 1024 * 1024 * 1024
"""Largest encrypted Manifest.db decrypted in memory."""

MANIFEST_DB = "Manifest.db"
MANIFEST_PLIST = "Manifest.plist"
MANIFEST_MBDB = "Manifest.mbdb"
INFO_PLIST = "Info.plist"
STATUS_PLIST = "Status.plist"

_FILE_ID = re.compile(r"[0-9a-f]{40}")
_CHUNK = 1024 * 1024

NOT_A_BACKUP_ADVICE = (
    "Choose the folder named after the phone's identifier (40 or 25 characters) inside "
    "Apple's MobileSync/Backup folder, or the folder a backup tool wrote."
)


def locate_backup(folder: Path) -> Path:
    """Return the backup folder: ``folder`` itself, or its only backup sub-folder."""
    if not folder.is_dir():
        raise BackupError(
            f"{folder} is not a folder that exists.",
            path=str(folder),
            advice=NOT_A_BACKUP_ADVICE,
        )
    if _is_backup(folder):
        return _supported(folder)
    candidates = sorted(child for child in folder.iterdir() if child.is_dir() and _is_backup(child))
    if len(candidates) == 1:
        return _supported(candidates[0])
    if candidates:
        names = ", ".join(child.name for child in candidates)
        raise BackupError(
            f"{folder} holds {len(candidates)} backups ({names}).",
            path=str(folder),
            advice="Choose the one folder of the phone you want to check.",
        )
    raise BackupError(
        f"{folder} is not an iPhone backup: it has no Manifest.db and no Manifest.plist.",
        path=str(folder),
        advice=NOT_A_BACKUP_ADVICE,
    )


def _is_backup(folder: Path) -> bool:
    return any((folder / name).is_file() for name in (MANIFEST_DB, MANIFEST_PLIST, MANIFEST_MBDB))


def _supported(folder: Path) -> Path:
    if not (folder / MANIFEST_DB).is_file() and (folder / MANIFEST_MBDB).is_file():
        raise BackupError(
            f"{folder} is a backup made by iOS 9 or older (Manifest.mbdb): not supported.",
            path=str(folder),
            advice="Update the phone if it can be updated and make a new backup, "
            "or examine this backup with a forensic tool that reads the old format.",
        )
    return folder


def blob_path(file_id: str) -> str:
    """Where a Manifest.db row's content is stored, relative to the backup folder."""
    if not _FILE_ID.fullmatch(file_id):
        raise BackupError(
            f"Manifest.db names a file {file_id!r} that is not a SHA-1 file ID; it was not opened.",
            path=MANIFEST_DB,
        )
    return f"{file_id[:2]}/{file_id}"


class BackupFiles:
    """Bounded, hashed, confined reads of one backup folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.hashes: dict[str, str] = {}

    def path(self, relative: str) -> Path:
        """The file's path, refused when it (or a link on the way) leads out of the folder."""
        candidate = self.root / relative
        resolved = candidate.resolve()
        if ".." in Path(relative).parts or not resolved.is_relative_to(self.root):
            raise BackupError(
                f"{relative} points outside the backup folder; it was not read.",
                path=relative,
                advice="The backup may have been tampered with. Keep it as it is for evidence.",
            )
        return resolved

    def exists(self, relative: str) -> bool:
        return self.path(relative).is_file()

    def read(self, relative: str, limit: int = PLIST_LIMIT) -> bytes:
        """Read a whole file (at most ``limit`` bytes) and record its SHA-256."""
        target = self.path(relative)
        try:
            size = target.stat().st_size
            if size > limit:
                raise BackupError(
                    f"{relative} is {size} bytes, more than the {limit} bytes unstalk reads.",
                    path=relative,
                )
            data = target.read_bytes()
        except FileNotFoundError as e:
            raise BackupError(f"{relative} is missing from the backup.", path=relative) from e
        except OSError as e:
            raise BackupError(f"{relative} could not be read: {e.strerror}.", path=relative) from e
        self.hashes[relative] = hashlib.sha256(data).hexdigest()
        return data

    def hash_file(self, relative: str) -> Path:
        """Hash a file too large to hold in memory, streaming it; return its path."""
        target = self.path(relative)
        digest = hashlib.sha256()
        try:
            with target.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
        except OSError as e:
            raise BackupError(f"{relative} could not be read: {e.strerror}.", path=relative) from e
        self.hashes[relative] = digest.hexdigest()
        return target
