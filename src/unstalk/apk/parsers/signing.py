"""Who signed an APK: every signature scheme read into :class:`~unstalk.apk.model.Signing`.

JAR signing (v1) is read from ``META-INF``; APK Signature Scheme v2, v3 and
v3.1 from the APK Signing Block. What is checked, and reported as problems when
it does not hold:

- v2/v3/v3.1: each signature over the signer's signed data (RSA, RSA-PSS,
  ECDSA, DSA), that the first certificate carries the signing key, that the
  signature and digest records name the same algorithms, the signed and stated
  platform ranges, and (unless ``verify_digests=False``) the chunked SHA-256 /
  SHA-512 content digests of the whole file. Key rotation lineages: each
  certificate's signature by its predecessor, and that the newest one is the
  signer's certificate.
- v1: the certificates of each signature block, which of them is the signer's,
  and the block's signature over its .SF file (with the signed attributes'
  content type and message digest), the .SF files' digests of MANIFEST.MF and
  (unless ``verify_digests=False``) MANIFEST.MF's digests of the entries.
- Rollback protection: a JAR or v2 signature that names a newer scheme whose
  block is missing (a stripped signature, which Android refuses).

``verify_signatures=False`` reads who signed without any public-key operation
or content digest (they take most of the time): for fast triage, where the
caller must say that the signatures were not verified.

unstalk reports signatures; it does not decide whether Android would install
the APK (that also depends on the platform version).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unstalk.apk.model import Certificate, SignatureScheme, Signer, Signing
from unstalk.apk.parsers.certs import certificate_from_der, public_key_der
from unstalk.apk.parsers.signing_block import (
    PROOF_OF_ROTATION_ATTR_ID,
    SCHEME_BLOCK_IDS,
    SCHEME_LABELS,
    STRIPPING_PROTECTION_ATTR_ID,
    LineageNode,
    RawSigner,
    find_signing_block,
    lineage_or_problem,
    read_scheme_signers,
)
from unstalk.apk.parsers.signing_v1 import read_v1
from unstalk.apk.parsers.signing_verify import (
    ALGORITHMS,
    DIGEST_NAMES,
    ContentDigester,
    signature_problem,
)
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError

__all__ = ["certificate_from_der", "read_signing"]

UNSIGNED = "The APK is not signed (Android refuses to install unsigned APKs)."
UNSEARCHED = (
    "No JAR signature was found, and v2/v3 signatures could not be looked for because "
    "the ZIP central directory is unreadable."
)
_SCHEME_NUMBERS = {2: SignatureScheme.V2, 3: SignatureScheme.V3}


@dataclass(slots=True)
class _Collected:
    schemes: list[SignatureScheme] = field(default_factory=list)
    signers: list[Signer] = field(default_factory=list)
    lineages: list[list[Certificate]] = field(default_factory=list)
    claims: dict[int, str] = field(default_factory=dict)
    """Scheme number a signature says was also used -> which signature says so."""
    problems: list[str] = field(default_factory=list)
    verify: bool = True
    """Whether signatures are checked (not only read)."""


def read_signing(
    zip: ApkZip, *, verify_digests: bool = True, verify_signatures: bool = True
) -> Signing:
    """Read every signature of the APK.

    Damage, hostile structures and failed checks become :attr:`Signing.problems`
    (a signature file too large to inflate included): nothing in the signatures
    makes this raise. ``verify_digests=False`` skips hashing the whole file for
    the v2/v3 content digests, the one step whose cost grows with the APK's size;
    ``verify_signatures=False`` skips those and every signature check as well.
    """
    out = _Collected(verify=verify_signatures)
    verify_digests = verify_digests and verify_signatures
    v1 = read_v1(zip, verify=verify_signatures, verify_digests=verify_digests)
    if v1.present:
        out.schemes.append(SignatureScheme.V1)
    out.signers.extend(v1.signers)
    out.problems.extend(v1.problems)
    out.claims.update(dict.fromkeys(v1.claimed_schemes, "The JAR signature"))
    _read_block(zip, out, verify_digests=verify_digests)
    _check_claims(out)
    if not out.schemes:
        out.problems.append(UNSIGNED if zip.central_directory_offset is not None else UNSEARCHED)
    return Signing(
        schemes=tuple(out.schemes),
        signers=tuple(out.signers),
        lineage=_consolidate(out.lineages, out.problems),
        problems=tuple(out.problems),
    )


def _read_block(zip: ApkZip, out: _Collected, *, verify_digests: bool) -> None:
    block = find_signing_block(zip, out.problems)
    if block is None:
        return
    digester = None
    if verify_digests and zip.central_directory_offset is not None and zip.eocd_offset is not None:
        digester = ContentDigester(
            zip.data, block.offset, zip.central_directory_offset, zip.eocd_offset
        )
    for scheme, block_id in SCHEME_BLOCK_IDS:
        value = block.pairs.get(block_id)
        if value is None:
            continue
        out.schemes.append(scheme)
        for raw in read_scheme_signers(value, scheme, out.problems):
            _check_signer(raw, digester, out)


def _check_signer(raw: RawSigner, digester: ContentDigester | None, out: _Collected) -> None:
    certificates = _decode_certificates(raw)
    if certificates:
        _check_signatures(raw, certificates[0][1], verify=out.verify)
        if digester is not None:
            _check_digests(raw, digester)
        out.signers.append(
            Signer(raw.scheme, tuple([c for c, _ in certificates]), raw.min_sdk, raw.max_sdk)
        )
    for attribute_id, value in raw.attributes:
        if attribute_id == PROOF_OF_ROTATION_ATTR_ID and raw.scheme is not SignatureScheme.V2:
            nodes, problem = lineage_or_problem(value, raw.label)
            raw.problems.extend(
                [problem] if problem else _check_lineage(nodes, raw, certificates, out.verify)
            )
            if nodes:
                out.lineages.append([n.certificate for n in nodes])
        elif attribute_id == STRIPPING_PROTECTION_ATTR_ID and raw.scheme is SignatureScheme.V2:
            number = int.from_bytes(value[:4], "little") if len(value) == 4 else 0
            out.claims.setdefault(number, f"The {SCHEME_LABELS[raw.scheme]} signature")
    out.problems.extend(raw.problems)


def _decode_certificates(raw: RawSigner) -> list[tuple[Certificate, bytes]]:
    decoded: list[tuple[Certificate, bytes]] = []
    for number, der in enumerate(raw.certificates, 1):
        try:
            decoded.append((certificate_from_der(der), der))
        except ApkError as e:
            raw.problems.append(f"{raw.label}: certificate #{number} cannot be read: {e.message}")
    if not raw.certificates:
        raw.problems.append(f"{raw.label}: it carries no certificate, so it identifies no one.")
    return decoded


def _check_signatures(raw: RawSigner, certificate_der: bytes, *, verify: bool) -> None:
    known = [(ALGORITHMS[a], sig) for a, sig in raw.signatures if a in ALGORITHMS]
    if not raw.signatures:
        raw.problems.append(f"{raw.label}: it carries no signature.")
    elif not known:
        raw.problems.append(
            f"{raw.label}: none of its signature algorithms is known, so it was not verified."
        )
    for algorithm, signature in known if verify else ():
        problem = signature_problem(raw.public_key, algorithm, signature, raw.signed_data)
        if problem:
            raw.problems.append(f"{raw.label}: {problem}.")
    try:
        matches = public_key_der(certificate_der) == raw.public_key
    except ApkError:
        matches = False
    if not matches:
        raw.problems.append(
            f"{raw.label}: its certificate does not hold the public key of its signature."
        )
    if [a for a, _ in raw.signatures] != [a for a, _ in raw.digests]:
        raw.problems.append(
            f"{raw.label}: its signatures and its digests name different algorithms."
        )


def _check_digests(raw: RawSigner, digester: ContentDigester) -> None:
    for algorithm_id, stated in raw.digests:
        algorithm = ALGORITHMS.get(algorithm_id)
        if algorithm is None or not algorithm.chunked:
            continue
        if digester.digest(algorithm.digest) != stated:
            raw.problems.append(
                f"{raw.label}: the {DIGEST_NAMES[algorithm.digest]} digest of the APK's contents "
                "does not match the signed one: the file was changed after signing."
            )


def _check_lineage(
    nodes: list[LineageNode],
    raw: RawSigner,
    certificates: list[tuple[Certificate, bytes]],
    verify: bool,
) -> list[str]:
    problems: list[str] = []
    for number, (parent, node) in enumerate(zip(nodes, nodes[1:], strict=False), 2):
        algorithm = ALGORITHMS.get(parent.algorithm)
        reason = None
        if algorithm is None or node.parent_algorithm != parent.algorithm:
            reason = "its signature algorithm is unknown or inconsistent"
        elif verify:
            try:
                key = public_key_der(parent.der)
            except ApkError as e:
                reason = e.message
            else:
                reason = signature_problem(key, algorithm, node.signature, node.signed_data)
        if reason:
            problems.append(f"{raw.label}: lineage certificate #{number}: {reason}.")
    if nodes and certificates and nodes[-1].certificate.sha256 != certificates[0][0].sha256:
        problems.append(
            f"{raw.label}: its key rotation lineage does not end with its own certificate."
        )
    return problems


def _check_claims(out: _Collected) -> None:
    for number, who in sorted(out.claims.items()):
        scheme = _SCHEME_NUMBERS.get(number)
        if scheme is not None and scheme not in out.schemes:
            out.problems.append(
                f"{who} says the APK was also signed with {SCHEME_LABELS[scheme]}, but that "
                "signature is missing: it was stripped (Android refuses such APKs)."
            )


def _consolidate(lineages: list[list[Certificate]], problems: list[str]) -> tuple[Certificate, ...]:
    """The longest lineage; every other must be its beginning (Android's rule)."""
    if not lineages:
        return ()
    longest = max(lineages, key=len)
    digests = [c.sha256 for c in longest]
    for lineage in lineages:
        if [c.sha256 for c in lineage] != digests[: len(lineage)]:
            problems.append(
                "The v3 signers carry key rotation lineages that contradict each other."
            )
            break
    return tuple(longest)
