"""androguard as an oracle: identity, permissions and signing certificates agree.

For every APK of the AOSP apksig corpus (../shared/data/apksig) and of the synthetic corpus
that androguard (a test extra, never a runtime dependency) can open, unstalk's profile must
give the same package name, versionCode, versionName, requested permissions and signing
certificates (SHA-256 of the DER bytes as stored) for v1, v2 and v3.

Where the two disagree, apksigner (recorded in assets/signing/apksigner-output.json) and
the corpus's own certificate files are the referee. Every disagreement where androguard is
wrong is listed in ``ANDROGUARD_WRONG`` with the reason, checked against the referee in
``test_referee_sides_with_unstalk_where_androguard_differs``, and described in docs/apk.md.
An entry that stops disagreeing fails the suite, so the list cannot go stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from asn1crypto import pem  # type: ignore[import-untyped]

from tests.apk.builder.corpus import build_corpus
from unstalk.apk.analyse import Analyser
from unstalk.apk.model import AppProfile, SignatureScheme
from unstalk.errors import ApkError
from unstalk.feed.model import Feed

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
RECORDING = Path(__file__).resolve().parent / "assets" / "signing" / "apksigner-output.json"
FIELDS = ("package", "version_code", "version_name", "permissions", "v1", "v2", "v3")
Answer = dict[str, object]

_SIGNED_ATTRS = (
    "missing-content-type",
    "missing-digest",
    "multiple-good-digests",
    "signerInfo1-missing-content-type-signerInfo2-good",
    "signerInfo1-missing-digest-signerInfo2-good",
    "signerInfo1-multiple-good-digests-signerInfo2-good",
    "signerInfo1-wrong-content-type-signerInfo2-good",
    "signerInfo1-wrong-digest-signerInfo2-good",
    "signerInfo1-wrong-signature-signerInfo2-good",
    "wrong-content-type",
    "wrong-digest",
    "wrong-signature",
)
ANDROGUARD_WRONG: dict[tuple[str, str], str] = {
    ("mismatched-compression-method.apk", "v1"): (
        "The local header of META-INF/CERT.RSA names another compression method than the "
        "central directory. androguard decompresses by the local header, gets garbage and "
        "fails to parse the PKCS#7 block; Android and apksigner go by the central directory "
        "and verify the v1 signature with the RSA-2048 certificate, as unstalk reports."
    ),
    ("v2-only-apk-sig-block-size-mismatch.apk", "v2"): (
        "The APK Signing Block's two size fields disagree. androguard raises BrokenAPKError "
        "instead of answering; apksigner treats the block as absent (no v2 signature), as "
        "unstalk does (and reports the damage as a problem)."
    ),
    ("v3-only-with-rsa-pkcs1-sha512-4096-apk-sig-block-size-mismatch.apk", "v2"): (
        "Same damage as v2-only-apk-sig-block-size-mismatch: androguard raises BrokenAPKError "
        "for the v2 question; apksigner sees no APK Signing Block, as unstalk does."
    ),
    **{
        (f"v1-only-with-signed-attrs-{case}.apk", "v1"): (
            "androguard lists only v1 certificates whose signature it verifies (and before "
            "Android 7 only the first SignerInfo), so a damaged or unusual signature leaves "
            "no certificate at all. The certificate stored in META-INF/RSA-2048.RSA is the "
            "corpus's rsa-2048.x509.pem; unstalk reports it and names the damage as a problem, "
            "so a feed listing that certificate still matches."
        )
        for case in _SIGNED_ATTRS
    },
}
"""(APK, field) -> why androguard's answer is wrong there and unstalk's is right."""


@cache
def androguard_apk() -> ModuleType:
    module: ModuleType = pytest.importorskip(
        "androguard.core.apk", reason="androguard is a test extra"
    )
    loguru = pytest.importorskip("loguru", reason="androguard logs through loguru")
    loguru.logger.disable("androguard")  # per-attribute DEBUG logging dominates its run time
    return module


def _sha256(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest().upper()


def _asked(getter: Callable[[], Iterable[bytes]]) -> object:
    """The certificates' digests, or the error androguard raised instead of answering."""
    try:
        return frozenset(_sha256(der) for der in getter())
    except Exception as e:  # noqa: BLE001 - any androguard failure is an answer to compare
        return f"{type(e).__name__}: {e}"


def androguard_answer(path: Path) -> Answer | None:
    """androguard's view of the APK, or None when it cannot read its manifest."""
    try:
        apk = androguard_apk().APK(str(path))
        identity = {
            "package": apk.get_package(),
            "version_code": apk.get_androidversion_code() or None,
            "version_name": apk.get_androidversion_name() or None,
            "permissions": frozenset(apk.get_permissions()),
        }
    except Exception:  # noqa: BLE001 - androguard refusing a file is not a disagreement
        return None
    return {
        **identity,
        "v1": _asked(lambda: [c.dump() for c in apk.get_certificates_v1()]),
        "v2": _asked(apk.get_certificates_der_v2),
        "v3": _asked(apk.get_certificates_der_v3),
    }


def unstalk_answer(profile: AppProfile) -> Answer:
    manifest = profile.manifest

    def certs(scheme: SignatureScheme) -> frozenset[str]:
        signers = [s for s in profile.signing.signers if s.scheme is scheme]
        return frozenset(c.sha256 for s in signers for c in s.certificates)

    # androguard 4.1 does not read v3.1 blocks: v3 is compared with unstalk's v3 signers only.
    return {
        "package": manifest.package,
        "version_code": None if manifest.version_code is None else str(manifest.version_code),
        "version_name": manifest.version_name,
        "permissions": manifest.permission_names,
        "v1": certs(SignatureScheme.V1),
        "v2": certs(SignatureScheme.V2),
        "v3": certs(SignatureScheme.V3),
    }


def _apks(synthetic: dict[str, Path]) -> Iterator[Path]:
    if CORPUS.is_dir():
        yield from sorted(CORPUS.glob("*.apk"))
    yield from synthetic.values()


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Answer, Answer]]:
    """APK name -> (unstalk, androguard) for every APK both can open."""
    androguard_apk()
    synthetic = build_corpus(tmp_path_factory.mktemp("oracle-apks"))
    analyser = Analyser(Feed((), ()))
    compared: dict[str, tuple[Answer, Answer]] = {}
    for path in _apks(synthetic):
        theirs = androguard_answer(path)
        if theirs is None:
            continue
        try:
            ours = unstalk_answer(analyser.analyse_path(path).profile)
        except ApkError as e:
            ours = {"refused": e.message}
        compared[path.name] = (ours, theirs)
    return compared


def test_every_apk_androguard_opens_is_compared(
    comparison: dict[str, tuple[Answer, Answer]],
) -> None:
    if CORPUS.is_dir():
        assert len(comparison) >= 300 + 16
    refused = {name: ours for name, (ours, _) in comparison.items() if "refused" in ours}
    assert refused == {}


def test_unstalk_agrees_with_androguard_except_where_androguard_is_wrong(
    comparison: dict[str, tuple[Answer, Answer]],
) -> None:
    differences = {
        (name, field): (ours[field], theirs[field])
        for name, (ours, theirs) in comparison.items()
        for field in FIELDS
        if ours[field] != theirs[field]
    }
    unexplained = {key: value for key, value in differences.items() if key not in ANDROGUARD_WRONG}
    assert unexplained == {}
    if CORPUS.is_dir():
        stale = sorted(set(ANDROGUARD_WRONG) - set(differences))
        assert stale == [], "androguard now agrees: remove these from ANDROGUARD_WRONG"


def test_referee_sides_with_unstalk_where_androguard_differs(
    comparison: dict[str, tuple[Answer, Answer]],
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the AOSP apksig corpus is missing at {CORPUS}")
    recorded = json.loads(RECORDING.read_text(encoding="utf-8"))
    rsa_2048 = _sha256(pem.unarmor((CORPUS / "rsa-2048.x509.pem").read_bytes())[2])
    for name, field in ANDROGUARD_WRONG:
        ours = comparison[name][0][field]
        runs = recorded[name]
        if field == "v1":
            assert ours == {rsa_2048}, name
            verified = [r for r in runs.values() if r["schemes"].get("v1")]
            assert all({s["sha256"] for s in r["signers"]} == {rsa_2048} for r in verified)
        else:
            assert ours == frozenset(), name
            errors = [e for r in runs.values() for e in r["errors"]]
            assert not any("Signature Scheme v2" in e for e in errors), name
