"""Build APK Signing Blocks, signers and lineages byte by byte, for tests.

The layout follows AOSP apksig (ApkSigningBlockUtils, V2SchemeSigner,
V3SchemeSigner, V3SigningCertificateLineage): uint64-length-prefixed ID-value
pairs between two copies of the block size and the magic; inside a scheme,
uint32-length-prefixed little-endian records. Keys are fresh P-256 keys and
certificates are self-signed with cryptography, so signatures really verify
(or really fail when a test tampers with them).
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from unstalk.apk.model import Signing
from unstalk.apk.parsers.signing import read_signing
from unstalk.apk.parsers.zip import ApkZip

MAGIC = b"APK Sig Block 42"
V2_ID = 0x7109871A
V3_ID = 0xF05368C0
V31_ID = 0x1B93AD61
LINEAGE_ATTR_ID = 0x3BA06F8C
ECDSA_SHA256 = 0x0201
MAX_SDK = 0x7FFFFFFF


def lp(data: bytes) -> bytes:
    """A uint32 length prefix, then the data."""
    return struct.pack("<I", len(data)) + data


def seq(items: Iterable[bytes]) -> bytes:
    """A length-prefixed sequence of length-prefixed items."""
    return lp(b"".join(lp(item) for item in items))


def pairs(entries: Sequence[tuple[int, bytes]]) -> bytes:
    """The ID-value pairs of a signing block."""
    return b"".join(struct.pack("<QI", len(value) + 4, pid) + value for pid, value in entries)


def signing_block(body: bytes, *, size: int | None = None, head_size: int | None = None) -> bytes:
    """Wrap pair bytes into a block; ``size``/``head_size`` let a test make them lie."""
    real = len(body) + 24
    head = real if head_size is None else head_size
    foot = real if size is None else size
    return struct.pack("<Q", head) + body + struct.pack("<Q", foot) + MAGIC


def base_apk(files: dict[str, bytes] | None = None) -> bytes:
    """A small stored ZIP with a fake manifest and the given extra files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00" + b"\x00" * 60)
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


def insert_block(apk: bytes, block: bytes) -> bytes:
    """Put ``block`` right before the central directory and fix the EOCD's offset."""
    eocd = apk.rfind(b"PK\x05\x06")
    cd = struct.unpack_from("<I", apk, eocd + 16)[0]
    out = bytearray(apk[:cd] + block + apk[cd:])
    struct.pack_into("<I", out, eocd + len(block) + 16, cd + len(block))
    return bytes(out)


def apk_with_pairs(entries: Sequence[tuple[int, bytes]]) -> bytes:
    return insert_block(base_apk(), signing_block(pairs(entries)))


@dataclass(frozen=True)
class Identity:
    key: ec.EllipticCurvePrivateKey
    cert: bytes
    """DER of a self-signed certificate for ``key``."""
    spki: bytes

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))


@cache
def identity(common_name: str, organization: str = "Unstalk Test") -> Identity:
    """A P-256 key and a self-signed certificate (cached: key generation is the slow part)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x1234ABCD)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=9000))
        .sign(key, hashes.SHA256())
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Identity(key, cert.public_bytes(serialization.Encoding.DER), spki)


def signer(
    who: Identity,
    *,
    v3: bool = False,
    attributes: Sequence[bytes] = (),
    certificates: Sequence[bytes] | None = None,
    digest: bytes = b"\x00" * 32,
    min_sdk: int = 28,
    max_sdk: int = MAX_SDK,
    tamper: bool = False,
) -> bytes:
    """One v2 (or v3) signer record signed by ``who`` with ECDSA/SHA-256."""
    signed = seq([struct.pack("<I", ECDSA_SHA256) + lp(digest)])
    signed += seq([who.cert] if certificates is None else certificates)
    sdk = struct.pack("<II", min_sdk, max_sdk) if v3 else b""
    signed += sdk + seq(attributes)
    signature = who.sign(signed + (b"x" if tamper else b""))
    return lp(signed) + sdk + seq([struct.pack("<I", ECDSA_SHA256) + lp(signature)]) + lp(who.spki)


def lineage(chain: Sequence[Identity], *, tamper_at: int | None = None, version: int = 1) -> bytes:
    """A proof-of-rotation attribute value: each certificate signed by its predecessor."""
    out = struct.pack("<I", version)
    previous: Identity | None = None
    for index, who in enumerate(chain):
        signed = lp(who.cert) + struct.pack("<I", ECDSA_SHA256 if previous else 0)
        signature = previous.sign(signed) if previous else b""
        if index == tamper_at:
            signature = signature[:-1] + bytes([signature[-1] ^ 1])
        out += lp(lp(signed) + struct.pack("<II", 0, ECDSA_SHA256) + lp(signature))
        previous = who
    return out


def lineage_attribute(value: bytes) -> bytes:
    return struct.pack("<I", LINEAGE_ATTR_ID) + value


def read_crafted(apk: bytes, *, verify_digests: bool = False) -> Signing:
    """Read a crafted APK; content digests are skipped unless asked (crafted ones are fake)."""
    return read_signing(ApkZip.from_bytes(apk, path="crafted.apk"), verify_digests=verify_digests)
