"""The hub's Ed25519 release key: made at the first release, or given as a file.

The private key is a PEM (PKCS#8) file readable by its owner only. Clients pin
the public half, given to them as 32 bytes in base64 (what ``unstalk feed
update --key`` reads, like a PEM public key).
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from unstalk.hub.errors import HubError


class ReleaseKeyError(HubError):
    status = 500


@dataclass(frozen=True, slots=True)
class ReleaseKey:
    private: Ed25519PrivateKey

    @property
    def public_base64(self) -> str:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    @property
    def public_pem(self) -> str:
        pem = self.private.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")

    def sign(self, data: bytes) -> bytes:
        """The signature as ``SHA256SUMS.sig`` holds it: base64 text and a newline."""
        return base64.b64encode(self.private.sign(data)) + b"\n"


def load_key(path: Path) -> ReleaseKey:
    try:
        loaded = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise ReleaseKeyError(
            f"The release signing key {path} cannot be read: {e}",
            advice="Give an unencrypted Ed25519 private key in PEM, or remove the file so that "
            "the hub makes a new one (clients must then be given the new public key).",
        ) from e
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ReleaseKeyError(f"The release signing key {path} is not an Ed25519 key.")
    return ReleaseKey(loaded)


def load_or_create_key(path: Path) -> ReleaseKey:
    """The key in ``path``, made (readable by its owner only) when there is none yet."""
    if path.exists():
        return load_key(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        # link() fails when the name exists, so two hubs making the first release at once
        # cannot both install a key, and nobody ever reads a half-written one.
        os.link(tmp, path)
    except FileExistsError:
        return load_key(path)
    except OSError as e:
        raise ReleaseKeyError(f"The release signing key cannot be written to {path}: {e}") from e
    finally:
        tmp.unlink(missing_ok=True)
    return ReleaseKey(key)
