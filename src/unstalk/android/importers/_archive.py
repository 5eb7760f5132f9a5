"""Reading an acquisition's files from a folder or a zip, safely, and checking its hashes.

A zip is never extracted to disk: members are read into memory or streamed
through SHA-256, each within a size limit, so a zip bomb or a hostile name
(``../../x``, ``/etc/x``, ``C:\\x``) cannot fill the disk, exhaust memory or
reach outside the archive. A folder is read without following symbolic links.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from unstalk.errors import Error

MAX_MEMBERS = 200_000
"""More files than any phone acquisition holds: beyond it the input is refused."""
TEXT_LIMIT = 512 * 1024 * 1024
"""Largest text output read into memory (a full bugreport is 30 to 300 MB)."""
JSON_LIMIT = 64 * 1024 * 1024
HASH_LIMIT = 8 * 1024 * 1024 * 1024
"""Largest single file hashed (an APK with its resources stays far below)."""
TOTAL_LIMIT = 64 * 1024 * 1024 * 1024
"""Most bytes read from one archive in all, so a zip bomb ends in an error, not a hang."""
_MAX_RATIO = 1100
"""Deflate cannot compress more than about 1032 to 1: a larger claimed ratio is a bomb."""
_CHUNK = 1 << 20
_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
"""Files a desktop adds when a folder is opened; never part of an acquisition."""


class AcquisitionFileError(Error):
    """An acquisition folder or archive could not be read as one."""


class NotAnAcquisitionError(AcquisitionFileError):
    """The path is not an acquisition unstalk can import."""


class UnsafeArchiveError(AcquisitionFileError):
    """A zip holds something unstalk refuses to read (a bomb, a hostile name, encryption)."""


class IntegrityError(AcquisitionFileError):
    """Files of the acquisition do not match the hashes recorded when it was made."""


@dataclass
class Budget:
    """Bytes still allowed to be read from one archive."""

    left: int = TOTAL_LIMIT

    def spend(self, size: int, label: str) -> None:
        self.left -= size
        if self.left < 0:
            raise UnsafeArchiveError(
                f"{label}: unstalk stopped reading after {TOTAL_LIMIT // 2**30} GiB.",
                advice="The archive is far larger than any phone acquisition; it may be a "
                "zip bomb. Check that it is the file you meant to open.",
            )


class Archive(ABC):
    """The files of one acquisition, by their path relative to its top folder."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.budget = Budget()

    @abstractmethod
    def names(self) -> frozenset[str]:
        """Every file, as a relative ``/``-separated path."""

    @abstractmethod
    def size(self, name: str) -> int: ...

    @abstractmethod
    def _open(self, name: str) -> IO[bytes]: ...

    @abstractmethod
    def close(self) -> None:
        """Release the underlying file, if any."""

    def read(self, name: str, limit: int = TEXT_LIMIT) -> bytes:
        """One file's bytes; refused when larger than ``limit``."""
        size = self.size(name)
        if size > limit:
            raise UnsafeArchiveError(
                f"{self.label}: {name} is {size} bytes, more than the {limit} unstalk reads.",
                advice="An output this large is not what a phone prints; the archive may be "
                "damaged or built to harm the computer reading it.",
            )
        self.budget.spend(size, self.label)
        with self._open(name) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise UnsafeArchiveError(f"{self.label}: {name} is larger than it claims to be.")
        return data

    def sha256(self, name: str) -> str:
        """The SHA-256 of one file, streamed (never held in memory whole)."""
        size = self.size(name)
        if size > HASH_LIMIT:
            raise UnsafeArchiveError(f"{self.label}: {name} is too large to hash ({size} bytes).")
        self.budget.spend(size, self.label)
        digest = hashlib.sha256()
        with self._open(name) as handle:
            for block in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(block)
        return digest.hexdigest()


class FolderArchive(Archive):
    """An acquisition folder on disk; symbolic links are left out, never followed."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root))
        self._root = root
        self._names = frozenset(self._walk())

    def _walk(self) -> Iterator[str]:
        count = 0
        # followlinks=False: a linked folder is listed but never entered.
        for folder, _dirs, files in os.walk(self._root, followlinks=False):
            for name in files:
                path = Path(folder) / name
                if name in _JUNK or path.is_symlink() or not path.is_file():
                    continue
                count += 1
                if count > MAX_MEMBERS:
                    raise UnsafeArchiveError(f"{self.label} holds more than {MAX_MEMBERS} files.")
                yield path.relative_to(self._root).as_posix()

    def names(self) -> frozenset[str]:
        return self._names

    def size(self, name: str) -> int:
        return self._path(name).stat().st_size

    def _open(self, name: str) -> IO[bytes]:
        return self._path(name).open("rb")

    def close(self) -> None:
        """Nothing to release: each file is opened and closed as it is read."""

    def _path(self, name: str) -> Path:
        if name not in self._names:
            raise KeyError(name)
        return self._root / name


class ZipArchive(Archive):
    """A zip, read member by member in memory; its single top folder, if any, is left out."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise NotAnAcquisitionError(
                f"{path} is not a readable zip file ({e}).",
                advice="If it was copied or downloaded, copy it again: it may be cut short.",
            ) from e
        try:
            self._members = _members(self._zip, self.label)
        except UnsafeArchiveError:
            self._zip.close()
            raise

    def names(self) -> frozenset[str]:
        return frozenset(self._members)

    def size(self, name: str) -> int:
        return self._members[name].file_size

    def _open(self, name: str) -> IO[bytes]:
        info = self._members[name]
        try:
            return self._zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as e:
            raise UnsafeArchiveError(f"{self.label}: {name} cannot be read ({e}).") from e

    def read(self, name: str, limit: int = TEXT_LIMIT) -> bytes:
        try:
            return super().read(name, limit)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise UnsafeArchiveError(f"{self.label}: {name} is damaged ({e}).") from e

    def sha256(self, name: str) -> str:
        try:
            return super().sha256(name)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise UnsafeArchiveError(f"{self.label}: {name} is damaged ({e}).") from e

    def close(self) -> None:
        self._zip.close()


def _safe_name(raw: str, label: str) -> str:
    name = raw.replace("\\", "/")
    parts = PurePosixPath(name).parts
    hostile = (
        "\x00" in name
        or name.startswith("/")
        or ".." in parts
        or (len(name) > 1 and name[1] == ":")
    )
    if hostile:
        raise UnsafeArchiveError(
            f"{label} holds a file named {raw!r}, which points outside the archive.",
            advice="unstalk does not read archives built to write outside their folder.",
        )
    return "/".join(part for part in parts if part not in ("", "."))


def _members(archive: zipfile.ZipFile, label: str) -> dict[str, zipfile.ZipInfo]:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > MAX_MEMBERS:
        raise UnsafeArchiveError(f"{label} holds more than {MAX_MEMBERS} files.")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = _safe_name(info.filename, label)
        if not name or name.rsplit("/", 1)[-1] in _JUNK or name.startswith("__MACOSX/"):
            continue
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(
                f"{label}: {name} is password-protected.",
                advice="Open the archive with its password and import the files in a folder.",
            )
        if info.file_size > _MAX_RATIO * max(info.compress_size, 1) and info.file_size > _CHUNK:
            raise UnsafeArchiveError(
                f"{label}: {name} claims to expand {info.file_size // max(info.compress_size, 1)}"
                " times, which only a zip bomb does.",
            )
        if name in members:
            raise UnsafeArchiveError(
                f"{label} holds two files named {name}: unstalk cannot tell which one is "
                "the evidence."
            )
        members[name] = info
    return _without_top_folder(members)


def _without_top_folder(members: dict[str, zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    """Drop a top folder every member shares (a zipped acquisition folder)."""
    tops = {name.split("/", 1)[0] for name in members}
    if len(tops) != 1 or not all("/" in name for name in members):
        return members
    return {name.split("/", 1)[1]: info for name, info in members.items()}


def open_archive(path: Path) -> Archive:
    """The folder or zip at ``path``."""
    if path.is_dir():
        return FolderArchive(path)
    return ZipArchive(path)


@dataclass
class HashCheck:
    """What checking an acquisition's files against its own list of hashes found."""

    hashes: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Statements that are not failures (no manifest; a log written after hashing)."""


def check_hashes(
    archive: Archive,
    recorded: Mapping[str, str],
    known: Mapping[str, str],
    *,
    verify: bool,
    manifest: str,
) -> HashCheck:
    """Every file's SHA-256, compared with ``recorded`` (relative name to hex digest).

    ``known`` holds digests already computed from bytes read. With ``verify``, every
    file is hashed; without it, files not yet read keep their recorded value.
    """
    result = HashCheck()
    for name in sorted(archive.names()):
        if name in known:
            result.hashes[name] = known[name]
        elif verify or name not in recorded:
            result.hashes[name] = archive.sha256(name)
        else:
            result.hashes[name] = recorded[name].lower()
    for name, digest in sorted(recorded.items()):
        found = result.hashes.get(name)
        if found is None:
            result.problems.append(f"{name} is listed in {manifest} but is not in the acquisition")
        elif found != digest.lower():
            result.problems.append(
                f"{name} has changed: its SHA-256 is {found}, {manifest} records {digest.lower()}"
            )
    return result


def raise_or_keep(check: HashCheck, label: str, *, verify: bool, manifest: str) -> tuple[str, ...]:
    """Raise :class:`IntegrityError` for mismatches when verifying; else return them as notes."""
    if check.problems and verify:
        shown = "; ".join(check.problems[:5])
        more = len(check.problems) - 5
        raise IntegrityError(
            f"{label}: {len(check.problems)} file(s) do not match {manifest}: {shown}"
            + (f"; and {more} more" if more > 0 else ""),
            advice="The acquisition was changed or damaged after it was made. Use the original "
            "copy if you have it. To read it anyway, import it with --no-verify: the report "
            "will then say that its integrity could not be confirmed.",
        )
    return tuple(check.notes + [f"integrity not confirmed: {p}" for p in check.problems])
