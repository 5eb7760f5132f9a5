"""Detection and the iPhone check result, on acquisitions built in code."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.android.folder_loader import bundled_index
from tests.ios.check_fixtures import (
    SPY_BUNDLE,
    WATCH_BUNDLE,
    missing,
    phone,
    profile,
    small_index,
)
from unstalk.ios.check import (
    CHECKLIST,
    NOT_RECORDED,
    NOTHING_FOUND,
    SCHEMA,
    IosCheckResult,
    check_acquisition,
    result_dict,
)
from unstalk.ios.model import AppOrigin, IosApp, JailbreakTrace, Profile, ProfilePayload
from unstalk.models import Parsed, ParseStatus, Severity

STORE_APP = IosApp("net.whatsapp.WhatsApp", "WhatsApp", origin=AppOrigin.APP_STORE)


def _check(
    *apps: IosApp,
    profiles: tuple[Profile, ...] = (),
    traces: tuple[JailbreakTrace, ...] = (),
    wifi_sync: bool = False,
) -> IosCheckResult:
    acquisition = phone(*apps, profiles=profiles, traces=traces, wifi_sync=wifi_sync)
    return check_acquisition(acquisition, small_index())


def _ids(result: IosCheckResult) -> list[str]:
    return [f.id for f in result.findings]


def test_an_ordinary_phone_finds_nothing_and_never_says_clean() -> None:
    result = _check(STORE_APP)
    assert result.findings == () and not result.found and not result.incomplete
    assert result.headline == NOTHING_FOUND
    assert result.checklist == CHECKLIST and len(CHECKLIST) >= 7
    assert "clean" not in json.dumps(result_dict(result)).lower()


def test_known_stalkerware_is_critical_with_its_evidence() -> None:
    spy = IosApp(SPY_BUNDLE, "Settings Helper", origin=AppOrigin.ENTERPRISE, source="installer")
    result = _check(spy, STORE_APP)
    first = result.findings[0]
    assert first.severity is Severity.CRITICAL and first.id == "ios.app.feed-match"
    assert "PhoneSpector" in first.title and first.app == SPY_BUNDLE
    values = [e.value for e in first.evidence]
    assert any("ios_bundle com.phonespector.agent (PhoneSpector, stalkerware)" in v for v in values)
    assert any(e.source == "installer" for e in first.evidence)
    assert result.found and result.headline.startswith("Known stalkerware found: Settings Helper")


def test_watchware_is_low_and_never_called_stalkerware() -> None:
    result = _check(IosApp(WATCH_BUNDLE, "KidWatch", origin=AppOrigin.APP_STORE))
    (finding,) = result.findings
    assert finding.severity is Severity.LOW and "watchware" in finding.title
    assert "stalkerware" not in finding.title.lower()
    assert not result.found
    watched = f"Known monitoring apps (watchware): KidWatch ({WATCH_BUNDLE})."
    assert result.headline == f"{NOTHING_FOUND} {watched}"


def test_the_bundled_feed_knows_life360_as_watchware() -> None:
    app = IosApp("com.life360.safetymap", "Life360", origin=AppOrigin.APP_STORE)
    result = check_acquisition(phone(app), bundled_index())
    assert [(f.id, f.severity) for f in result.findings] == [("ios.app.feed-match", Severity.LOW)]


@pytest.mark.parametrize(
    ("origin", "severity", "check"),
    [
        (AppOrigin.ENTERPRISE, Severity.HIGH, "ios.app.outside-app-store"),
        (AppOrigin.DEVELOPER, Severity.HIGH, "ios.app.outside-app-store"),
        (AppOrigin.TESTFLIGHT, Severity.LOW, "ios.app.testflight"),
    ],
)
def test_apps_not_from_the_app_store(origin: AppOrigin, severity: Severity, check: str) -> None:
    app = IosApp("com.example.sync", "Sync", origin=origin, signer="iPhone Distribution: X Ltd")
    (finding,) = _check(app).findings
    assert (finding.id, finding.severity) == (check, severity)


def test_many_apps_of_unknown_origin_are_counted_as_not_checked() -> None:
    apps = [IosApp(f"com.example.app{i}") for i in range(3)]
    result = _check(*apps, STORE_APP)
    assert result.findings == ()
    (part,) = [n for n in result.not_checked if n.part == "app_origins"]
    assert part.status == "partial" and "3 of 4 apps" in part.reasons[0]
    assert any("3 app(s)" in limit for limit in result.limits)
    assert not result.incomplete


def test_a_root_certificate_profile_is_high_and_shows_the_organisation() -> None:
    root = ProfilePayload("com.apple.security.root", details=(("subject", "CN=Proxy CA"),))
    result = _check(profiles=(profile("Network Helper", root, organisation="Acme"),))
    (finding,) = result.findings
    assert finding.severity is Severity.HIGH and finding.id == "ios.device.root-certificate"
    assert "Acme" in finding.title and "subject=CN=Proxy CA" in finding.evidence[0].value
    assert result.found


def test_vpn_proxy_and_mdm_profiles() -> None:
    vpn = ProfilePayload("com.apple.vpn.managed", details=(("server", "vpn.example.net"),))
    proxy = ProfilePayload("com.apple.proxy.http.global", details=(("host", "10.0.0.9"),))
    mdm = ProfilePayload("com.apple.mdm", details=(("ServerURL", "https://mdm.example/"),))
    work = profile("Work", mdm, organisation="Org")
    result = _check(profiles=(profile("VPN", vpn), profile("Proxy", proxy), work))
    found = {f.title: f.severity for f in result.findings}
    assert found["A profile sets up a global web proxy: 'Proxy'"] is Severity.HIGH
    assert found["A profile sets up a VPN: 'VPN'"] is Severity.MEDIUM
    mdm_finding = next(f for f in result.findings if f.id == "ios.device.mdm")
    assert mdm_finding.severity is Severity.HIGH and "work or school" in mdm_finding.explanation
    assert "ServerURL=https://mdm.example/" in mdm_finding.evidence[0].value


def test_wifi_sync_on_explains_the_risk_and_how_to_turn_it_off() -> None:
    (finding,) = _check(wifi_sync=True).findings
    assert finding.severity is Severity.MEDIUM and finding.id == "ios.device.wifi-sync"
    assert "Reset Location & Privacy" in finding.explanation
    assert "Show this iPhone when on Wi-Fi" in finding.explanation
    assert not _check(wifi_sync=False).findings


def test_jailbreak_traces_and_jailbreak_apps_are_high() -> None:
    traces = (JailbreakTrace("/Applications/Sileo.app", "RootDomain", tool="Sileo"),)
    result = _check(IosApp("com.opa334.TrollStore", "TrollStore"), traces=traces)
    ids = _ids(result)
    assert "ios.device.jailbreak" in ids and "ios.app.trollstore" in ids
    assert all(f.severity is Severity.HIGH for f in result.findings)
    jailbreak = next(f for f in result.findings if f.id == "ios.device.jailbreak")
    assert "(Sileo)" in jailbreak.title and jailbreak.evidence[0].source == "RootDomain"
    cydia = _check(IosApp("com.saurik.Cydia", "Cydia")).findings[0]
    assert cydia.id == "ios.app.jailbreak-app" and "Cydia" in cydia.title


def test_a_part_that_could_not_be_read_makes_the_check_incomplete() -> None:
    acquisition = missing(phone(STORE_APP), "profiles", "ConfigurationProfiles is missing")
    result = check_acquisition(acquisition, small_index())
    assert result.incomplete and not result.found
    (part,) = result.not_checked
    assert part.part == "profiles" and part.status == "missing"
    assert result.headline == NOTHING_FOUND


def test_findings_are_sorted_most_urgent_first() -> None:
    spy = IosApp(SPY_BUNDLE, origin=AppOrigin.APP_STORE)
    beta = IosApp("org.example.beta", origin=AppOrigin.TESTFLIGHT)
    result = _check(beta, spy, wifi_sync=True)
    severities = [f.severity for f in result.findings]
    assert severities == [Severity.CRITICAL, Severity.MEDIUM, Severity.LOW]


def test_the_json_result() -> None:
    spy = IosApp(SPY_BUNDLE, "Helper", "7", "1.2", AppOrigin.ENTERPRISE, "iPhone Distribution: X")
    acquisition = missing(phone(spy, STORE_APP), "jailbreak", "not read")
    document = result_dict(check_acquisition(acquisition, small_index()))
    json.dumps(document)
    assert document["schema"] == SCHEMA and document["kind"] == "backup"
    assert document["found"] is True and document["incomplete"] is True
    device = document["device"]
    assert isinstance(device, dict) and device["ios_version"] == "17.5.1"
    assert "properties" not in device
    apps = document["apps"]
    assert isinstance(apps, list)
    entry = apps[0]
    assert isinstance(entry, dict) and entry["origin"] == "enterprise"
    assert entry["feed"] == [
        {"family": "PhoneSpector", "type": "stalkerware", "indicator": SPY_BUNDLE}
    ]
    findings = document["findings"]
    assert isinstance(findings, list) and isinstance(findings[0], dict)
    assert findings[0]["severity"] == "critical" and findings[0]["evidence"]
    checklist = document["checklist"]
    assert isinstance(checklist, list) and len(checklist) == len(CHECKLIST)
    assert all(isinstance(c, dict) and c["how"] for c in checklist)
    not_checked = document["not_checked"]
    assert isinstance(not_checked, list) and isinstance(not_checked[0], dict)
    assert not_checked[0]["part"] == "jailbreak"


def test_wifi_sync_not_in_a_backup_is_a_limit_not_an_incomplete_check() -> None:
    acquisition = phone(STORE_APP)
    unknown: Parsed[bool] = Parsed("Manifest.plist", ParseStatus.MISSING, problems=("not kept",))
    result = check_acquisition(dataclasses.replace(acquisition, wifi_sync=unknown), small_index())
    (part,) = result.not_checked
    assert (part.part, part.status) == ("wifi_sync", NOT_RECORDED)
    assert not result.incomplete
    live = dataclasses.replace(acquisition, kind="device", wifi_sync=unknown)
    assert check_acquisition(live, small_index()).incomplete
