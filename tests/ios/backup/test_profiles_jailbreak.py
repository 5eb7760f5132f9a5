"""Configuration profiles, MDM enrolment and jailbreak traces."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.ios.gen.scenarios import CA_SUBJECT
from unstalk.ios.backup.jailbreak import TraceCollector
from unstalk.ios.backup.manifest import FileRow
from unstalk.ios.backup.profiles import parse_payload
from unstalk.ios.data.jailbreak import JAILBREAK_SIGNS
from unstalk.ios.model import IosAcquisition, ParseStatus, Profile


def _profiles(acquisition: IosAcquisition) -> dict[str, Profile]:
    assert acquisition.profiles.status is ParseStatus.OK
    return {profile.identifier: profile for profile in acquisition.profiles.value or ()}


def test_root_ca_vpn_and_proxy_payloads(read: dict[str, IosAcquisition]) -> None:
    profile = _profiles(read["profiles"])["com.acme.monitoring"]
    assert profile.display_name == "Network Security"
    assert profile.organisation == "Acme Monitoring"
    assert profile.uuid == "5A0C8E1F-2B3D-4E5F-9A0B-1C2D3E4F5A6B"
    assert profile.installed == datetime(2026, 10, 3, 21, 14, tzinfo=UTC)
    assert profile.source.endswith("Library/ConfigurationProfiles/profile-3f1a9c.stub")
    payloads = {payload.type: payload for payload in profile.payloads}
    root = dict(payloads["com.apple.security.root"].details)
    assert root["subject"] == CA_SUBJECT
    assert len(root["sha256"]) == 64
    assert dict(payloads["com.apple.vpn.managed"].details)["IKEv2.RemoteAddress"] == (
        "vpn.acme-monitor.example"
    )
    proxy = dict(payloads["com.apple.proxy.http.global"].details)
    assert proxy["ProxyServer"] == "proxy.acme-monitor.example"
    assert proxy["ProxyServerPort"] == "8080"


def test_mdm_profile_and_pem_certificate(read: dict[str, IosAcquisition]) -> None:
    # This stub is a binary plist; the one above is XML: both forms occur.
    profile = _profiles(read["profiles"])["com.acme.mdm"]
    assert profile.installed == datetime(2026, 10, 3, 21, 16, tzinfo=UTC)
    payloads = {payload.type: payload for payload in profile.payloads}
    mdm = dict(payloads["com.apple.mdm"].details)
    assert mdm["ServerURL"] == "https://mdm.acme-monitor.example/server"
    assert mdm["CheckInURL"] == "https://mdm.acme-monitor.example/checkin"
    assert dict(payloads["com.apple.security.pem"].details)["subject"] == CA_SUBJECT


def test_automated_enrolment_is_reported(read: dict[str, IosAcquisition]) -> None:
    enrolment = _profiles(read["profiles"])["CloudConfigurationDetails"]
    details = dict(enrolment.payloads[0].details)
    assert enrolment.organisation == "Acme Monitoring"
    assert details["ConfigurationURL"] == "https://mdm.acme-monitor.example/enroll"
    assert details["IsSupervised"] == "yes"


def test_phone_without_profiles_reads_ok_and_empty(read: dict[str, IosAcquisition]) -> None:
    assert _profiles(read["benign"]) == {}


def test_unreadable_certificate_is_said_not_dropped() -> None:
    payload = parse_payload({"PayloadType": "com.apple.security.root", "PayloadContent": b"junk"})
    assert payload.details == (("certificate", "could not be read"),)


def test_jailbreak_traces_name_tool_and_source(read: dict[str, IosAcquisition]) -> None:
    parsed = read["jailbroken"].jailbreak
    assert parsed.status is ParseStatus.OK
    traces = parsed.value or ()
    assert {trace.tool for trace in traces} == {"Cydia", "Sileo", "Filza"}
    sources = {trace.source for trace in traces}
    assert "HomeDomain/Library/Caches/com.saurik.Cydia" in sources
    assert "AppDomain-org.coolstar.SileoStore" in sources
    assert any(t.what == "Filza app (com.tigisoftware.Filza) installed" for t in traces)
    # One trace per tool and kind, not one per file under a jailbreak folder.
    assert len(traces) == len({(trace.tool, trace.what) for trace in traces})


def test_no_jailbreak_traces_on_a_benign_phone(read: dict[str, IosAcquisition]) -> None:
    assert read["benign"].jailbreak.status is ParseStatus.OK
    assert read["benign"].jailbreak.value == ()


def test_trace_table_is_lower_case_as_matching_expects() -> None:
    # Paths and bundle ids are lower-cased before matching; a mixed-case entry would never match.
    for sign in JAILBREAK_SIGNS:
        for value in (*sign.bundle_ids, *sign.paths):
            assert value == value.lower(), (sign.tool, value)


def test_rootless_jailbreak_folder_is_a_trace() -> None:
    collector = TraceCollector()
    collector.visit(FileRow("0" * 40, "RootDomain", "var/jb/usr/bin/apt", 1, None))
    collector.visit(FileRow("1" * 40, "HomeDomain", "Library/Preferences/x.plist", 1, None))
    traces = collector.traces()
    assert [(t.tool, t.source) for t in traces] == [
        ("APT / Substrate", "RootDomain/var/jb/usr/bin/apt")
    ]
