"""Reports of real check results, compared with golden files.

The inputs are made by the other checks' generators (see ``tests/report/fixtures.py``).
After an intended change, regenerate the golden files and review the diff::

    python -m tests.report.fixtures
"""

from __future__ import annotations

import pytest

from unstalk.models import Severity
from unstalk.report.model import AppVerdict, EvidenceKind, Kind, Outcome, Report, report_json

from .fixtures import GOLDEN, report_of, stable


@pytest.mark.parametrize("kind", ["android", "network", "apk", "ios"])
def test_report_matches_golden(kind: str) -> None:
    expected = (GOLDEN / f"{kind}.json").read_text(encoding="utf-8")
    assert report_json(stable(report_of(kind))) == expected


def test_android_report_names_the_stalkerware_with_its_evidence() -> None:
    report = report_of("android")
    assert report.outcome is Outcome.FOUND
    assert report.subject == "Google Pixel 7 (Android 14)"
    assert report.headline.startswith("Known stalkerware found: ")
    stalkerware = [f for f in report.findings if f.code == "android.app.feed-match"]
    assert len(stalkerware) == 2
    for finding in stalkerware:
        assert finding.severity is Severity.CRITICAL
        assert finding.params["family"] in report.headline
        indicator = finding.evidence[0]
        assert indicator.kind is EvidenceKind.INDICATOR and indicator.source == "ioc.yaml"
        assert any("remove" in text for text in finding.dont)
    watchware = [a for a in report.apps if a.verdict is AppVerdict.WATCHWARE]
    assert watchware and all(
        f.severity is Severity.LOW
        for f in report.findings
        if f.code == "android.app.watchware-match"
    )
    # The root check could not look everywhere: said, but not a reason for "incomplete".
    assert [n.part for n in report.not_checked] == ["root_indicators"]


def test_findings_are_listed_most_urgent_first() -> None:
    for kind in ("android", "network", "apk", "ios"):
        ranks = [f.severity.rank for f in report_of(kind).findings]
        assert ranks == sorted(ranks)


def test_network_report_points_to_the_packets_and_the_indicator() -> None:
    report = report_of("network")
    c2 = next(f for f in report.findings if f.subject == "media-sync-a.copy9.com")
    seen, indicator = c2.evidence[0], c2.evidence[1]
    assert seen.source == "phone.pcapng" and seen.location.startswith("frame 1")
    assert indicator.indicator == "media-sync-a.copy9.com" and indicator.family == "TheTruthSpy"
    assert c2.time is not None
    assert report.summary.stalkerware == ("TheTruthSpy", "KidsShield")
    assert len(report.checked) == 2


def test_apk_file_that_could_not_be_read_makes_the_report_incomplete() -> None:
    report = report_of("apk")
    assert report.outcome is Outcome.INCOMPLETE
    broken = [n for n in report.not_checked if n.part == "apks/broken.apk"]
    assert broken and broken[0].complete_miss and "not a ZIP" in broken[0].reason
    assert {a.verdict for a in report.apps} >= {AppVerdict.SUSPICIOUS, AppVerdict.NO_EVIDENCE}


def test_reports_round_trip_through_json() -> None:
    for kind in ("android", "network", "apk", "ios"):
        report = report_of(kind)
        assert Report.model_validate_json(report_json(report)) == report


def test_ios_report_names_the_watchware_and_what_needs_a_look() -> None:
    report = report_of("ios")
    assert report.kind is Kind.IOS and report.outcome is Outcome.FOUND
    assert report.summary.stalkerware == ()
    assert report.summary.watchware == ("FindMyKids (com.wheremychildren.ios)",)
    codes = {f.code for f in report.findings if f.severity is Severity.HIGH}
    assert codes == {
        "ios.app.jailbreak-app",
        "ios.device.root-certificate",
        "ios.device.traffic-routing",
        "ios.device.mdm",
        "ios.device.jailbreak",
    }
    suspicious = {a.id for a in report.apps if a.verdict is AppVerdict.SUSPICIOUS}
    assert suspicious == {"com.tigisoftware.Filza", "org.coolstar.SileoStore"}
    # The backup does not record Wi-Fi sync: said, but not a reason for "incomplete".
    assert [(n.part, n.complete_miss) for n in report.not_checked] == [("wifi_sync", False)]
