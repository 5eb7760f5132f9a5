"""Decrypting an encrypted backup's Manifest.db and files with the unlocked class keys.

A wrapped key (Manifest.plist ``ManifestKey``, or an MBFile ``EncryptionKey``)
is a 4-byte little-endian protection class followed by an RFC 3394 wrapped
AES-256 key. Content is AES-256-CBC with an all-zero IV and PKCS#7 padding.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from unstalk.errors import BackupError

_BLOCK = 16
_ZERO_IV = bytes(_BLOCK)


def unwrap_key(class_keys: dict[int, bytes], wrapped: bytes, name: str) -> bytes:
    """Unwrap a class-prefixed key with the class key it names."""
    if len(wrapped) < 4 + 24:
        raise BackupError(f"The encryption key of {name} is too short.", path=name)
    (protection_class,) = struct.unpack("<I", wrapped[:4])
    class_key = class_keys.get(protection_class)
    if class_key is None:
        raise BackupError(
            f"{name} is encrypted with protection class {protection_class}, "
            "whose key the backup keybag does not hold.",
            path=name,
        )
    try:
        return aes_key_unwrap(class_key, wrapped[4:])
    except (InvalidUnwrap, ValueError) as e:
        raise BackupError(f"The encryption key of {name} could not be unwrapped.", path=name) from e


def decrypt(key: bytes, ciphertext: bytes, name: str, size: int | None = None) -> bytes:
    """AES-256-CBC decrypt with a zero IV; drop the padding (or cut to ``size``)."""
    if len(ciphertext) % _BLOCK:
        raise BackupError(
            f"{name} is not a whole number of AES blocks: it is truncated or damaged.", path=name
        )
    try:
        decryptor = Cipher(algorithms.AES(key), modes.CBC(_ZERO_IV)).decryptor()
    except ValueError as e:
        raise BackupError(f"{name} has an encryption key of the wrong size.", path=name) from e
    plain = decryptor.update(ciphertext) + decryptor.finalize()
    if size is not None and 0 <= size <= len(plain):
        return plain[:size]
    return _unpad(plain, name)


def _unpad(plain: bytes, name: str) -> bytes:
    if not plain:
        return plain
    pad = plain[-1]
    if not 1 <= pad <= _BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise BackupError(
            f"{name} did not decrypt cleanly: it is damaged or its key is wrong.", path=name
        )
    return plain[:-pad]
