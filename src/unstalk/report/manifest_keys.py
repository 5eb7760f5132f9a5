"""The examiner's Ed25519 key: create it, store it safely, load it, and name it.

The private key is a PKCS#8 PEM file, written with permissions 0600 and,
when a passphrase is given, encrypted with it. The public key travels as its
32 raw bytes in base64; its fingerprint is the SHA-256 of those bytes in hex,
short enough to read out over the phone when two people compare keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from unstalk.errors import ReportError, UsageError

PUBLIC_KEY_BYTES = 32
MAX_KEY_FILE = 64 * 1024
"""A key file larger than this is not a key: refuse it rather than read it all."""


class KeyFileError(ReportError):
    """A key file cannot be read or used (wrong passphrase, not an Ed25519 key ...)."""


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return base64.b64encode(public_raw(key)).decode("ascii")


def fingerprint(raw_public: bytes) -> str:
    """SHA-256 of the raw public key, lowercase hex."""
    return hashlib.sha256(raw_public).hexdigest()


def write_private_key(path: Path, key: Ed25519PrivateKey, passphrase: bytes | None) -> None:
    """Write ``key`` as PEM to the new file ``path``, readable by its owner only."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    try:
        # O_EXCL: never overwrite an existing key; 0600 from the start, never readable by others.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as e:
        raise UsageError(
            f"{path} already exists.",
            advice="Give a new file name: an existing key is never overwritten.",
        ) from e
    except OSError as e:
        raise ReportError(f"{path}: cannot write the key ({e.strerror or e}).") from e
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def write_public_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write the public key as one base64 line (what ``--key`` reads)."""
    try:
        path.write_text(public_b64(key) + "\n", encoding="ascii")
    except OSError as e:
        raise ReportError(f"{path}: cannot write the public key ({e.strerror or e}).") from e


def _read_small(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_KEY_FILE + 1)
    except OSError as e:
        raise KeyFileError(f"{path}: cannot read the key file ({e.strerror or e}).") from e
    if len(data) > MAX_KEY_FILE:
        raise KeyFileError(f"{path} is too large to be a key file.")
    return data


def is_encrypted(path: Path) -> bool:
    return b"ENCRYPTED" in _read_small(path)


def load_private_key(path: Path, passphrase: bytes | None) -> Ed25519PrivateKey:
    """Load the examiner's private key; a wrong passphrase or another kind of key is refused."""
    data = _read_small(path)
    try:
        key = serialization.load_pem_private_key(data, password=passphrase or None)
    except TypeError as e:
        raise KeyFileError(
            f"{path} is protected by a passphrase, and none or one too many was given.",
            advice="Give the passphrase chosen when the key was made with 'unstalk report keygen'.",
        ) from e
    except (ValueError, UnsupportedAlgorithm) as e:
        raise KeyFileError(
            f"{path} cannot be read as a private key: the passphrase is wrong or the file is "
            "not a PEM private key.",
            advice="Use the private key file written by 'unstalk report keygen'.",
        ) from e
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(
            f"{path} holds a key of another kind; evidence manifests are signed with Ed25519.",
            advice="Make an Ed25519 key with 'unstalk report keygen'.",
        )
    return key


def parse_public_key(text: str) -> bytes:
    """32 raw public-key bytes from base64 (``keygen``'s output) or a PEM public key."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(stripped.encode("ascii", "replace"))
        except (ValueError, UnsupportedAlgorithm) as e:
            raise KeyFileError("The public key is not a readable PEM public key.") from e
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFileError("The public key is not an Ed25519 key.")
        return public_raw(key)
    try:
        raw = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError) as e:
        raise KeyFileError(
            "The public key is neither base64 nor PEM.",
            advice="Give the public key printed by 'unstalk report keygen', or its .pub file.",
        ) from e
    if len(raw) != PUBLIC_KEY_BYTES:
        raise KeyFileError(f"The public key has {len(raw)} bytes; an Ed25519 key has 32.")
    return raw


def read_public_key(value: str) -> bytes:
    """``value`` is a file holding the public key, or the base64 key itself."""
    path = Path(value)
    if path.is_file():
        return parse_public_key(_read_small(path).decode("ascii", "replace"))
    return parse_public_key(value)
