"""Signatures of every scheme, checked against apksigner on the AOSP apksig corpus.

The apksigner oracle is recorded in ``assets/signing/apksigner-output.json``
(a JVM start per APK makes a live run take minutes); regenerate it with
``python tests/apk/record_apksigner.py`` after a corpus or apksigner change.
``test_recording_still_matches_apksigner`` re-runs apksigner live on a sample.

Systematic differences, by design:
- apksigner reports the signers of the newest scheme that verified (v3, else
  v2, else v1); unstalk reports every scheme's signers, so the comparison takes
  unstalk's signers of that same scheme.
- Debian's apksigner (apksig 31) predates v3.1: it ignores the v3.1 block that
  unstalk reads, and its JVM cannot verify RSA-PSS, so it rejects those APKs.
- unstalk checks every JAR digest listed (MANIFEST.MF of the entries, .SF of
  MANIFEST.MF), where apksigner checks those the platforms in range would: with
  ``--min-sdk-version 28`` only the strongest, so a wrong SHA-1 digest beside a
  right SHA-256 one passes there and fails by default (older platforms). unstalk
  does not check which algorithms a platform version supports, so APKs apksigner
  rejects for that reason only carry no problem here. Of several PKCS#7 SignerInfos it
  takes the first that verifies; apksig 31 does too, but rejects the APK
  outright when an earlier one has malformed signed attributes.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from asn1crypto import pem  # type: ignore[import-untyped]
from cryptography import x509 as cx509
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.apk import signing_fixtures as fx
from tests.apk.record_apksigner import RECORDING, RunRecord, run_apksigner
from unstalk.apk.model import Certificate, SignatureScheme, Signing
from unstalk.apk.parsers.signing import certificate_from_der, read_signing
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the AOSP apksig corpus is missing at {CORPUS}"
)
RECORDED: dict[str, dict[str, RunRecord]] = json.loads(RECORDING.read_text(encoding="utf-8"))
APKS = sorted(RECORDED)
NEWEST_FIRST = (("v3", SignatureScheme.V3), ("v2", SignatureScheme.V2), ("v1", SignatureScheme.V1))
OLD_PLATFORM_DIGEST = "SHA-1 digest of"
"""How apksigner's default run starts a wrong JAR SHA-1 digest (what Android before 4.3 checks)."""
_KEY_IN_NAME = re.compile(r"-with-(rsa|dsa|ecdsa)-(?:.*-)?(p\d{3}|\d{4,5})(?:-[a-z][a-z-]*)?\.apk$")


@cache
def corpus_signing(name: str) -> Signing | ApkError:
    try:
        return read_signing(ApkZip.from_bytes((CORPUS / name).read_bytes(), path=name))
    except ApkError as e:
        return e


def signing_of(name: str) -> Signing:
    result = corpus_signing(name)
    assert isinstance(result, Signing), f"{name}: {result}"
    return result


@cache
def pem_certificate(stem: str) -> Certificate:
    der = pem.unarmor((CORPUS / f"{stem}.x509.pem").read_bytes())[2]
    return certificate_from_der(der)


# --- the apksigner oracle ---------------------------------------------------------------


@needs_corpus
def test_recording_covers_the_whole_corpus() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.apk")) == APKS


@needs_corpus
@pytest.mark.parametrize("name", APKS)
def test_signer_certificates_match_apksigner(name: str) -> None:
    result = corpus_signing(name)
    runs = RECORDED[name]
    accepted = [run for key, run in runs.items() if key != "lineage" and run["verifies"]]
    if not accepted:
        # apksigner refuses the APK: unstalk must still answer, with a report or ApkError.
        assert isinstance(result, Signing | ApkError)
        return
    signing = signing_of(name)
    if any(OLD_PLATFORM_DIGEST in e for e in runs["default"]["errors"]):
        assert signing.problems and all("SHA-1 digests" in p for p in signing.problems)
    else:
        assert signing.problems == (), "an APK apksigner accepts must not be reported as damaged"
    for run in accepted:
        scheme = next(s for key, s in NEWEST_FIRST if run["schemes"].get(key))
        ours = [s.certificates[0] for s in signing.signers if s.scheme is scheme]
        assert {c.sha256 for c in ours} == {s["sha256"] for s in run["signers"]}
        assert {c.sha1 for c in ours} == {s["sha1"] for s in run["signers"]}


@needs_corpus
@pytest.mark.parametrize("name", APKS)
def test_lineage_matches_apksigner(name: str) -> None:
    result = corpus_signing(name)
    if not isinstance(result, Signing):
        return
    theirs = [s["sha256"] for s in RECORDED[name]["lineage"]["signers"]]
    ours = [c.sha256 for c in result.lineage]
    if theirs or not ours:
        assert ours == theirs
    elif SignatureScheme.V31 not in result.schemes:
        # apksig 31 does not know v3.1 (where the v31 APK keeps its lineage), and it stops
        # at ZIP damage that unstalk reads through.
        errors = RECORDED[name]["default"]["errors"]
        assert any("not a ZIP archive" in e for e in errors)


@pytest.mark.oracle
def test_recording_still_matches_apksigner() -> None:
    if shutil.which("apksigner") is None:
        pytest.skip("apksigner is not installed (Debian package apksigner)")
    if not CORPUS.is_dir():
        pytest.skip(f"the AOSP apksig corpus is missing at {CORPUS}")
    sample = [
        ("v1-only-two-signers.apk", "default"),
        ("golden-aligned-v1v2v3-lineage-out.apk", "min-sdk-28"),
        ("golden-aligned-v3-lineage-out.apk", "lineage"),
        ("two-signers-second-signer-v2-broken.apk", "default"),
    ]
    with ThreadPoolExecutor(max_workers=len(sample)) as pool:
        live = list(pool.map(lambda job: run_apksigner(CORPUS / job[0], job[1]), sample))
    for (name, config), run in zip(sample, live, strict=True):
        assert run == RECORDED[name][config], f"re-record: apksigner changed its view of {name}"


# --- the corpus, case by case ------------------------------------------------------------


def _expected_pem(name: str) -> str | None:
    found = _KEY_IN_NAME.search(name)
    if not found:
        return None
    family = {"rsa": "rsa", "dsa": "dsa", "ecdsa": "ec"}[found.group(1)]
    return f"{family}-{found.group(2)}"


@needs_corpus
@pytest.mark.parametrize("name", [n for n in APKS if _expected_pem(n) and "not-der" not in n])
def test_signer_is_the_certificate_named_in_the_file_name(name: str) -> None:
    signing = signing_of(name)
    stem = _expected_pem(name)
    assert stem is not None
    expected = pem_certificate(stem)
    if not signing.signers:
        assert signing.problems, "a signer that cannot be reported needs a reason"
        return
    cert = signing.signers[0].certificates[0]
    if signing.problems:
        # Deliberately broken APKs may carry an altered copy of the certificate.
        assert (cert.common_name, cert.key_algorithm) == (
            expected.common_name,
            expected.key_algorithm,
        )
    else:
        assert cert == expected


@needs_corpus
def test_certificates_are_hashed_as_stored_not_reencoded() -> None:
    # The stored certificate is BER, not DER: re-encoding it would give the PEM's fingerprint.
    name = "v2-only-with-rsa-pkcs1-sha256-1024-cert-not-der.apk"
    cert = signing_of(name).signers[0].certificates[0]
    reference = pem_certificate("rsa-1024")
    assert cert.sha256 == RECORDED[name]["min-sdk-28"]["signers"][0]["sha256"]
    assert cert.sha256 != reference.sha256
    assert (cert.subject, cert.serial, cert.key_algorithm) == (
        reference.subject,
        reference.serial,
        reference.key_algorithm,
    )


@needs_corpus
def test_v1_signer_is_found_by_issuer_and_serial_not_bag_order() -> None:
    signing = signing_of("v1-only-pkcs7-cert-bag-first-cert-not-used.apk")
    assert [s.certificates[0] for s in signing.signers] == [pem_certificate("rsa-2048")]


@needs_corpus
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("v1-only-with-signed-attrs-wrong-signature.apk", "SHA-256 signature does not verify"),
        ("v1-only-with-signed-attrs-wrong-digest.apk", "does not match its .SF file"),
        ("v1-only-with-signed-attrs-missing-digest.apk", "does not match its .SF file"),
        ("v1-only-with-signed-attrs-wrong-content-type.apk", "plain data"),
        ("v1-only-with-signed-attrs-missing-content-type.apk", "plain data"),
    ],
)
def test_broken_jar_signature_is_reported_with_its_signer(name: str, message: str) -> None:
    signing = signing_of(name)
    assert [s.certificates[0] for s in signing.signers] == [pem_certificate("rsa-2048")]
    assert len(signing.problems) == 1
    assert "META-INF/RSA-2048.RSA" in signing.problems[0]
    assert message in signing.problems[0]


@needs_corpus
def test_a_jar_signature_holds_when_a_later_signer_info_verifies() -> None:
    signing = signing_of(
        "v1-only-with-signed-attrs-signerInfo1-wrong-signature-signerInfo2-good.apk"
    )
    assert signing.problems == ()
    assert [s.certificates[0] for s in signing.signers] == [pem_certificate("rsa-2048")]


@needs_corpus
def test_every_signer_of_a_multi_signer_apk_is_reported() -> None:
    signing = signing_of("two-signers.apk")
    by_scheme = {
        scheme: [s.certificates[0].common_name for s in signing.signers if s.scheme is scheme]
        for scheme in signing.schemes
    }
    assert by_scheme == {
        SignatureScheme.V1: ["rsa-2048", "ec-p256"],
        SignatureScheme.V2: ["rsa-2048", "ec-p256"],
    }


@needs_corpus
def test_a_broken_second_v2_signer_is_a_problem_not_a_crash() -> None:
    signing = signing_of("two-signers-second-signer-v2-broken.apk")
    assert len([s for s in signing.signers if s.scheme is SignatureScheme.V2]) == 2
    assert any("v2 signer #2" in p and "does not verify" in p for p in signing.problems)
    assert not any("signer #1" in p for p in signing.problems)


@needs_corpus
@pytest.mark.parametrize(
    "name",
    [
        "v2-only-with-ecdsa-sha256-p256-digest-mismatch.apk",
        "v2-only-with-rsa-pkcs1-sha512-4096-digest-mismatch.apk",
        "v3-only-with-dsa-sha256-3072-digest-mismatch.apk",
    ],
)
def test_content_digest_mismatch_is_reported_unless_digests_are_skipped(name: str) -> None:
    assert any("changed after signing" in p for p in signing_of(name).problems)
    apk = ApkZip.from_bytes((CORPUS / name).read_bytes())
    assert read_signing(apk, verify_digests=False).problems == ()


@needs_corpus
@pytest.mark.parametrize(
    ("name", "scheme"),
    [
        ("v2-stripped.apk", "v2"),
        ("v3-stripped.apk", "v3"),
        ("v2v3-signed-v3-block-stripped.apk", "v3"),
    ],
)
def test_stripped_signatures_are_reported(name: str, scheme: str) -> None:
    problems = signing_of(name).problems
    assert any(
        "stripped" in p and f"signed with APK Signature Scheme {scheme}," in p for p in problems
    )


@needs_corpus
def test_v3_key_rotation_lineage_runs_from_old_to_new_certificate() -> None:
    signing = signing_of("golden-aligned-v1v2v3-lineage-out.apk")
    v3 = [s for s in signing.signers if s.scheme is SignatureScheme.V3]
    assert [c.common_name for c in signing.lineage] == ["rsa-2048", "rsa-2048_2"]
    assert signing.lineage[0] == pem_certificate("rsa-2048")
    assert v3[0].certificates[0] == signing.lineage[-1]
    assert v3[0].min_sdk == 24
    assert signing.certificates == (pem_certificate("rsa-2048"), signing.lineage[-1])


@needs_corpus
def test_v31_block_is_read_with_its_rotated_signer() -> None:
    signing = signing_of("v31-ec-p256-2-tgt-33-1-tgt-28-targetSdk-30.apk")
    assert signing.schemes == (
        SignatureScheme.V1,
        SignatureScheme.V2,
        SignatureScheme.V3,
        SignatureScheme.V31,
    )
    names = {s.scheme: s.certificates[0].common_name for s in signing.signers}
    assert names[SignatureScheme.V3] == "ec-p256"
    assert names[SignatureScheme.V31] == "ec-p256_2"
    assert [c.common_name for c in signing.lineage] == ["ec-p256", "ec-p256_2"]
    assert signing.problems == ()


@needs_corpus
@pytest.mark.parametrize(
    "name", ["golden-aligned-in.apk", "empty-unsigned.apk", "v2-only-wrong-apk-sig-block-magic.apk"]
)
def test_unsigned_apk_says_so(name: str) -> None:
    signing = signing_of(name)
    assert (signing.schemes, signing.signers) == ((), ())
    assert any("not signed" in p for p in signing.problems)


@needs_corpus
def test_certificate_fields_agree_with_cryptography() -> None:
    seen: dict[str, Certificate] = {}
    for name in APKS:
        result = corpus_signing(name)
        if isinstance(result, Signing):
            seen.update((c.sha256, c) for c in result.certificates)
    assert len(seen) > 15
    for stem in ("rsa-2048", "ec-p521", "dsa-3072", "rsa-16384"):
        der = pem.unarmor((CORPUS / f"{stem}.x509.pem").read_bytes())[2]
        ours = certificate_from_der(der)
        theirs = cx509.load_der_x509_certificate(der)
        assert ours.subject == theirs.subject.rfc4514_string()
        assert ours.issuer == theirs.issuer.rfc4514_string()
        assert ours.serial == f"{theirs.serial_number:x}"
        assert ours.not_before == theirs.not_valid_before_utc
        assert ours.not_after == theirs.not_valid_after_utc
    email_subject = next(c.subject for c in seen.values() if c.organization == "Android")
    assert email_subject.startswith("1.2.840.113549.1.9.1=android@android.com,CN=Android")


@needs_corpus
@pytest.mark.parametrize(
    ("stem", "description"),
    [
        ("rsa-16384", "RSA 16384"),
        ("ec-p521", "EC 521"),
        ("ec-p256", "EC 256"),
        ("dsa-1024", "DSA 1024"),
    ],
)
def test_key_algorithm_and_size(stem: str, description: str) -> None:
    assert pem_certificate(stem).key_algorithm == description


# --- corrupted real signatures ---------------------------------------------------------


@needs_corpus
@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0), st.binary(min_size=1, max_size=8))
def test_corrupted_real_signing_block_never_crashes(position: int, junk: bytes) -> None:
    data = bytearray((CORPUS / "golden-aligned-v1v2v3-lineage-out.apk").read_bytes())
    zip_ = ApkZip.from_bytes(bytes(data))
    cd = zip_.central_directory_offset
    assert cd is not None
    size = struct.unpack_from("<Q", data, cd - 24)[0]
    at = cd - size - 8 + position % (size + 8)
    data[at : at + len(junk)] = junk
    try:
        signing = read_signing(ApkZip.from_bytes(bytes(data)))
    except ApkError:
        return
    assert isinstance(signing, Signing)


@cache
def _real_jar_signature() -> tuple[bytes, bytes]:
    zip_ = ApkZip.from_bytes((CORPUS / "v1-only-with-signed-attrs.apk").read_bytes())
    return zip_.read("META-INF/RSA-2048.SF"), zip_.read("META-INF/RSA-2048.RSA")


@needs_corpus
@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0), st.binary(min_size=1, max_size=6), st.booleans())
def test_corrupted_jar_signature_block_never_crashes(at: int, junk: bytes, insert: bool) -> None:
    signature_file, block = _real_jar_signature()
    mutated = bytearray(block)
    at %= len(block)
    mutated[at : at if insert else at + len(junk)] = junk
    files = {"META-INF/RSA-2048.SF": signature_file, "META-INF/RSA-2048.RSA": bytes(mutated)}
    signing = fx.read_crafted(fx.base_apk(files))
    assert signing.schemes == (SignatureScheme.V1,)
    assert signing.signers or signing.problems
