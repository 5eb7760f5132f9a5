"""Check a signed evidence manifest and name exactly what changed since it was signed.

The signature is checked first, over the manifest exactly as read, before any
of its content is trusted; then the file's layout byte for byte; then, when the
signing key must be a given one, the key; then every listed file is hashed again
under the case folder and the folder is searched for files the manifest does
not list. A manifest that is not JSON, or not a manifest at all, is a
:class:`ManifestFormatError`: it cannot be checked, so it never verifies.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from unstalk.errors import ReportError
from unstalk.report.manifest import (
    ALGORITHM,
    Manifest,
    is_safe_name,
    layout,
    sha256_file,
    signed_bytes,
    walk,
)
from unstalk.report.manifest_keys import fingerprint

MAX_MANIFEST = 256 << 20
"""Bytes: a manifest of a million files stays far below this."""


class ManifestFormatError(ReportError):
    """The manifest file cannot be read as a signed unstalk manifest."""


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """A listed file whose content is no longer what was signed."""

    path: str
    expected_sha256: str
    actual_sha256: str
    expected_size: int
    actual_size: int


@dataclass(frozen=True, slots=True)
class Verification:
    """What checking a manifest found; :attr:`ok` only when nothing at all changed."""

    signature_ok: bool
    signature_problem: str
    key_fingerprint: str
    expected_key_ok: bool | None
    """None when no expected key was given."""
    layout_changed: bool
    manifest: Manifest | None
    """The manifest's content; None when it could not be read after a bad signature."""
    checked: int = 0
    modified: tuple[ChangedFile, ...] = ()
    missing: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()
    unsafe: tuple[str, ...] = ()
    """Listed paths that point outside the case folder: never opened."""

    @property
    def ok(self) -> bool:
        return (
            self.signature_ok
            and self.expected_key_ok is not False
            and not self.layout_changed
            and self.manifest is not None
            and not (self.modified or self.missing or self.added or self.unreadable or self.unsafe)
        )


def _format_error(detail: str) -> ManifestFormatError:
    return ManifestFormatError(
        f"The manifest cannot be read: {detail}.",
        advice="It was damaged or altered, or it is not an evidence manifest written by "
        "'unstalk report manifest'. Compare it with a copy kept elsewhere.",
    )


def parse(data: bytes) -> dict[str, object]:
    """The manifest file's JSON object, with ``manifest`` and ``signature`` objects in it."""
    if len(data) > MAX_MANIFEST:
        raise _format_error("the file is too large to be a manifest")
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise _format_error(f"it is not UTF-8 text (byte {e.start})") from e
    except json.JSONDecodeError as e:
        raise _format_error(f"it is not valid JSON (line {e.lineno}, column {e.colno})") from e
    except RecursionError as e:
        raise _format_error("it nests too deeply") from e
    if not isinstance(value, dict):
        raise _format_error("it is not a JSON object")
    for part in ("manifest", "signature"):
        if not isinstance(value.get(part), dict):
            raise _format_error(f"it has no '{part}' object")
    return value


def check_signature(value: dict[str, object]) -> tuple[bool, str, bytes]:
    """(valid, what is wrong when not, the signing public key's raw bytes)."""
    block = value["signature"]
    if not isinstance(block, dict):
        return False, "the manifest has no signature", b""
    if block.get("algorithm") != ALGORITHM:
        return False, f"the signature algorithm is {block.get('algorithm')!r}, not Ed25519", b""
    try:
        raw = base64.b64decode(str(block.get("public_key", "")), validate=True)
        signature = base64.b64decode(str(block.get("value", "")), validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        return False, "the public key or the signature in the manifest is damaged", b""
    if block.get("key_fingerprint") != fingerprint(raw):
        return False, "the key fingerprint does not belong to the public key", raw
    try:
        public.verify(signature, signed_bytes(value["manifest"]))
    except InvalidSignature:
        return False, "the signature does not match the manifest's content", raw
    except (ValueError, TypeError):
        return False, "the manifest's content cannot be serialised to check it", raw
    return True, "", raw


def verify_manifest(
    data: bytes,
    root: Path,
    *,
    expected_key: bytes | None = None,
    manifest_name: str | None = None,
) -> Verification:
    """Check ``data`` (a signed manifest) against the case folder ``root``.

    ``manifest_name`` is the manifest's own name relative to ``root`` when it is
    kept inside the folder, so it is not reported as an added file.
    """
    value = parse(data)
    signature_ok, problem, raw = check_signature(value)
    layout_changed = layout(value) != data
    key_ok = None if expected_key is None else raw == expected_key
    try:
        manifest = Manifest.model_validate(value["manifest"])
    except ValidationError as e:
        if signature_ok:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "top level"
            raise _format_error(f"signed, but not a manifest this version reads ({where})") from e
        manifest = None
    shown = fingerprint(raw) if raw else ""
    base = Verification(signature_ok, problem, shown, key_ok, layout_changed, manifest)
    if manifest is None:
        return base
    return _check_files(base, manifest, root, manifest_name)


def _check_files(
    base: Verification, manifest: Manifest, root: Path, manifest_name: str | None
) -> Verification:
    modified: list[ChangedFile] = []
    missing: list[str] = []
    unreadable: list[tuple[str, str]] = []
    unsafe: list[str] = []
    for entry in manifest.files:
        if not is_safe_name(entry.path):
            unsafe.append(entry.path)
            continue
        path = root / entry.path
        if path.is_symlink():
            unreadable.append((entry.path, "it is now a symbolic link"))
            continue
        if not path.is_file():
            missing.append(entry.path)
            continue
        try:
            digest, size = sha256_file(path)
        except OSError as e:
            unreadable.append((entry.path, f"cannot be read ({e.strerror or e})"))
            continue
        if digest != entry.sha256 or size != entry.size:
            modified.append(ChangedFile(entry.path, entry.sha256, digest, entry.size, size))
    known = {f.path for f in manifest.files} | {s.path for s in manifest.skipped}
    if manifest_name is not None:
        known.add(manifest_name)
    added = [name for name, path, _ in walk(root) if path is not None and name not in known]
    return Verification(
        base.signature_ok,
        base.signature_problem,
        base.key_fingerprint,
        base.expected_key_ok,
        base.layout_changed,
        manifest,
        checked=len(manifest.files),
        modified=tuple(modified),
        missing=tuple(missing),
        added=tuple(added),
        unreadable=tuple(unreadable),
        unsafe=tuple(unsafe),
    )


def problems(result: Verification) -> list[str]:
    """One plain sentence per thing that changed, manifest first, then files by kind."""
    lines = []
    if not result.signature_ok:
        lines.append(f"The manifest was altered or damaged: {result.signature_problem}.")
    if result.layout_changed:
        lines.append("The manifest file's bytes differ from the layout unstalk writes.")
    if result.expected_key_ok is False:
        lines.append(
            f"The manifest was signed with another key (fingerprint {result.key_fingerprint})."
        )
    lines.extend(
        f"Modified: {c.path} (expected SHA-256 {c.expected_sha256}, {c.expected_size} bytes; "
        f"now {c.actual_sha256}, {c.actual_size} bytes)."
        for c in result.modified
    )
    lines.extend(f"Missing: {name}." for name in result.missing)
    lines.extend(f"Added (not in the manifest): {name}." for name in result.added)
    lines.extend(f"Could not check: {name}: {why}." for name, why in result.unreadable)
    lines.extend(f"Refused (points outside the folder): {name}." for name in result.unsafe)
    return lines
