"""APK signing in pure Python: v1 (JAR), and v2 / v3 APK Signature Scheme blocks.

v1 signs entry digests listed in META-INF/MANIFEST.MF through CERT.SF and a detached PKCS#7
signature (CERT.RSA or CERT.EC). v2 and v3 sign chunked SHA-256 digests of the whole file
and sit in the APK Signing Block, inserted just before the central directory. The layouts
follow AOSP apksig (ApkSigningBlockUtils, V2SchemeSigner, V3SchemeSigner); ``apksigner
verify`` is the oracle in tests/apk/test_builder.py.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterable, Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from tests.apk.builder.keys import SigningKey

V2_BLOCK_ID = 0x7109871A
V3_BLOCK_ID = 0xF05368C0
STRIPPING_PROTECTION_ATTR_ID = 0xBEEFF00D
SIGNING_BLOCK_MAGIC = b"APK Sig Block 42"
RSA_PKCS1_SHA256 = 0x0103
ECDSA_SHA256 = 0x0201
CHUNK_SIZE = 1024 * 1024
V3_MIN_SDK = 28
V3_MAX_SDK = 0x7FFFFFFF
CREATED_BY = "1.0 (unstalk test builder)"


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _manifest_line(line: str) -> bytes:
    """One manifest attribute, wrapped at 72 bytes with continuation lines (JAR spec)."""
    raw = line.encode("utf-8")
    parts = [raw[:72]] + [b" " + raw[i : i + 71] for i in range(72, len(raw), 71)]
    return b"".join(part + b"\r\n" for part in parts)


def jar_signature_files(
    entries: Sequence[tuple[str, bytes]], key: SigningKey, *, apk_schemes: Iterable[int] = ()
) -> list[tuple[str, bytes]]:
    """META-INF/MANIFEST.MF, CERT.SF and CERT.RSA/CERT.EC signing ``entries`` (name, data).

    ``apk_schemes`` lists the newer schemes (2, 3) the APK also carries; CERT.SF names them
    in X-Android-APK-Signed so a verifier can detect a stripped v2/v3 signature.
    """
    sections = {
        name: _manifest_line(f"Name: {name}")
        + _manifest_line(f"SHA-256-Digest: {_b64_sha256(data)}")
        + b"\r\n"
        for name, data in entries
    }
    main = _manifest_line("Manifest-Version: 1.0") + _manifest_line(f"Created-By: {CREATED_BY}")
    manifest = main + b"\r\n" + b"".join(sections.values())
    schemes = ", ".join(str(s) for s in apk_schemes)
    sf_main = (
        _manifest_line("Signature-Version: 1.0")
        + _manifest_line(f"Created-By: {CREATED_BY}")
        + _manifest_line(f"SHA-256-Digest-Manifest: {_b64_sha256(manifest)}")
        + (_manifest_line(f"X-Android-APK-Signed: {schemes}") if schemes else b"")
    )
    signature_file = sf_main + b"\r\n"
    for name, section in sections.items():
        signature_file += _manifest_line(f"Name: {name}")
        signature_file += _manifest_line(f"SHA-256-Digest: {_b64_sha256(section)}") + b"\r\n"
    block = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(signature_file)
        .add_signer(key.certificate, key.private_key, hashes.SHA256())
        .sign(
            Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.NoAttributes],
        )
    )
    return [
        ("META-INF/MANIFEST.MF", manifest),
        ("META-INF/CERT.SF", signature_file),
        (f"META-INF/CERT.{key.algorithm}", block),
    ]


def _lp(data: bytes) -> bytes:
    """uint32 little-endian length prefix, the building block of the signing block."""
    return struct.pack("<I", len(data)) + data


def _lp_seq(items: Iterable[bytes]) -> bytes:
    return _lp(b"".join(_lp(item) for item in items))


def _id_value(ident: int, value: bytes) -> bytes:
    return struct.pack("<I", ident) + _lp(value)


def _chunked_digest(sections: Sequence[bytes]) -> bytes:
    """apksig's CHUNKED_SHA256: per-1-MiB-chunk digests, then a digest over them."""
    digests = bytearray()
    count = 0
    for section in sections:
        view = memoryview(section)
        for start in range(0, len(section), CHUNK_SIZE):
            chunk = view[start : start + CHUNK_SIZE]
            digests += hashlib.sha256(b"\xa5" + struct.pack("<I", len(chunk)) + chunk).digest()
            count += 1
    return hashlib.sha256(b"\x5a" + struct.pack("<I", count) + digests).digest()


def _sign(key: SigningKey, data: bytes) -> tuple[int, bytes]:
    if isinstance(key.private_key, rsa.RSAPrivateKey):
        return RSA_PKCS1_SHA256, key.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return ECDSA_SHA256, key.private_key.sign(data, ec.ECDSA(hashes.SHA256()))


def _algorithm(key: SigningKey) -> int:
    return RSA_PKCS1_SHA256 if key.algorithm == "RSA" else ECDSA_SHA256


def _signer(key: SigningKey, digest: bytes, *, v3: bool, attributes: Sequence[bytes]) -> bytes:
    digests = _lp_seq([_id_value(_algorithm(key), digest)])
    certificates = _lp_seq([key.cert_der])
    sdk_range = struct.pack("<II", V3_MIN_SDK, V3_MAX_SDK) if v3 else b""
    signed_data = digests + certificates + sdk_range + _lp_seq(attributes)
    algorithm, signature = _sign(key, signed_data)
    return (
        _lp(signed_data)
        + sdk_range
        + _lp_seq([_id_value(algorithm, signature)])
        + _lp(key.public_key_der)
    )


def _end_of_central_directory(apk: bytes) -> tuple[int, int]:
    """(offset of the EOCD record, offset of the central directory) of an APK."""
    eocd = apk.rfind(b"PK\x05\x06", max(0, len(apk) - 0xFFFF - 22))
    if eocd < 0:
        raise ValueError("not a ZIP archive: no end of central directory record")
    (cd_offset,) = struct.unpack_from("<I", apk, eocd + 16)
    return eocd, cd_offset


def add_signing_block(apk: bytes, key: SigningKey, *, v2: bool, v3: bool) -> bytes:
    """Insert an APK Signing Block with v2 and/or v3 signatures by ``key`` into ``apk``."""
    eocd, cd_offset = _end_of_central_directory(apk)
    digest = _chunked_digest([apk[:cd_offset], apk[cd_offset:eocd], apk[eocd:]])
    pairs = []
    if v2:
        # Tells a v2-only verifier that a v3 signature was there, so stripping it shows.
        stripping = [struct.pack("<II", STRIPPING_PROTECTION_ATTR_ID, 3)] if v3 else []
        value = _lp_seq([_signer(key, digest, v3=False, attributes=stripping)])
        pairs.append((V2_BLOCK_ID, value))
    if v3:
        pairs.append((V3_BLOCK_ID, _lp_seq([_signer(key, digest, v3=True, attributes=[])])))
    body = b"".join(struct.pack("<QI", 4 + len(value), ident) + value for ident, value in pairs)
    size = struct.pack("<Q", len(body) + 8 + len(SIGNING_BLOCK_MAGIC))
    block = size + body + size + SIGNING_BLOCK_MAGIC
    new_eocd = bytearray(apk[eocd:])
    struct.pack_into("<I", new_eocd, 16, cd_offset + len(block))
    return apk[:cd_offset] + block + apk[cd_offset:eocd] + bytes(new_eocd)
