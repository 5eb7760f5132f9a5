"""The backup keybag (Manifest.plist ``BackupKeyBag``) and unlocking it with the password.

The keybag is a run of TLV blocks: a 4-byte ASCII tag, a 4-byte big-endian
length, then the value (4-byte values are big-endian integers). The header
blocks are ``VERS``, ``TYPE``, ``UUID``, ``HMCK``, ``WRAP``, ``SALT``, ``ITER``
and, since iOS 10.2, ``DPWT``, ``DPIC``, ``DPSL``. Each later ``UUID`` starts a
class key block: ``CLAS`` (protection class), ``WRAP`` (2 = wrapped with the
password key), ``KTYP``, ``WPKY`` (the RFC 3394 wrapped class key).

The password key is PBKDF2-HMAC-SHA1(``ITER``, ``SALT``) of
PBKDF2-HMAC-SHA256(``DPIC``, ``DPSL``) of the password; backups older than
iOS 10.2 have no ``DPSL`` and skip the SHA-256 round. The iteration counts are
honoured as written, within limits that stop a hostile keybag from running for
hours.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from unstalk.errors import BackupError

WRAP_PASSCODE = 2
_CLASS_TAGS = frozenset({"CLAS", "WRAP", "KTYP", "WPKY", "PBKY"})
_MAX_DPIC = 100_000_000
"""Ten times what iOS writes (10,000,000)."""
_MAX_ITER = 10_000_000
"""A thousand times what iOS writes (10,000)."""

WRONG_PASSWORD = "The password is not this backup's."
WRONG_PASSWORD_ADVICE = (
    "Type the password that was set to encrypt backups in Finder or iTunes (it is not the "
    "phone's passcode). If nobody knows it, the phone can reset it: Settings > General > "
    "Transfer or Reset > Reset > Reset All Settings, then make a new encrypted backup."
)


@dataclass(slots=True)
class ClassKey:
    protection_class: int
    wrap: int = 0
    wrapped_key: bytes = b""


@dataclass(slots=True)
class Keybag:
    attributes: dict[str, bytes | int] = field(default_factory=dict)
    class_keys: dict[int, ClassKey] = field(default_factory=dict)


def _blocks(blob: bytes) -> list[tuple[str, bytes]]:
    blocks: list[tuple[str, bytes]] = []
    offset = 0
    while offset < len(blob):
        if offset + 8 > len(blob):
            raise BackupError("The backup keybag is truncated.", path="Manifest.plist")
        tag = blob[offset : offset + 4].decode("ascii", "replace")
        (length,) = struct.unpack(">I", blob[offset + 4 : offset + 8])
        value = blob[offset + 8 : offset + 8 + length]
        if len(value) != length:
            raise BackupError("The backup keybag is truncated.", path="Manifest.plist")
        blocks.append((tag, value))
        offset += 8 + length
    return blocks


def parse_keybag(blob: bytes) -> Keybag:
    """Split a keybag into its header attributes and its class keys."""
    keybag = Keybag()
    current: dict[str, bytes | int] | None = None
    pending: list[dict[str, bytes | int]] = []
    for tag, raw in _blocks(blob):
        value: bytes | int = struct.unpack(">I", raw)[0] if len(raw) == 4 else raw
        if tag == "UUID" and "UUID" in keybag.attributes:
            current = {}
            pending.append(current)
        elif current is not None and tag in _CLASS_TAGS:
            current[tag] = value
        elif current is None:
            keybag.attributes[tag] = value
    for block in pending:
        clas, wrap, wrapped = block.get("CLAS"), block.get("WRAP", 0), block.get("WPKY")
        if isinstance(clas, int) and isinstance(wrap, int) and isinstance(wrapped, bytes):
            keybag.class_keys[clas] = ClassKey(clas, wrap, wrapped)
    if not keybag.class_keys:
        raise BackupError("The backup keybag holds no class keys.", path="Manifest.plist")
    return keybag


def _attribute_int(keybag: Keybag, tag: str, ceiling: int) -> int:
    value = keybag.attributes.get(tag)
    if not isinstance(value, int) or not 0 < value <= ceiling:
        raise BackupError(
            f"The backup keybag's {tag} value is missing or out of range.",
            path="Manifest.plist",
            advice="The backup may be damaged or tampered with.",
        )
    return value


def _attribute_bytes(keybag: Keybag, tag: str) -> bytes | None:
    value = keybag.attributes.get(tag)
    return value if isinstance(value, bytes) else None


def password_key(keybag: Keybag, password: str) -> bytes:
    """Derive the key that unwraps the class keys (the slow step)."""
    secret = password.encode("utf-8")
    double_salt = _attribute_bytes(keybag, "DPSL")
    if double_salt is not None:
        rounds = _attribute_int(keybag, "DPIC", _MAX_DPIC)
        secret = hashlib.pbkdf2_hmac("sha256", secret, double_salt, rounds, 32)
    salt = _attribute_bytes(keybag, "SALT")
    if salt is None:
        raise BackupError("The backup keybag has no SALT.", path="Manifest.plist")
    rounds = _attribute_int(keybag, "ITER", _MAX_ITER)
    return hashlib.pbkdf2_hmac("sha1", secret, salt, rounds, 32)


def unlock(keybag: Keybag, password: str) -> dict[int, bytes]:
    """Unwrap every password-wrapped class key; a wrong password fails the first unwrap."""
    key = password_key(keybag, password)
    keys: dict[int, bytes] = {}
    for clas, class_key in keybag.class_keys.items():
        if not class_key.wrap & WRAP_PASSCODE:
            continue
        try:
            keys[clas] = aes_key_unwrap(key, class_key.wrapped_key)
        except (InvalidUnwrap, ValueError) as e:
            raise BackupError(WRONG_PASSWORD, advice=WRONG_PASSWORD_ADVICE) from e
    if not keys:
        raise BackupError("The backup keybag has no password-protected keys.")
    return keys
