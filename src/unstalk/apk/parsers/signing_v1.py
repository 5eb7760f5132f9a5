"""JAR signing (v1): ``META-INF/*.SF`` signature files and their PKCS#7 signature blocks.

A v1 signer is a signature file with a signature block of the same name
(``.RSA``, ``.DSA`` or ``.EC``), the pairing Android and apksigner use. The
signing certificate is the one the block's SignerInfo names by issuer and
serial number, not simply the first certificate of the block: a block may carry
other certificates first. Its chain follows, found by issuer name among the
block's certificates.

The SignerInfo's signature over the .SF file is verified (with its signed
attributes when present: content type and message digest), since Android picks
the first SignerInfo that verifies. The .SF digests of the manifest and the
manifest digests of every entry are not checked: that would mean inflating and
hashing the whole APK.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import islice

from asn1crypto import cms, core, x509  # type: ignore[import-untyped]

from unstalk.apk.model import Certificate, SignatureScheme, Signer
from unstalk.apk.parsers.certs import ASN1_ERRORS, certificate_from_der
from unstalk.apk.parsers.signing_verify import HASHES, verify
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError

SIGNATURE_BLOCK_EXTENSIONS = (".RSA", ".DSA", ".EC")
MAX_V1_SIGNERS = 32
MAX_BLOCK_SIZE = 1024 * 1024
MAX_SIGNATURE_FILE_SIZE = 64 * 1024 * 1024
"""A .SF file lists every entry of the APK; tens of thousands of entries make megabytes."""
MAX_BLOCK_CERTIFICATES = 64
MAX_SIGNER_INFOS = 8
MAIN_SECTION_SCAN = 64 * 1024
APK_SIGNED_HEADER = b"x-android-apk-signed:"
"""Main attribute naming the newer schemes the APK was also signed with (rollback guard)."""


@dataclass(frozen=True, slots=True)
class V1Signing:
    present: bool
    """True when the APK carries any JAR signature file or block."""
    signers: tuple[Signer, ...]
    claimed_schemes: frozenset[int]
    """Scheme numbers (2, 3) the signature files say were also used."""
    problems: tuple[str, ...]


def read_v1(zip: ApkZip) -> V1Signing:
    """Read every JAR signer of the APK; damaged ones become problems."""
    meta = [n for n in zip.names if n.startswith("META-INF/") and "/" not in n[9:]]
    signature_files = {n[:-3].upper(): n for n in meta if n.upper().endswith(".SF")}
    blocks = sorted(n for n in meta if n.upper().endswith(SIGNATURE_BLOCK_EXTENSIONS))
    out = _V1Reader(zip)
    if len(blocks) > MAX_V1_SIGNERS:
        out.problems.append(
            f"The APK has {len(blocks)} JAR signature blocks; only the first "
            f"{MAX_V1_SIGNERS} were read."
        )
    paired: set[str] = set()
    for block in blocks[:MAX_V1_SIGNERS]:
        stem = block[: block.rfind(".")].upper()
        signature_file = signature_files.get(stem)
        if signature_file is None:
            out.problems.append(f"{block} has no matching .SF signature file; Android ignores it.")
            continue
        paired.add(stem)
        out.read_signer(block, signature_file)
    out.problems.extend(
        f"{name} has no signature block (.RSA, .DSA or .EC); it signs nothing."
        for stem, name in sorted(signature_files.items())
        if stem not in paired and len(blocks) <= MAX_V1_SIGNERS
    )
    return V1Signing(
        bool(signature_files or blocks),
        tuple(out.signers),
        frozenset(out.claimed),
        tuple(out.problems),
    )


class _V1Reader:
    def __init__(self, zip: ApkZip) -> None:
        self.zip = zip
        self.signers: list[Signer] = []
        self.claimed: set[int] = set()
        self.problems: list[str] = []

    def read_signer(self, block: str, signature_file: str) -> None:
        try:
            content = self.zip.read(signature_file, limit=MAX_SIGNATURE_FILE_SIZE)
        except ApkError as e:
            self.problems.append(
                f"The JAR signature file {signature_file} cannot be read: {e.message}"
            )
            content = None
        try:
            certificates, problem = _block_certificates(
                self.zip.read(block, limit=MAX_BLOCK_SIZE), content
            )
        except ApkError as e:
            self.problems.append(f"The JAR signature block {block} cannot be read: {e.message}")
            return
        self.signers.append(Signer(SignatureScheme.V1, certificates))
        if problem:
            self.problems.append(f"The JAR signature {block}: {problem}.")
        if content is not None:
            self.claimed |= _claimed_schemes(content)


def _block_certificates(
    raw: bytes, signature_file: bytes | None
) -> tuple[tuple[Certificate, ...], str | None]:
    """The signer's chain, and why its signature over the .SF file fails (``None`` if it holds)."""
    try:
        chain, problem = _signer_chain(raw, signature_file)
        encoded = [cert.dump() for cert in chain]
    except ASN1_ERRORS as e:
        raise ApkError(f"it is not valid PKCS#7 signed data ({_reason(e)})") from e
    return tuple(certificate_from_der(der) for der in encoded), problem


def _reason(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:160] if lines else type(error).__name__


def _signer_chain(
    raw: bytes, signature_file: bytes | None
) -> tuple[list[x509.Certificate], str | None]:
    """Take the first SignerInfo whose signature verifies, as apksig does; else the first usable."""
    info = cms.ContentInfo.load(raw)
    if info["content_type"].native != "signed_data":
        raise ApkError("it is not PKCS#7 signed data")
    signed = info["content"]
    bag = _certificate_bag(signed["certificates"])
    if not bag:
        raise ApkError("it holds no certificate")
    fallback: tuple[x509.Certificate, str | None] | None = None
    for signer_info in islice(signed["signer_infos"], MAX_SIGNER_INFOS):
        cert = _find_signer(bag, signer_info["sid"])
        if cert is None:
            continue
        problem = _signer_info_problem(signer_info, cert, signature_file)
        if problem is None:
            return _chain(cert, bag), None
        fallback = fallback or (cert, problem)
    if fallback is None:
        raise ApkError("none of its certificates belongs to its signer")
    return _chain(fallback[0], bag), fallback[1]


def _signer_info_problem(
    signer_info: cms.SignerInfo, cert: x509.Certificate, signature_file: bytes | None
) -> str | None:
    if signature_file is None:
        return None
    try:
        return _verify_signer_info(signer_info, cert, signature_file)
    except ASN1_ERRORS as e:
        return f"its signer information is malformed ({_reason(e)})"


def _verify_signer_info(
    signer_info: cms.SignerInfo, cert: x509.Certificate, signature_file: bytes
) -> str | None:
    digest = signer_info["digest_algorithm"]["algorithm"].native
    if digest not in HASHES:
        return f"it uses a digest algorithm Android does not know ({digest})"
    attributes = signer_info["signed_attrs"]
    data = signature_file
    if isinstance(attributes, cms.CMSAttributes):
        values = {a["type"].native: a["values"] for a in attributes}
        if "content_type" not in values or values["content_type"][0].native != "data":
            return "its signed attributes do not declare plain data as the signed content"
        stated = values["message_digest"][0].native if "message_digest" in values else None
        if stated != hashlib.new(digest, signature_file).digest():
            return "the digest in its signed attributes does not match its .SF file"
        # The signature covers the attributes re-tagged as a SET OF (RFC 5652 5.4).
        data = b"\x31" + attributes.dump()[1:]
    key: bytes = cert.public_key.dump()
    signature: bytes = signer_info["signature"].native
    return verify(key, digest, signature, data)


def _certificate_bag(field: core.Asn1Value) -> list[x509.Certificate]:
    if not isinstance(field, cms.CertificateSet):
        return []
    bag: list[x509.Certificate] = []
    for choice in field:
        if len(bag) >= MAX_BLOCK_CERTIFICATES:
            raise ApkError(f"it holds more than {MAX_BLOCK_CERTIFICATES} certificates")
        if choice.name == "certificate":
            bag.append(choice.chosen)
    return bag


def _find_signer(bag: list[x509.Certificate], sid: cms.SignerIdentifier) -> x509.Certificate | None:
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"]
        serial = sid.chosen["serial_number"].native
        for cert in bag:
            if cert.serial_number == serial and cert.issuer == issuer:
                return cert
    elif sid.name == "subject_key_identifier":
        for cert in bag:
            if cert.key_identifier == sid.chosen.native:
                return cert
    return None


def _chain(cert: x509.Certificate, bag: list[x509.Certificate]) -> list[x509.Certificate]:
    """The signing certificate, then its issuers as far as the block holds them."""
    chain = [cert]
    while len(chain) < len(bag) and chain[-1].issuer != chain[-1].subject:
        issuer = chain[-1].issuer
        parent = next(
            (c for c in bag if c.subject == issuer and all(c is not x for x in chain)), None
        )
        if parent is None:
            break
        chain.append(parent)
    return chain


def _claimed_schemes(content: bytes) -> set[int]:
    """Scheme numbers from the X-Android-APK-Signed attribute of a .SF main section."""
    # The main section comes first and is a few lines long; the entry sections can be megabytes.
    main = content[:MAIN_SECTION_SCAN].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    for line in main.split(b"\n"):
        if line.lower().startswith(APK_SIGNED_HEADER):
            values = line[len(APK_SIGNED_HEADER) :].split(b",")
            return {int(v) for v in (v.strip() for v in values) if v.isdigit() and len(v) < 4}
    return set()
