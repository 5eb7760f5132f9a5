"""Pure plist helpers: bounded decoding, typed field access, and MBFile archives.

``Manifest.db`` stores each file's metadata as an ``NSKeyedArchiver`` binary
plist of an ``MBFile`` object: ``$objects`` is a flat list, ``$top.root`` is the
index (a ``UID``) of the MBFile dictionary, whose fields are scalars
(``Size``, ``Mode``, ``ProtectionClass``, ``LastModified``, ``Birth`` ...) or
``UID`` references into ``$objects`` (``RelativePath``, and ``EncryptionKey``
pointing to an ``NSMutableData`` dictionary holding ``NS.data``). Only that fixed
path is followed, so reference cycles in a hostile archive cannot loop.
"""

from __future__ import annotations

import plistlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.parsers.expat import ExpatError

from unstalk.errors import BackupError

PlistDict = Mapping[str, object]

_DECODE_ERRORS = (
    plistlib.InvalidFileException,
    ValueError,
    TypeError,
    LookupError,
    OverflowError,
    struct.error,
    ExpatError,
    RecursionError,
)


def load_dict(data: bytes, name: str) -> PlistDict:
    """Decode a plist (XML or binary) whose top level must be a dictionary."""
    try:
        value = plistlib.loads(data)
    except _DECODE_ERRORS as e:
        raise BackupError(f"{name} is damaged and could not be read ({e}).", path=name) from e
    if not isinstance(value, dict):
        raise BackupError(f"{name} is not a property list dictionary.", path=name)
    return value


def text(plist: PlistDict, key: str) -> str | None:
    value = plist.get(key)
    return value if isinstance(value, str) else None


def flag(plist: PlistDict, key: str) -> bool | None:
    value = plist.get(key)
    return value if isinstance(value, bool) else None


def integer(plist: PlistDict, key: str) -> int | None:
    value = plist.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def data(plist: PlistDict, key: str) -> bytes | None:
    value = plist.get(key)
    return value if isinstance(value, bytes) else None


def sub_dict(plist: PlistDict, key: str) -> PlistDict:
    value = plist.get(key)
    return value if isinstance(value, dict) else {}


def dict_items(plist: PlistDict, key: str) -> list[tuple[str, PlistDict]]:
    """The ``str -> dict`` entries of a dictionary value, skipping anything else."""
    return [(k, v) for k, v in sub_dict(plist, key).items() if isinstance(v, dict)]


def date(plist: PlistDict, key: str) -> datetime | None:
    """A plist date as timezone-aware UTC (plistlib returns naive UTC datetimes)."""
    value = plist.get(key)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def scalar_text(value: object) -> str | None:
    """A plist scalar as text for a report; ``None`` for containers and data."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.isoformat()
    return None


@dataclass(frozen=True, slots=True)
class MBFile:
    """The fields of a Manifest.db ``file`` column unstalk uses."""

    size: int | None = None
    mode: int | None = None
    protection_class: int | None = None
    encryption_key: bytes | None = None
    """4-byte little-endian protection class, then the AES-wrapped file key."""
    last_modified: int | None = None


def decode_mbfile(blob: bytes, name: str) -> MBFile:
    """Decode one ``file`` column (an NSKeyedArchiver MBFile)."""
    archive = load_dict(blob, name)
    objects = archive.get("$objects")
    top = sub_dict(archive, "$top").get("root")
    if not isinstance(objects, list) or not isinstance(top, plistlib.UID):
        raise BackupError(f"{name} is not an NSKeyedArchiver archive.", path=name)
    root = _resolve(objects, top)
    if not isinstance(root, dict):
        raise BackupError(f"{name} does not hold an MBFile.", path=name)
    key = _resolve(objects, root.get("EncryptionKey"))
    if isinstance(key, dict):
        key = key.get("NS.data")
    return MBFile(
        size=integer(root, "Size"),
        mode=integer(root, "Mode"),
        protection_class=integer(root, "ProtectionClass"),
        encryption_key=key if isinstance(key, bytes) else None,
        last_modified=integer(root, "LastModified"),
    )


def _resolve(objects: list[object], value: object) -> object:
    if isinstance(value, plistlib.UID):
        return objects[value.data] if 0 <= value.data < len(objects) else None
    return value
