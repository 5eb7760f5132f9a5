"""Fast triage without verifying signatures (``Analyser(feed, verify_signatures=False)``).

Such a result names the same signers, but never claims that a signature holds: it says
in ``not_checked`` that signatures were not verified, and a forged signature is not
reported as verified either.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from unstalk.apk.analyse import UNVERIFIED, Analyser
from unstalk.apk.parsers.signing import read_signing
from unstalk.apk.parsers.zip import ApkZip
from unstalk.apk.result_json import analysis_dict
from unstalk.feed.store import bundled_dir, load_folder

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the AOSP apksig corpus is missing at {CORPUS}"
)
FORGED = (
    "v2-only-with-rsa-pkcs1-sha256-2048-sig-does-not-verify.apk",
    "v2-only-with-ecdsa-sha256-p256-digest-mismatch.apk",
    "v3-only-with-ecdsa-sha512-p521-sig-does-not-verify.apk",
    "v3-only-with-dsa-sha256-3072-digest-mismatch.apk",
    "v1-only-with-signed-attrs-wrong-signature.apk",
    "v1-only-with-signed-attrs-wrong-digest.apk",
)


@cache
def analysers() -> tuple[Analyser, Analyser]:
    verifying = Analyser(load_folder(bundled_dir()))
    feed = load_folder(bundled_dir())
    return verifying, Analyser(feed, index=verifying.index, verify_signatures=False)


def test_unverified_results_name_the_same_signers_and_say_what_was_skipped(
    synthetic_apks: dict[str, Path],
) -> None:
    verifying, triage = analysers()
    for path in synthetic_apks.values():
        checked, quick = verifying.analyse_path(path), triage.analyse_path(path)
        assert quick.profile.signing.certificates == checked.profile.signing.certificates
        assert quick.verdict.verdict == checked.verdict.verdict
        assert UNVERIFIED not in checked.not_checked
        assert UNVERIFIED in quick.not_checked
        assert UNVERIFIED in analysis_dict(quick)["not_checked"]  # type: ignore[operator]


@needs_corpus
@pytest.mark.parametrize("name", FORGED)
def test_a_forged_signature_is_only_caught_when_verifying(name: str) -> None:
    verifying, triage = analysers()
    data = (CORPUS / name).read_bytes()
    checked, quick = verifying.analyse_bytes(data, path=name), triage.analyse_bytes(data, path=name)
    assert checked.profile.signing.problems, "the verifying analysis must catch the forgery"
    assert not quick.profile.signing.problems
    assert UNVERIFIED in quick.not_checked
    assert [c.sha256 for c in quick.profile.signing.certificates] == [
        c.sha256 for c in checked.profile.signing.certificates
    ]


@needs_corpus
def test_structural_damage_is_still_reported_without_verifying() -> None:
    # Not a cryptographic check: a certificate that does not hold the signing key.
    name = "v2-only-cert-and-public-key-mismatch.apk"
    archive = ApkZip.from_bytes((CORPUS / name).read_bytes(), path=name)
    problems = read_signing(archive, verify_signatures=False).problems
    assert any("does not hold the public key" in p for p in problems)
