"""Reading one backed-up file's content: confined, bounded, hashed, decrypted when needed."""

from __future__ import annotations

from unstalk.errors import BackupError
from unstalk.ios.backup.crypto import decrypt, unwrap_key
from unstalk.ios.backup.files import PLIST_LIMIT, BackupFiles, blob_path
from unstalk.ios.backup.manifest import FLAG_FILE, FileRow
from unstalk.ios.backup.plists import decode_mbfile


class BlobReader:
    """Opens backed-up files by their Manifest.db row."""

    def __init__(self, files: BackupFiles, class_keys: dict[int, bytes] | None) -> None:
        self._files = files
        self._class_keys = class_keys
        self.missing: list[str] = []
        """Files Manifest.db lists that were asked for but are not in the folder."""

    def read(self, row: FileRow, limit: int = PLIST_LIMIT) -> bytes:
        """The file's plaintext; the hash recorded is that of the bytes stored on disk."""
        if row.flags != FLAG_FILE:
            raise BackupError(f"{row.where} is not a regular file in the backup.", path=row.where)
        stored = blob_path(row.file_id)
        if not self._files.exists(stored):
            self.missing.append(f"{row.where} ({stored})")
            raise BackupError(
                f"{row.where} (stored as {stored}) is missing from the backup folder.",
                path=stored,
            )
        raw = self._files.read(stored, limit)
        if self._class_keys is None:
            return raw
        if row.file is None:
            raise BackupError(f"Manifest.db has no metadata for {row.where}.", path=row.where)
        mbfile = decode_mbfile(row.file, f"Manifest.db metadata of {row.where}")
        if mbfile.encryption_key is None:
            raise BackupError(f"{row.where} has no encryption key in Manifest.db.", path=row.where)
        key = unwrap_key(self._class_keys, mbfile.encryption_key, row.where)
        return decrypt(key, raw, f"{row.where} ({stored})", mbfile.size)
