"""Reports of iPhone checks: findings, verdicts, outcome, acquisition, and every language.

The golden iPhone report (``golden/ios.json``) is checked in ``test_golden.py``; its
backup is made by ``tests/ios/gen`` (see ``fixtures.py``). Here, typed acquisitions
from ``tests/ios/check_fixtures.py`` give the cases the backup does not hold.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape

from tests.ios.check_fixtures import SPY_BUNDLE, WATCH_BUNDLE, missing, phone, profile, small_index
from tests.ios.gen import SCENARIOS, write_backup
from unstalk.cli.check import check
from unstalk.cli.check_ios import ios
from unstalk.cli.main import cli
from unstalk.cli.report import report
from unstalk.errors import ReportError
from unstalk.feed.model import Provenance
from unstalk.ios.backup import read_backup
from unstalk.ios.check import CHECKLIST, LIMITS, IosCheckResult, check_acquisition, result_dict
from unstalk.ios.model import (
    AppOrigin,
    IosApp,
    IosDeviceInfo,
    JailbreakTrace,
    Profile,
    ProfilePayload,
)
from unstalk.models import Severity
from unstalk.report.check_texts import TEMPLATES
from unstalk.report.convert import report_from_bytes
from unstalk.report.from_ios import report_from_ios
from unstalk.report.html import render_html
from unstalk.report.i18n import LANGUAGES, translator
from unstalk.report.model import AppVerdict, EvidenceKind, Kind, Outcome, Report, load_report
from unstalk.report.texts import say

from .fixtures import CREATED, report_of

if "ios" not in check.commands:
    check.add_command(ios)
if "report" not in cli.commands:
    cli.add_command(report)

FEED = Provenance(format="echap", source="bundled", version="test-feed")
ENTERPRISE = IosApp("com.example.tracker", "Tracker", origin=AppOrigin.ENTERPRISE, signer="Acme")


def _checked(
    *apps: IosApp,
    profiles: tuple[Profile, ...] = (),
    traces: tuple[JailbreakTrace, ...] = (),
    wifi_sync: bool = False,
) -> IosCheckResult:
    acquisition = phone(*apps, profiles=profiles, traces=traces, wifi_sync=wifi_sync)
    return check_acquisition(acquisition, small_index())


def _report(result: IosCheckResult) -> Report:
    return report_from_ios(result, created_at=CREATED, feed=FEED)


def _every_finding() -> IosCheckResult:
    """A phone with every kind of finding the iPhone check writes (the backup lacks some)."""
    payloads = [
        ProfilePayload(kind)
        for kind in (
            "com.apple.security.root",
            "com.apple.proxy.http.global",
            "com.apple.vpn.managed",
            "com.apple.vpn.managed.applayer",
            "com.apple.dnsSettings.managed",
            "com.apple.webcontent-filter",
            "com.apple.mdm",
        )
    ]
    apps = (
        IosApp(SPY_BUNDLE, "Phone Spector"),
        IosApp(WATCH_BUNDLE),
        ENTERPRISE,
        IosApp("com.example.dev", origin=AppOrigin.DEVELOPER),
        IosApp("com.example.beta", "Beta", origin=AppOrigin.TESTFLIGHT),
        IosApp("com.opa334.TrollStore", "TrollStore"),
        IosApp("com.saurik.Cydia", "Cydia"),
    )
    profiles = (profile("Work", *payloads, organisation="Acme"), profile("Anon", payloads[0]))
    traces = (JailbreakTrace("Cydia app", "Manifest.db", "Cydia"),)
    return _checked(*apps, profiles=profiles, traces=traces, wifi_sync=True)


def test_typed_result_and_its_json_give_the_same_report() -> None:
    result = _every_finding()
    data = result_dict(result)
    data["feed"] = {"format": "echap", "source": "bundled", "version": "test-feed"}
    from_json = report_from_bytes(json.dumps(data).encode(), source="r.json", created_at=CREATED)
    assert from_json == _report(result)
    assert from_json.kind is Kind.IOS and from_json.feed is not None


def test_known_stalkerware_is_found_with_its_indicator() -> None:
    made = _report(_checked(IosApp(SPY_BUNDLE, "Phone Spector"), IosApp(WATCH_BUNDLE)))
    assert made.outcome is Outcome.FOUND
    assert made.summary.stalkerware == (f"PhoneSpector ({SPY_BUNDLE})",)
    assert made.headline.startswith("Known stalkerware found: PhoneSpector")
    spy = next(f for f in made.findings if f.subject == SPY_BUNDLE)
    assert (spy.code, spy.severity, spy.params["family"]) == (
        "ios.app.feed-match",
        Severity.CRITICAL,
        "PhoneSpector",
    )
    assert spy.title == "Known stalkerware (PhoneSpector)"
    indicator = spy.evidence[0]
    assert indicator.kind is EvidenceKind.INDICATOR and indicator.indicator == SPY_BUNDLE
    assert indicator.family == "PhoneSpector" and indicator.source == "ioc.yaml"
    watch = next(f for f in made.findings if f.subject == WATCH_BUNDLE)
    assert watch.code == "ios.app.watchware-match" and watch.severity is Severity.LOW
    verdicts = {a.id: a.verdict for a in made.apps}
    assert verdicts == {SPY_BUNDLE: AppVerdict.STALKERWARE, WATCH_BUNDLE: AppVerdict.WATCHWARE}


def test_an_app_installed_with_a_certificate_is_suspicious_not_stalkerware() -> None:
    made = _report(_checked(ENTERPRISE, IosApp("com.example.store", origin=AppOrigin.APP_STORE)))
    assert made.outcome is Outcome.FOUND and made.summary.stalkerware == ()
    apps = {a.id: a for a in made.apps}
    assert apps["com.example.tracker"].verdict is AppVerdict.SUSPICIOUS
    assert apps["com.example.tracker"].summary == "Installed from outside the App Store"
    assert apps["com.example.tracker"].installed_from == "enterprise"
    assert apps["com.example.store"].verdict is AppVerdict.NO_EVIDENCE


def test_wifi_sync_not_recorded_by_a_backup_alone_is_nothing_found(tmp_path: Path) -> None:
    folder = write_backup(tmp_path, SCENARIOS["benign"]())
    made = _report(check_acquisition(read_backup(folder), small_index()))
    assert made.outcome is Outcome.NOTHING_FOUND
    assert made.headline == "No known stalkerware found by these checks."
    wifi = next(n for n in made.not_checked if n.part == "wifi_sync")
    assert not wifi.complete_miss and "does not record" in wifi.reason


def test_a_part_that_could_not_be_read_makes_the_report_incomplete() -> None:
    unread = missing(phone(), "profiles", "the profiles could not be read")
    made = _report(check_acquisition(unread, small_index()))
    assert made.outcome is Outcome.INCOMPLETE
    part = next(n for n in made.not_checked if n.part == "profiles")
    assert part.complete_miss and part.reason == "the profiles could not be read"
    assert "not complete" in made.headline


def test_found_is_not_hidden_by_an_unread_part() -> None:
    unread = missing(phone(IosApp(SPY_BUNDLE)), "jailbreak", "cut short")
    assert _report(check_acquisition(unread, small_index())).outcome is Outcome.FOUND


def test_acquisition_time_and_file_hashes_come_from_the_backup() -> None:
    made = report_of("ios")
    assert made.acquisition is not None
    assert made.acquisition.acquired_at is not None
    assert made.acquisition.acquired_at.isoformat() == "2026-11-20T18:30:05+00:00"
    assert made.acquisition.format == "backup" and made.acquisition.source == "case-2/backup"
    files = made.acquisition.files
    assert {"Info.plist", "Manifest.db", "Manifest.plist"} <= set(files)
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in files.values())
    assert made.subject == "Apple iPhone14,2 (iOS 17.5.1)"


def test_files_given_by_the_caller_replace_the_checks_own() -> None:
    made = report_from_ios(_checked(), created_at=CREATED, files={"x": "0" * 64})
    assert made.acquisition is not None and made.acquisition.files == {"x": "0" * 64}


def test_the_checklist_comes_with_its_steps() -> None:
    made = report_of("ios")
    assert [c.id for c in made.checklist] == [c.id for c in CHECKLIST]
    assert all(len(c.how) == 1 and c.how[0] for c in made.checklist)


def test_every_finding_says_what_it_means_and_what_to_do() -> None:
    findings = _report(_every_finding()).findings
    assert len({f.code for f in findings}) == 11
    assert all(f.meaning and f.do and f.dont for f in findings)
    by_code = {f.code: f for f in findings}
    assert "Wi-Fi" in by_code["ios.device.wifi-sync"].meaning
    for code in ("ios.device.root-certificate", "ios.device.traffic-routing", "ios.device.mdm"):
        assert "profile" in by_code[code].meaning
    assert by_code["ios.app.feed-match"].dont[0].startswith("Do not remove the app")


def test_the_checks_fixed_sentences_have_templates() -> None:
    # A reworded iPhone check fails here: update ios_texts.py and the catalogs with it.
    fixed = [*LIMITS, *(c.title for c in CHECKLIST), *(c.how for c in CHECKLIST)]
    assert [text for text in fixed if text not in TEMPLATES] == []


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_finding_and_limit_is_said_in_the_language(lang: str) -> None:
    tr = translator(lang)
    made = _report(_every_finding())
    texts = [
        *(t for f in made.findings for t in (f.title, f.explanation, f.meaning, *f.do, *f.dont)),
        *made.limits,
        *made.checked,
    ]
    english = [text for text in texts if say(text, tr).lang != lang]
    assert english == []


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_html_checklist_and_advice_leave_no_english(lang: str) -> None:
    made = report_of("ios")
    html = render_html(made, lang)
    checklist = html[
        html.index('id="checklist"') : html.index("</section>", html.index('id="checklist"'))
    ]
    assert 'lang="en"' not in checklist
    tr = translator(lang)
    for item in made.checklist:
        assert escape(tr.gettext(item.title)) in checklist
        assert escape(tr.gettext(item.how[0])) in checklist
    for finding in made.findings:
        for sentence in (finding.meaning, *finding.do, *finding.dont):
            assert escape(tr.gettext(sentence)) in html
    assert '<span lang="en">' not in html


def test_a_device_without_facts_is_still_named() -> None:
    result = dataclasses.replace(_checked(), device=IosDeviceInfo())
    assert _report(result).subject == "iPhone"
    unknown = dataclasses.replace(_checked(), device=None)
    assert _report(unknown).subject == "iPhone"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UNSTALK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UNSTALK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "home"


@pytest.mark.usefixtures("home")
def test_check_ios_json_renders_as_an_html_report(tmp_path: Path) -> None:
    backup = write_backup(tmp_path / "backups", SCENARIOS["jailbroken"]())
    runner = CliRunner()
    checked = runner.invoke(cli, ["check", "ios", "--backup", str(backup), "--format", "json"])
    assert checked.exit_code == 1, checked.output
    result = tmp_path / "r.json"
    result.write_text(checked.stdout, encoding="utf-8")
    page, kept = tmp_path / "r.html", tmp_path / "report.json"
    rendered = runner.invoke(cli, ["report", str(result), "--format", "html", "-o", str(page)])
    assert rendered.exit_code == 1, rendered.output
    html = page.read_text(encoding="utf-8")
    assert "Signs that the phone is or was jailbroken" in html and 'id="checklist"' in html
    assert (
        runner.invoke(cli, ["report", str(result), "--format", "json", "-o", str(kept)]).exit_code
        == 1
    )
    made = load_report(kept.read_text(encoding="utf-8"))
    assert made.kind is Kind.IOS and made.feed is not None and made.feed.name.startswith("echap")
    assert made.acquisition is not None and "Manifest.db" in made.acquisition.files


def test_a_broken_ios_result_is_refused_in_plain_words() -> None:
    bad = {"schema": "unstalk.ios-check/1", "findings": [{"id": "x"}]}
    with pytest.raises(ReportError, match="iPhone check result cannot be read"):
        report_from_bytes(json.dumps(bad).encode(), source="r.json", created_at=CREATED)


def test_wifi_sync_on_is_a_finding_to_review() -> None:
    made = _report(_checked(wifi_sync=True))
    wifi = next(f for f in made.findings if f.code == "ios.device.wifi-sync")
    assert wifi.severity is Severity.MEDIUM and made.outcome is Outcome.NOTHING_FOUND
    assert made.summary.review == 1
