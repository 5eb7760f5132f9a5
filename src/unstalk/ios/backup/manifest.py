"""Manifest.plist (what the backup is) and Manifest.db (which files it holds).

Manifest.plist is a binary plist: ``IsEncrypted``, ``Version``, ``Date``,
``WasPasscodeSet``, ``Lockdown`` (``ProductVersion``, ``ProductType``,
``BuildVersion``, ``DeviceName``, ``UniqueDeviceID``, ``SerialNumber`` and the
lockdown domains the phone copied), ``Applications`` (bundle id ->
``CFBundleIdentifier``, ``CFBundleVersion``, ``Path``) and, when encrypted,
``BackupKeyBag`` and ``ManifestKey``.

Manifest.db (iOS 10 and later) is SQLite with ``Files(fileID TEXT PRIMARY KEY,
domain TEXT, relativePath TEXT, flags INTEGER, file BLOB)`` and
``Properties(key TEXT PRIMARY KEY, value BLOB)``. ``fileID`` is
SHA-1(domain + "-" + relativePath); ``flags`` is 1 for a file, 2 for a folder,
4 for a symbolic link; ``file`` is an MBFile archive (see :mod:`.plists`).
Encrypted backups encrypt the whole database with the ManifestKey.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from unstalk.errors import BackupError
from unstalk.ios.backup.crypto import decrypt, unwrap_key
from unstalk.ios.backup.files import DB_LIMIT, MANIFEST_DB, BackupFiles
from unstalk.ios.backup.plists import PlistDict, data, flag, sub_dict

FLAG_FILE = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"
_COLUMNS = ("fileID", "domain", "relativePath", "flags", "file")
_CORRUPT_ADVICE = (
    "Make a new backup of the phone. If this backup must be kept as evidence, keep it "
    "untouched and note that unstalk could not read its file list."
)


@dataclass(frozen=True, slots=True)
class ManifestPlist:
    is_encrypted: bool | None
    lockdown: PlistDict = field(default_factory=dict)
    applications: PlistDict = field(default_factory=dict)
    keybag: bytes | None = None
    manifest_key: bytes | None = None
    raw: PlistDict = field(default_factory=dict)


def parse_manifest_plist(plist: PlistDict) -> ManifestPlist:
    return ManifestPlist(
        is_encrypted=flag(plist, "IsEncrypted"),
        lockdown=sub_dict(plist, "Lockdown"),
        applications=sub_dict(plist, "Applications"),
        keybag=data(plist, "BackupKeyBag"),
        manifest_key=data(plist, "ManifestKey"),
        raw=plist,
    )


@dataclass(frozen=True, slots=True)
class FileRow:
    """One Manifest.db ``Files`` row."""

    file_id: str
    domain: str
    relative_path: str
    flags: int
    file: bytes | None

    @property
    def where(self) -> str:
        """``domain/relativePath``, the name a report shows."""
        return f"{self.domain}/{self.relative_path}" if self.relative_path else self.domain


def open_manifest_db(
    files: BackupFiles, class_keys: dict[int, bytes] | None, manifest_key: bytes | None
) -> sqlite3.Connection:
    """Open Manifest.db read-only; decrypt it in memory first when the backup is encrypted."""
    if not files.exists(MANIFEST_DB):
        raise BackupError(
            "Manifest.db is missing: the backup is incomplete.",
            path=MANIFEST_DB,
            advice=_CORRUPT_ADVICE,
        )
    if class_keys is None:
        path = files.hash_file(MANIFEST_DB)
        _check_magic(_head(path))
        uri = f"{path.as_uri()}?mode=ro&immutable=1"
        return _connect(lambda: sqlite3.connect(uri, uri=True))
    if manifest_key is None:
        raise BackupError(
            "Manifest.plist has no ManifestKey, so the encrypted Manifest.db cannot be opened.",
            path="Manifest.plist",
            advice=_CORRUPT_ADVICE,
        )
    key = unwrap_key(class_keys, manifest_key, "Manifest.plist ManifestKey")
    try:
        plain = decrypt(key, files.read(MANIFEST_DB, DB_LIMIT), MANIFEST_DB)
    except BackupError as e:
        raise BackupError(
            "Manifest.db is damaged: it could not be decrypted although the password is right.",
            path=MANIFEST_DB,
            advice=_CORRUPT_ADVICE,
        ) from e
    _check_magic(plain[:16])

    def deserialize() -> sqlite3.Connection:
        connection = sqlite3.connect(":memory:")
        connection.deserialize(plain)
        return connection

    return _connect(deserialize)


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(len(_SQLITE_MAGIC))


def _check_magic(head: bytes) -> None:
    if head != _SQLITE_MAGIC:
        raise BackupError(
            "Manifest.db is not an SQLite database: it is damaged, or the backup is "
            "encrypted and Manifest.plist does not say so.",
            path=MANIFEST_DB,
            advice=_CORRUPT_ADVICE,
        )


def _connect(opener: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
    try:
        connection = opener()
        columns = tuple(row[1] for row in connection.execute("PRAGMA table_info(Files)"))
    except sqlite3.Error as e:
        raise _corrupt(e) from e
    if columns[: len(_COLUMNS)] != _COLUMNS:
        connection.close()
        raise BackupError(
            "Manifest.db has no Files table in the iOS 10+ layout.",
            path=MANIFEST_DB,
            advice=_CORRUPT_ADVICE,
        )
    return connection


def _corrupt(error: sqlite3.Error) -> BackupError:
    return BackupError(
        f"Manifest.db is damaged and could not be read ({error}).",
        path=MANIFEST_DB,
        advice=_CORRUPT_ADVICE,
    )


def rows(connection: sqlite3.Connection) -> Iterator[FileRow]:
    """Stream every Files row; a damaged database raises BackupError part-way."""
    query = "SELECT fileID, domain, relativePath, flags, file FROM Files"
    try:
        with closing(connection.execute(query)) as cursor:
            for file_id, domain, relative, flags, blob in cursor:
                yield FileRow(
                    file_id=str(file_id),
                    domain=domain if isinstance(domain, str) else "",
                    relative_path=relative if isinstance(relative, str) else "",
                    flags=flags if isinstance(flags, int) else 0,
                    file=blob if isinstance(blob, bytes) else None,
                )
    except sqlite3.Error as e:
        raise _corrupt(e) from e
