"""JAR signing (v1): ``META-INF/*.SF`` signature files and their PKCS#7 signature blocks.

A v1 signer is a signature file with a signature block of the same name
(``.RSA``, ``.DSA`` or ``.EC``), the pairing Android and apksigner use. The
signing certificate is the one the block's SignerInfo names by issuer and
serial number, not simply the first certificate of the block: a block may carry
other certificates first. Its chain follows, found by issuer name among the
block's certificates.

The SignerInfo's signature over the .SF file is verified (with its signed
attributes when present: content type and message digest), since Android picks
the first SignerInfo that verifies; then every digest the .SF file states of
MANIFEST.MF, and (when content digests are checked, since that inflates the
whole APK) every digest MANIFEST.MF states of an entry: see
:mod:`~unstalk.apk.parsers.signing_v1_digests`.

Blocks in plain DER, nearly all, are read with :mod:`~unstalk.apk.parsers.der`,
the others with asn1crypto: both readings agree (tests compare them), the first
about six times faster.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import islice

from asn1crypto import algos, cms, core, x509  # type: ignore[import-untyped]

from unstalk.apk.fast_init import fast_init
from unstalk.apk.model import Certificate, SignatureScheme, Signer
from unstalk.apk.parsers.certs import ASN1_ERRORS, certificate_from_der, name_text
from unstalk.apk.parsers.der import (
    OCTET_STRING,
    OID,
    NotPlainDer,
    PlainCertificate,
    PlainSignerInfo,
    oid_text,
    plain_signed_data,
)
from unstalk.apk.parsers.signing_v1_digests import JarDigests
from unstalk.apk.parsers.signing_verify import HASHES, verify
from unstalk.apk.parsers.zip import DEFAULT_ENTRY_LIMIT, ApkZip
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
_UNKNOWN_DIGEST = "it uses a digest algorithm Android does not know ({})"
_NOT_DATA = "its signed attributes do not declare plain data as the signed content"
_WRONG_DIGEST = "the digest in its signed attributes does not match its .SF file"


@fast_init
@dataclass(frozen=True, slots=True)
class V1Signing:
    present: bool
    """True when the APK carries any JAR signature file or block."""
    signers: tuple[Signer, ...]
    claimed_schemes: frozenset[int]
    """Scheme numbers (2, 3) the signature files say were also used."""
    problems: tuple[str, ...]


def read_v1(zip: ApkZip, *, verify: bool = True, verify_digests: bool = True) -> V1Signing:
    """Read every JAR signer of the APK; damaged ones become problems.

    ``verify=False`` takes each block's first SignerInfo whose certificate it holds,
    without checking its signature or any digest; ``verify_digests=False`` leaves out
    the digests of the entries (the one check that reads the whole APK).
    """
    meta = [n for n in zip.names if n.startswith("META-INF/") and "/" not in n[9:]]
    signature_files = {n[:-3].upper(): n for n in meta if n.upper().endswith(".SF")}
    blocks = sorted([n for n in meta if n.upper().endswith(SIGNATURE_BLOCK_EXTENSIONS)])
    out = _V1Reader(zip, verify=verify)
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
    if out.digests is not None and verify_digests and out.signers:
        out.problems.extend(out.digests.entries())
    return V1Signing(
        bool(signature_files or blocks),
        tuple(out.signers),
        frozenset(out.claimed),
        tuple(out.problems),
    )


class _V1Reader:
    def __init__(self, zip: ApkZip, *, verify: bool) -> None:
        self.zip = zip
        self.verify = verify
        self.digests = JarDigests(zip, entry_limit=DEFAULT_ENTRY_LIMIT) if verify else None
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
                self.zip.read(block, limit=MAX_BLOCK_SIZE), content if self.verify else None
            )
        except ApkError as e:
            self.problems.append(f"The JAR signature block {block} cannot be read: {e.message}")
            return
        self.signers.append(Signer(SignatureScheme.V1, certificates))
        if problem:
            self.problems.append(f"The JAR signature {block}: {problem}.")
        if content is not None:
            self.claimed |= _claimed_schemes(content)
            if self.digests is not None:
                self.problems.extend(self.digests.signature_file(signature_file, content))


def _block_certificates(
    raw: bytes, signature_file: bytes | None
) -> tuple[tuple[Certificate, ...], str | None]:
    """The signer's chain, and why its signature over the .SF file fails (``None`` if it holds)."""
    try:
        encoded, problem = _plain_chain(raw, signature_file)
    except (NotPlainDer, *ASN1_ERRORS):
        # asn1crypto's reading is the reference: it reads whatever the walker leaves.
        try:
            chain, problem = _signer_chain(raw, signature_file)
            encoded = [cert.dump() for cert in chain]
        except ASN1_ERRORS as e:
            raise ApkError(f"it is not valid PKCS#7 signed data ({_reason(e)})") from e
    return tuple([certificate_from_der(der) for der in encoded]), problem


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
        return _UNKNOWN_DIGEST.format(digest)
    attributes = signer_info["signed_attrs"]
    data = signature_file
    if isinstance(attributes, cms.CMSAttributes):
        values = {a["type"].native: a["values"] for a in attributes}
        if "content_type" not in values or values["content_type"][0].native != "data":
            return _NOT_DATA
        stated = values["message_digest"][0].native if "message_digest" in values else None
        if stated != hashlib.new(digest, signature_file).digest():
            return _WRONG_DIGEST
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
            if cert.serial_number == serial and _same_name(cert.issuer.dump(), issuer.dump()):
                return cert
    elif sid.name == "subject_key_identifier":
        for cert in bag:
            if cert.key_identifier == sid.chosen.native:
                return cert
    return None


def _chain(cert: x509.Certificate, bag: list[x509.Certificate]) -> list[x509.Certificate]:
    """The signing certificate, then its issuers as far as the block holds them."""
    chain = [cert]
    while len(chain) < len(bag) and not _same_name(
        chain[-1].issuer.dump(), chain[-1].subject.dump()
    ):
        issuer = chain[-1].issuer.dump()
        parent = next(
            (
                c
                for c in bag
                if _same_name(c.subject.dump(), issuer) and all(c is not x for x in chain)
            ),
            None,
        )
        if parent is None:
            break
        chain.append(parent)
    return chain


def _same_name(one: bytes, other: bytes) -> bool:
    """Equality of two encoded names, cheap tests first.

    asn1crypto's comparison prepares every string as LDAP does (RFC 4518), which is
    slow; the usual difference is the same text in another string type (jarsigner
    writes UTF8String for a certificate's PrintableString).
    """
    if one == other:
        return True
    text = name_text(one)
    if text is not None and text == name_text(other):
        return True
    return bool(x509.Name.load(one) == x509.Name.load(other))


def _claimed_schemes(content: bytes) -> set[int]:
    """Scheme numbers from the X-Android-APK-Signed attribute of a .SF main section."""
    # The main section comes first and is a few lines long; the entry sections can be megabytes.
    main = content[:MAIN_SECTION_SCAN].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    for line in main.split(b"\n"):
        if line.lower().startswith(APK_SIGNED_HEADER):
            values = line[len(APK_SIGNED_HEADER) :].split(b",")
            return {int(v) for v in (v.strip() for v in values) if v.isdigit() and len(v) < 4}
    return set()


# The same reading of a plain DER block ---------------------------------------------------------

_DIGEST_NAMES: dict[str, str] = algos.DigestAlgorithmId._map
_CONTENT_TYPES: dict[str, str] = cms.ContentType._map


def _plain_chain(raw: bytes, signature_file: bytes | None) -> tuple[list[bytes], str | None]:
    """:func:`_signer_chain` for a block in plain DER, the chain as encoded.

    :class:`NotPlainDer` for anything else, damage included, which asn1crypto then reads.
    """
    bag, signer_infos = plain_signed_data(raw, MAX_BLOCK_CERTIFICATES, MAX_SIGNER_INFOS)
    fallback: tuple[int, str | None] | None = None
    for info in signer_infos:
        index = next(
            (
                i
                for i, cert in enumerate(bag)
                if cert.serial == info.serial and _same_name(cert.issuer, info.issuer)
            ),
            None,
        )
        if index is None:
            continue
        problem = None
        if signature_file is not None:
            problem = _plain_problem(info, bag[index].public_key, signature_file)
        if problem is None:
            return _plain_walk(index, bag), None
        fallback = fallback or (index, problem)
    if fallback is None:
        raise NotPlainDer
    return _plain_walk(fallback[0], bag), fallback[1]


def _plain_problem(info: PlainSignerInfo, key: bytes, signature_file: bytes) -> str | None:
    """:func:`_verify_signer_info`, step for step."""
    digest = _DIGEST_NAMES.get(info.digest_algorithm, info.digest_algorithm)
    if digest not in HASHES:
        return _UNKNOWN_DIGEST.format(digest)
    data = signature_file
    if info.signed_attributes is not None:
        values = info.first_values
        content_type = _first_value(values, "content_type", OID)
        if content_type is None or _CONTENT_TYPES.get(oid_text(content_type)) != "data":
            return _NOT_DATA
        stated = _first_value(values, "message_digest", OCTET_STRING)
        if stated != hashlib.new(digest, signature_file).digest():
            return _WRONG_DIGEST
        data = b"\x31" + info.signed_attributes[1:]
    return verify(key, digest, info.signature, data)


def _first_value(values: dict[str, tuple[int, bytes] | None], name: str, tag: int) -> bytes | None:
    """The first value of a signed attribute, None when there is no such attribute."""
    if name not in values:
        return None
    value = values[name]
    if value is None or value[0] != tag:
        raise NotPlainDer
    return value[1]


def _plain_walk(index: int, bag: list[PlainCertificate]) -> list[bytes]:
    """:func:`_chain` over the block's certificates."""
    chain = [index]
    while len(chain) < len(bag) and not _same_name(bag[chain[-1]].issuer, bag[chain[-1]].subject):
        issuer = bag[chain[-1]].issuer
        parent = next(
            (j for j, c in enumerate(bag) if _same_name(c.subject, issuer) and j not in chain),
            None,
        )
        if parent is None:
            break
        chain.append(parent)
    return [bag[j].der for j in chain]
