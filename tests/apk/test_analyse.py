"""Whole-APK analysis: the synthetic corpus, the AOSP apksig corpus and hostile files.

Every synthetic app must get the verdict tests/apk/cases/synthetic.yml expects (with the
feed bundled in unstalk), show the capabilities listed there, and match the feed entries
listed there; a test feed that lists one app's signing certificate must turn it into
stalkerware. Every real APK of ../shared/data/apksig must be analysed, or refused with an
ApkError, never crash; the damaged ones must say what is wrong.
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from tests.apk.builder.corpus import ApkBuilder
from tests.apk.builder.expectations import Expectation, FeedMatch
from tests.apk.builder.keys import load_key
from unstalk.apk.analyse import Analyser, ApkAnalysis, error_reason
from unstalk.apk.result_json import analysis_dict
from unstalk.errors import ApkError, ApkLimitError
from unstalk.feed.index import FeedIndex, Match
from unstalk.feed.model import (
    Family,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Role,
    family_id,
    normalise_value,
)
from unstalk.feed.store import bundled_dir, load_folder

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
RECORDING = Path(__file__).resolve().parent / "assets" / "signing" / "apksigner-output.json"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the AOSP apksig corpus is missing at {CORPUS}"
)
FEED_KINDS = {
    "package": {IndicatorKind.PACKAGE},
    "domain": {IndicatorKind.DOMAIN},
    "certificate": {IndicatorKind.CERT_SHA1, IndicatorKind.CERT_SHA256},
}
DAMAGE = re.compile(
    "did not verify|digest mismatch|Malformed APK|No certificates|No signatures|Public key "
    "mismatch|indicates the APK is signed using|mismatch between signatures and digests|No "
    "supported signatures|No JAR signatures|Missing META-INF/MANIFEST.MF|does not match the "
    "digest specified"
)
"""apksigner's words for damage in the file itself (not for a platform policy it enforces)."""


@cache
def bundled_analyser() -> Analyser:
    return Analyser(load_folder(bundled_dir()))


@pytest.fixture(scope="module")
def analyses(synthetic_apks: dict[str, Path]) -> dict[str, ApkAnalysis]:
    analyser = bundled_analyser()
    return {package: analyser.analyse_path(path) for package, path in synthetic_apks.items()}


def _matched(analysis: ApkAnalysis, expected: FeedMatch) -> list[Match]:
    return [
        m
        for m in analysis.matches
        if m.kind in FEED_KINDS[expected.kind]
        and m.indicator.value == expected.value
        and m.family.name == expected.family
    ]


# --- the synthetic corpus ----------------------------------------------------------------


def test_every_synthetic_app_gets_an_expected_verdict(
    analyses: dict[str, ApkAnalysis], synthetic_expectations: dict[str, Expectation]
) -> None:
    wrong = {
        package: (analyses[package].verdict.verdict.value, analyses[package].verdict.summary)
        for package, expected in synthetic_expectations.items()
        if analyses[package].verdict.verdict.value not in expected.acceptable
    }
    assert wrong == {}


def test_every_synthetic_app_shows_its_capabilities(
    analyses: dict[str, ApkAnalysis], synthetic_expectations: dict[str, Expectation]
) -> None:
    missing = {
        package: sorted(expected.capabilities - {c.capability.value for c in found})
        for package, expected in synthetic_expectations.items()
        for found in [analyses[package].capabilities]
    }
    assert {p: m for p, m in missing.items() if m} == {}


def test_feed_matches_are_found_and_only_listed_apps_match_on_identity(
    analyses: dict[str, ApkAnalysis], synthetic_expectations: dict[str, Expectation]
) -> None:
    for package, expected in synthetic_expectations.items():
        verdict = analyses[package].verdict
        for feed_match in expected.feed_matches:
            assert _matched(analyses[package], feed_match), (package, feed_match)
        if not any(m.kind in ("package", "certificate") for m in expected.feed_matches):
            assert not [f for f in verdict.families if f.decisive], package


def test_stalkerware_verdicts_name_their_family_and_evidence(
    analyses: dict[str, ApkAnalysis],
) -> None:
    verdict = analyses["com.thetruth"].verdict
    assert verdict.verdict.value == "stalkerware"
    assert "TheTruthSpy" in verdict.summary and "package name" in verdict.summary
    assert [f.family.name for f in verdict.families if f.decisive] == ["TheTruthSpy"]


def test_unlisted_spying_apps_are_never_called_stalkerware(
    analyses: dict[str, ApkAnalysis],
) -> None:
    hidden = analyses["com.android.callservice"].verdict
    assert hidden.verdict.value == "suspicious" and not hidden.dual_use
    assert "not called stalkerware" in hidden.summary
    for package in ("org.example.familymap", "org.example.kidsguardian"):
        verdict = analyses[package].verdict
        assert (verdict.verdict.value, verdict.dual_use) == ("suspicious", True), package
        assert "Review whether the person" in verdict.summary


def test_listing_the_signing_certificate_makes_it_stalkerware(
    synthetic_apks: dict[str, Path], synthetic_expectations: dict[str, Expectation]
) -> None:
    cases = [(p, e.with_test_feed) for p, e in synthetic_expectations.items() if e.with_test_feed]
    assert cases
    for package, case in cases:
        spy = Family(
            family_id(FamilyType.STALKERWARE, "Test Spy"), "Test Spy", FamilyType.STALKERWARE
        )
        sha1 = load_key(case.key).cert_sha1
        indicator = Indicator(
            IndicatorKind.CERT_SHA1, normalise_value(IndicatorKind.CERT_SHA1, sha1), spy.id
        )
        feed = Feed((spy,), (indicator,))
        analysis = Analyser(feed, index=FeedIndex.build(feed)).analyse_path(synthetic_apks[package])
        assert analysis.verdict.verdict.value == case.verdict
        assert "Test Spy" in analysis.verdict.summary
        assert "signing certificate" in analysis.verdict.summary
        assert [m.observed.upper() for m in analysis.matches] == [sha1]


def test_every_analysis_serialises_to_json_with_its_verdict(
    analyses: dict[str, ApkAnalysis],
) -> None:
    for package, analysis in analyses.items():
        obj = json.loads(json.dumps(analysis_dict(analysis)))
        assert obj["package"] == package
        assert obj["verdict"]["verdict"] == analysis.verdict.verdict.value
        assert obj["status"] == "analysed"
        assert obj["hashes"]["sha256"] == analysis.profile.hashes.sha256


def test_yara_rules_of_the_bundled_feed_run(analyses: dict[str, ApkAnalysis]) -> None:
    assert bundled_analyser().rules is not None
    assert all(not a.not_checked for a in analyses.values())


# --- the AOSP apksig corpus --------------------------------------------------------------


@cache
def _corpus_results() -> dict[str, ApkAnalysis | ApkError]:
    analyser = bundled_analyser()
    results: dict[str, ApkAnalysis | ApkError] = {}
    for path in sorted(CORPUS.glob("*.apk")):
        try:
            results[path.name] = analyser.analyse_path(path)
        except ApkError as e:
            results[path.name] = e
    return results


@needs_corpus
def test_every_real_apk_is_analysed_or_refused_plainly() -> None:
    results = _corpus_results()
    assert len(results) >= 300
    refused = {name: r for name, r in results.items() if isinstance(r, ApkError)}
    assert len(refused) <= 10, sorted(refused)
    for name, error in refused.items():
        assert error.path.endswith(name)
        assert "AndroidManifest.xml" in error_reason(error)
    for result in results.values():
        if isinstance(result, ApkAnalysis):
            assert result.profile.manifest.package


@needs_corpus
def test_damaged_real_apks_say_what_is_wrong() -> None:
    recorded = json.loads(RECORDING.read_text(encoding="utf-8"))
    damaged = [
        name
        for name, runs in recorded.items()
        if not any(run["verifies"] for key, run in runs.items() if key != "lineage")
        and any(DAMAGE.search(e) for run in runs.values() for e in run["errors"])
    ]
    assert len(damaged) >= 30
    silent = []
    for name in damaged:
        result = _corpus_results()[name]
        if isinstance(result, ApkAnalysis):
            problems = (*result.profile.problems, *result.profile.signing.problems)
            if not problems:
                silent.append(name)
    assert silent == []


# --- hostile files -----------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _refusal(data: bytes, name: str) -> ApkError:
    with pytest.raises(ApkError) as raised:
        bundled_analyser().analyse_bytes(data, path=name)
    error = raised.value
    assert error.path == name
    reason = error_reason(error)
    assert reason and reason[0].isalpha() and "Traceback" not in reason
    assert not re.search(r"\b[A-Z]\w+Error\b", reason), reason
    return error


def test_truncated_apk_is_read_as_far_as_it_goes(synthetic_apks: dict[str, Path]) -> None:
    data = synthetic_apks["com.thetruth"].read_bytes()
    analysis = bundled_analyser().analyse_bytes(data[: len(data) * 2 // 3], path="cut.apk")
    assert analysis.profile.manifest.package == "com.thetruth"
    assert any("truncated" in p for p in analysis.profile.problems)
    with pytest.raises(ApkError):
        bundled_analyser().analyse_bytes(data[:200], path="stub.apk")


def test_random_bytes_are_not_an_apk() -> None:
    error = _refusal(random.Random(7).randbytes(20_000), "random.apk")
    assert "not an APK" in error.message


def test_zip_bomb_is_stopped_before_it_expands() -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("AndroidManifest.xml", "w") as entry,
    ):
        for _ in range(32):
            entry.write(bytes(1 << 20))
    with pytest.raises(ApkLimitError) as raised:
        bundled_analyser().analyse_bytes(buffer.getvalue(), path="bomb.apk")
    assert "zip bomb" in raised.value.message


def test_garbage_manifest_is_refused_in_plain_words() -> None:
    garbage = random.Random(3).randbytes(4096)
    error = _refusal(_zip({"AndroidManifest.xml": garbage, "classes.dex": b"dex\n035\0"}), "g.apk")
    assert "AndroidManifest.xml" in error.message
    text = _refusal(_zip({"AndroidManifest.xml": b"<manifest package='a.b'/>"}), "t.apk")
    assert "plain-text XML" in text.message


def test_unreadable_code_is_a_problem_and_a_check_not_done(
    synthetic_apks: dict[str, Path],
) -> None:
    with zipfile.ZipFile(synthetic_apks["org.example.notes"]) as original:
        entries = {i.filename: original.read(i) for i in original.infolist()}
    entries["classes.dex"] = b"dex\n035\0" + bytes(50)
    analysis = bundled_analyser().analyse_bytes(_zip(entries), path="notes.apk")
    assert any(p.startswith("classes.dex could not be read: ") for p in analysis.profile.problems)
    assert not any("notes.apk:" in p for p in analysis.profile.problems)
    assert any("could not be read" in n for n in analysis.not_checked)


def test_urls_in_code_match_url_and_domain_indicators_as_a_full_lookup_does(
    apk_builder: ApkBuilder,
) -> None:
    # The analyser skips the index's URL parsing for hosts no indicator can match: what it
    # finds must be exactly what looking up every URL finds.
    urls = (
        "https://panel.spyhost.com/upload",
        "https://files.example.org/listed/a.apk",
        "https://FILES.example.org:443/listed/b.apk",
        "https://cdn.unrelated.net/lib.js",
        "http://user@[2001:db8::1]/x",
        "https://203.0.113.9/c2",
    )
    spy = Family(family_id(FamilyType.STALKERWARE, "Test Spy"), "Test Spy", FamilyType.STALKERWARE)
    values = (
        (IndicatorKind.DOMAIN, "spyhost.com"),
        (IndicatorKind.URL, "https://files.example.org/listed"),
        (IndicatorKind.IPV4, "203.0.113.9"),
    )
    indicators = tuple(
        Indicator(kind, normalise_value(kind, value), spy.id, Role.C2) for kind, value in values
    )
    feed = Feed((spy,), indicators)
    index = FeedIndex.build(feed)
    app = replace(apk_builder.app("org.example.notes"), dex_strings=("Lcom/example/A;", *urls))
    analysis = Analyser(feed, index=index).analyse_path(apk_builder.build(app))
    (dex,) = analysis.profile.dex
    # Each indicator is reported once, with the first place it was seen (URLs come first).
    first_seen: dict[tuple[str, str], str] = {}
    for m in (
        *(m for url in dex.urls for m in index.url(url)),
        *(m for host in dex.domains for m in index.domain(host)),
        *(m for address in dex.ips for m in index.ip(address)),
    ):
        first_seen.setdefault((m.kind.value, m.indicator.value), m.observed)
    found = {(m.kind.value, m.indicator.value): m.observed for m in analysis.matches}
    assert found == first_seen
    assert {m.kind for m in analysis.matches} == {kind for kind, _ in values}
