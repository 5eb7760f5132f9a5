"""Cryptographic checks of APK Signature Scheme v2/v3 signers.

Two checks, both as Android performs them: the signature over a signer's
signed data (one public-key operation per signature), and the content digests
(the whole APK hashed in 1 MiB chunks, once per digest algorithm however many
signers and schemes state it). Verity digests (a Merkle tree used for
incremental installs) are not recomputed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

CHUNK_SIZE = 1024 * 1024

KeyKind = Literal["RSA-PSS", "RSA", "EC", "DSA"]


@dataclass(frozen=True, slots=True)
class SignatureAlgorithm:
    """One of the signature algorithm IDs of the APK Signing Block."""

    name: str
    key: KeyKind
    digest: Literal["sha256", "sha512"]
    chunked: bool
    """False for the verity variants, whose content digest is a Merkle tree root."""


ALGORITHMS: dict[int, SignatureAlgorithm] = {
    0x0101: SignatureAlgorithm("RSASSA-PSS with SHA-256", "RSA-PSS", "sha256", True),
    0x0102: SignatureAlgorithm("RSASSA-PSS with SHA-512", "RSA-PSS", "sha512", True),
    0x0103: SignatureAlgorithm("RSASSA-PKCS1 v1.5 with SHA-256", "RSA", "sha256", True),
    0x0104: SignatureAlgorithm("RSASSA-PKCS1 v1.5 with SHA-512", "RSA", "sha512", True),
    0x0201: SignatureAlgorithm("ECDSA with SHA-256", "EC", "sha256", True),
    0x0202: SignatureAlgorithm("ECDSA with SHA-512", "EC", "sha512", True),
    0x0301: SignatureAlgorithm("DSA with SHA-256", "DSA", "sha256", True),
    0x0421: SignatureAlgorithm("RSASSA-PKCS1 v1.5 with SHA-256 (verity)", "RSA", "sha256", False),
    0x0423: SignatureAlgorithm("ECDSA with SHA-256 (verity)", "EC", "sha256", False),
    0x0425: SignatureAlgorithm("DSA with SHA-256 (verity)", "DSA", "sha256", False),
}

HASHES: dict[str, hashes.HashAlgorithm] = {
    "md5": hashes.MD5(),
    "sha1": hashes.SHA1(),
    "sha224": hashes.SHA224(),
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
"""Digests JAR signatures may use (v2/v3 use only SHA-256 and SHA-512)."""
DIGEST_NAMES = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha224": "SHA-224",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
}
_PSS_SALT = {"sha256": 32, "sha512": 64}


def signature_problem(
    public_key: bytes, algorithm: SignatureAlgorithm, signature: bytes, data: bytes
) -> str | None:
    """Return ``None`` when ``signature`` verifies over ``data``, else why it does not."""
    salt = _PSS_SALT[algorithm.digest] if algorithm.key == "RSA-PSS" else None
    return verify(public_key, algorithm.digest, signature, data, pss_salt=salt, expect=algorithm)


def verify(
    public_key: bytes,
    digest: str,
    signature: bytes,
    data: bytes,
    *,
    pss_salt: int | None = None,
    expect: SignatureAlgorithm | None = None,
) -> str | None:
    """Check a signature made with the key's own algorithm (RSA, ECDSA, DSA) and ``digest``.

    ``expect`` names the algorithm a record declares; a key of another type is a problem.
    """
    name = expect.name if expect else DIGEST_NAMES[digest]
    try:
        key = serialization.load_der_public_key(public_key)
    except (ValueError, UnsupportedAlgorithm) as e:
        return f"its public key cannot be read ({_first_line(e)})"
    chosen = HASHES[digest]
    try:
        if isinstance(key, rsa.RSAPublicKey) and _fits(expect, "RSA", "RSA-PSS"):
            key.verify(signature, data, _rsa_padding(chosen, pss_salt), chosen)
        elif isinstance(key, ec.EllipticCurvePublicKey) and _fits(expect, "EC"):
            key.verify(signature, data, ec.ECDSA(chosen))
        elif isinstance(key, dsa.DSAPublicKey) and _fits(expect, "DSA"):
            key.verify(signature, data, chosen)
        else:
            return f"its {name} signature does not match its public key type"
    except InvalidSignature:
        return f"its {name} signature does not verify (the signed data was altered or forged)"
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        return f"its {name} signature could not be checked ({_first_line(e)})"
    return None


def _fits(expect: SignatureAlgorithm | None, *kinds: str) -> bool:
    return expect is None or expect.key in kinds


def _rsa_padding(chosen: hashes.HashAlgorithm, salt: int | None) -> padding.AsymmetricPadding:
    if salt is not None:
        return padding.PSS(mgf=padding.MGF1(chosen), salt_length=salt)
    return padding.PKCS1v15()


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:160] if lines else type(error).__name__


class ContentDigester:
    """Compute the chunked content digests of one APK, each algorithm at most once.

    The digested content is everything before the APK Signing Block, the
    central directory, and the end-of-directory record with its central
    directory offset replaced by the signing block's offset (the block itself
    is not covered, so signatures can be added without invalidating others).
    """

    def __init__(self, data: bytes, block_offset: int, cd_offset: int, eocd_offset: int) -> None:
        view = memoryview(data)
        eocd = bytearray(view[eocd_offset:])
        if len(eocd) >= 20:
            eocd[16:20] = (block_offset & 0xFFFFFFFF).to_bytes(4, "little")
        self._sections = (view[:block_offset], view[cd_offset:eocd_offset], memoryview(eocd))
        self._done: dict[str, bytes] = {}

    def digest(self, name: Literal["sha256", "sha512"]) -> bytes:
        if name not in self._done:
            self._done[name] = self._compute(name)
        return self._done[name]

    def _compute(self, name: str) -> bytes:
        chunk_digests: list[bytes] = []
        for section in self._sections:
            for start in range(0, len(section), CHUNK_SIZE):
                chunk = section[start : start + CHUNK_SIZE]
                h = hashlib.new(name, b"\xa5" + len(chunk).to_bytes(4, "little"))
                h.update(chunk)
                chunk_digests.append(h.digest())
        top = hashlib.new(name, b"\x5a" + len(chunk_digests).to_bytes(4, "little"))
        top.update(b"".join(chunk_digests))
        return top.digest()
