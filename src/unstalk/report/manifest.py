"""The evidence manifest: what was collected and checked, hashed, timed and signed.

A manifest (``format`` ``unstalk-evidence-manifest``, ``format_version`` 1)
covers one case folder: every regular file under it with its SHA-256 and size,
the result JSON the report was made from, the tool and feed versions, the UTC
times of the acquisition and of the manifest, and the optional case and
examiner fields. :func:`sign` writes it as one JSON file::

    {"manifest": {...}, "signature": {"algorithm": "Ed25519", "public_key": ...,
     "key_fingerprint": ..., "value": ...}}

The signature covers :func:`signed_bytes`: :data:`CONTEXT` followed by the
manifest object in canonical JSON (keys sorted, no whitespace, UTF-8). The file
itself is written in one fixed layout (keys sorted, two-space indent), so that
verification can also tell when a single byte outside the signed values changed.
docs/evidence.md describes every field.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field

from unstalk.errors import ReportError, UsageError
from unstalk.report.manifest_keys import fingerprint, public_raw

FORMAT = "unstalk-evidence-manifest"
FORMAT_VERSION = 1
CONTEXT = b"unstalk-evidence-manifest/1\n"
"""Signed before the manifest, so a signature cannot be taken for one over other data."""
ALGORITHM = "Ed25519"
_BLOCK = 1 << 20


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FileRole(StrEnum):
    """What a file is to the case, guessed from where it is and what it is called."""

    ACQUISITION = "acquisition"
    CAPTURE = "capture"
    RESULT = "result"
    REPORT = "report"
    OTHER = "other"


class ManifestFile(_Model):
    path: str
    """Relative to the case folder, ``/``-separated."""
    sha256: str
    size: int
    role: FileRole = FileRole.OTHER


class SkippedFile(_Model):
    """Something under the folder that was not hashed, and why (never left out silently)."""

    path: str
    reason: str


class ToolInfo(_Model):
    name: str = "unstalk"
    version: str


class FeedFile(_Model):
    name: str
    sha256: str
    size: int | None = None


class FeedRecord(_Model):
    """The indicator feed the check used."""

    name: str
    """Format and origin, e.g. ``echap (bundled)``."""
    version: str | None = None
    sha256: str | None = None
    """See :func:`feed_digest`."""
    files: tuple[FeedFile, ...] = ()
    known_from: str
    """Where these facts were read: ``report``, ``acquisition`` or ``feed-in-use``."""


class AcquisitionTimes(_Model):
    started_utc: str | None = None
    finished_utc: str | None = None
    known_from: str = ""
    """The file the times were read from."""


class CaseFields(_Model):
    case_id: str | None = None
    examiner: str | None = None
    organisation: str | None = None
    note: str | None = None


class ResultRef(_Model):
    path: str
    sha256: str
    schema_id: str | None = Field(default=None, alias="schema")


class Manifest(_Model):
    format: Literal["unstalk-evidence-manifest"] = "unstalk-evidence-manifest"
    format_version: Literal[1] = 1
    tool: ToolInfo
    feed: FeedRecord | None = None
    created_utc: str
    acquisition: AcquisitionTimes | None = None
    case: CaseFields = Field(default_factory=CaseFields)
    result: ResultRef
    files: tuple[ManifestFile, ...]
    skipped: tuple[SkippedFile, ...] = ()
    notes: tuple[str, ...] = ()
    """What building the manifest noticed, e.g. how the acquisition's own hash list compared."""


class SignatureBlock(_Model):
    algorithm: Literal["Ed25519"]
    public_key: str
    """The 32 raw bytes, base64."""
    key_fingerprint: str
    """SHA-256 of the raw public key, hex."""
    value: str
    """The 64-byte signature, base64."""


class SignedManifest(_Model):
    manifest: Manifest
    signature: SignatureBlock


def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with ``Z``; a naive time is taken as UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def canonical(value: object) -> bytes:
    """Canonical JSON: keys sorted, no whitespace, UTF-8 (what is signed)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def layout(value: object) -> bytes:
    """The one layout a manifest file is written in (checked byte for byte on verification)."""
    text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode()


def manifest_value(manifest: Manifest) -> dict[str, object]:
    value: dict[str, object] = manifest.model_dump(mode="json", by_alias=True)
    return value


def signed_bytes(manifest_object: object) -> bytes:
    return CONTEXT + canonical(manifest_object)


def sign(manifest: Manifest, key: Ed25519PrivateKey) -> bytes:
    """The signed manifest file's bytes."""
    value = manifest_value(manifest)
    raw = public_raw(key)
    signature = {
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(raw).decode("ascii"),
        "key_fingerprint": fingerprint(raw),
        "value": base64.b64encode(key.sign(signed_bytes(value))).decode("ascii"),
    }
    return layout({"manifest": value, "signature": signature})


def feed_digest(files: Sequence[FeedFile]) -> str:
    """One SHA-256 for a feed: over its ``SHA256SUMS``-style list, sorted by file name."""
    lines = "".join(f"{f.sha256}  {f.name}\n" for f in sorted(files, key=lambda f: f.name))
    return hashlib.sha256(lines.encode()).hexdigest()


def sha256_file(path: Path) -> tuple[str, int]:
    """(hex digest, size), read in blocks so a large capture never fills memory."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def relative_name(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` in ``/`` form, or None when it is outside or not UTF-8."""
    try:
        name = path.resolve().relative_to(root.resolve()).as_posix()
        name.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return None
    return name


def walk(root: Path) -> Iterator[tuple[str, Path | None, str]]:
    """Every entry under ``root`` as (name, regular file or None, reason it was not hashed).

    Symbolic links are never followed: what they point to is not part of the folder.
    """
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                yield _name(base / name, root), None, "symbolic link to a folder, not followed"
        for name in sorted(files):
            path = base / name
            shown = _name(path, root)
            if path.is_symlink():
                yield shown, None, "symbolic link, not followed"
            elif not path.is_file():
                yield shown, None, "not a regular file"
            else:
                yield shown, path, ""


def _name(path: Path, root: Path) -> str:
    relative = path.relative_to(root).as_posix()
    return relative.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def is_safe_name(name: str) -> bool:
    """A manifest path that stays inside the folder: relative, no ``..``, no empty part."""
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name


def guess_role(name: str, result: str) -> FileRole:
    if name == result:
        return FileRole.RESULT
    lower = name.lower()
    if lower.endswith((".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz", ".cap")):
        return FileRole.CAPTURE
    if lower.endswith((".html", ".pdf", ".csv")):
        return FileRole.REPORT
    if lower.endswith(".json") and "/" not in name:
        return FileRole.RESULT
    return FileRole.ACQUISITION


def hash_folder(
    root: Path, *, result: str, exclude: frozenset[str] = frozenset()
) -> tuple[tuple[ManifestFile, ...], tuple[SkippedFile, ...]]:
    """Hash every regular file under ``root`` except ``exclude`` (names relative to it)."""
    files: list[ManifestFile] = []
    skipped: list[SkippedFile] = []
    for name, path, reason in walk(root):
        if name in exclude:
            continue
        if path is None or "\ufffd" in name:
            skipped.append(SkippedFile(path=name, reason=reason or "file name is not UTF-8"))
            continue
        try:
            digest, size = sha256_file(path)
        except OSError as e:
            skipped.append(SkippedFile(path=name, reason=f"cannot be read ({e.strerror or e})"))
            continue
        role = guess_role(name, result)
        files.append(ManifestFile(path=name, sha256=digest, size=size, role=role))
    return tuple(files), tuple(skipped)


def check_case_folder(root: Path, result: Path) -> str:
    """The result's name inside ``root``; :class:`UsageError` when it is not there."""
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder.", advice="Give the case folder to cover.")
    name = relative_name(result, root)
    if name is None or not result.is_file():
        raise UsageError(
            f"{result} is not a file inside {root}.",
            advice="Copy the result JSON into the case folder, so the manifest covers it.",
        )
    return name


def result_schema(data: bytes) -> str | None:
    """The ``schema`` a result JSON declares, when it is readable JSON with one."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    schema = value.get("schema") if isinstance(value, dict) else None
    return schema if isinstance(schema, str) else None


def read_limited(path: Path, limit: int) -> bytes:
    """Read ``path`` if it is at most ``limit`` bytes, else :class:`ReportError`."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise ReportError(f"{path}: cannot be read ({e.strerror or e}).") from e
    if len(data) > limit:
        raise ReportError(f"{path} is larger than {limit // (1 << 20)} MiB, too large to read.")
    return data
