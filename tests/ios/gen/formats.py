"""The binary pieces of a backup, written as iOS writes them.

- ``file_id``: SHA-1 of ``domain + "-" + relativePath``, hex.
- ``mbfile``: the NSKeyedArchiver binary plist stored in Manifest.db ``Files.file``.
- ``Keybag``: the ``BackupKeyBag`` TLV blob with password-wrapped class keys.
- ``encrypt`` / ``wrap``: AES-256-CBC (zero IV, PKCS#7) and the class-prefixed
  RFC 3394 wrapped keys of ``ManifestKey`` and ``EncryptionKey``.
"""

from __future__ import annotations

import hashlib
import plistlib
import random
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

MODE_FILE = 0o100644
MODE_DIR = 0o040755
CLASSES = tuple(range(1, 12))
"""Protection classes a backup keybag holds keys for."""


def file_id(domain: str, relative_path: str) -> str:
    return hashlib.sha1(f"{domain}-{relative_path}".encode()).hexdigest()


def mbfile(
    relative_path: str,
    *,
    size: int,
    mode: int,
    protection_class: int,
    mtime: int,
    encryption_key: bytes | None = None,
) -> bytes:
    """An MBFile archive as in Manifest.db (``$objects`` with UID references)."""
    root: dict[str, object] = {
        "$class": plistlib.UID(0),
        "Birth": mtime,
        "Flags": 0,
        "GroupID": 501,
        "InodeNumber": 100000 + size,
        "LastModified": mtime,
        "LastStatusChange": mtime,
        "Mode": mode,
        "ProtectionClass": protection_class,
        "RelativePath": plistlib.UID(2),
        "Size": size,
        "UserID": 501,
    }
    objects: list[object] = ["$null", root, relative_path]
    if encryption_key is not None:
        root["EncryptionKey"] = plistlib.UID(len(objects))
        objects.append({"$class": plistlib.UID(len(objects) + 1), "NS.data": encryption_key})
        objects.append(
            {"$classname": "NSMutableData", "$classes": ["NSMutableData", "NSData", "NSObject"]}
        )
    root["$class"] = plistlib.UID(len(objects))
    objects.append({"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]})
    archive = {
        "$version": 100000,
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": plistlib.UID(1)},
        "$objects": objects,
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def _tlv(tag: str, value: bytes | int) -> bytes:
    raw = struct.pack(">I", value) if isinstance(value, int) else value
    return tag.encode("ascii") + struct.pack(">I", len(raw)) + raw


@dataclass
class Keybag:
    """A backup keybag and its class keys, derived from a password."""

    password: str
    iterations: int = 10
    """ITER; iOS writes 10,000."""
    double_iterations: int = 10
    """DPIC; iOS writes 10,000,000."""
    double_protection: bool = True
    """Write ``DPWT``, ``DPIC`` and ``DPSL`` (iOS 10.2 and later); older keybags lack them."""
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    class_keys: dict[int, bytes] = field(init=False)
    blob: bytes = field(init=False)

    def __post_init__(self) -> None:
        salt, double_salt = self.rng.randbytes(20), self.rng.randbytes(20)
        first = self.password.encode()
        if self.double_protection:
            first = hashlib.pbkdf2_hmac("sha256", first, double_salt, self.double_iterations, 32)
        kek = hashlib.pbkdf2_hmac("sha1", first, salt, self.iterations, 32)
        self.class_keys = {clas: self.rng.randbytes(32) for clas in CLASSES}
        header = [
            _tlv("VERS", 4),
            _tlv("TYPE", 1),
            _tlv("UUID", self.rng.randbytes(16)),
            _tlv("HMCK", self.rng.randbytes(40)),
            _tlv("WRAP", 0),
            _tlv("SALT", salt),
            _tlv("ITER", self.iterations),
        ]
        if self.double_protection:
            header += [
                _tlv("DPWT", 1),
                _tlv("DPIC", self.double_iterations),
                _tlv("DPSL", double_salt),
            ]
        for clas, key in self.class_keys.items():
            header += [
                _tlv("UUID", self.rng.randbytes(16)),
                _tlv("CLAS", clas),
                _tlv("WRAP", 2),
                _tlv("KTYP", 0),
                _tlv("WPKY", aes_key_wrap(kek, key)),
            ]
        self.blob = b"".join(header)

    def wrap(self, protection_class: int, key: bytes) -> bytes:
        """``ManifestKey`` / ``EncryptionKey``: class (little-endian) + wrapped key."""
        wrapped = aes_key_wrap(self.class_keys[protection_class], key)
        return struct.pack("<I", protection_class) + wrapped


def encrypt(key: bytes, plain: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def replace_tlv(blob: bytes, tag: str, value: bytes) -> bytes:
    """The keybag with the first ``tag`` block's value replaced (to test hostile keybags)."""
    offset = 0
    while offset + 8 <= len(blob):
        (length,) = struct.unpack(">I", blob[offset + 4 : offset + 8])
        if blob[offset : offset + 4] == tag.encode("ascii"):
            return blob[:offset] + _tlv(tag, value) + blob[offset + 8 + length :]
        offset += 8 + length
    raise KeyError(tag)
