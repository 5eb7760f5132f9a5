"""Capability detection: each rule's precision, its evidence, and the dex string index.

Manifests are written in the layout of tests/cases/README.md (``manifest_from``);
end-to-end cases with verdicts live in tests/cases/apk/*.yml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from tests.criteria.apk_cases import manifest_from
from unstalk.apk.capabilities import (
    Capability,
    CapabilityFinding,
    Confidence,
    EvidenceKind,
    detect_capabilities,
)
from unstalk.apk.capabilities_facts import UNKNOWN_DEX, StringIndex
from unstalk.apk.capabilities_rules import MAX_ENDPOINTS, NEEDLES
from unstalk.apk.model import DexInfo, Sha256

C = Capability
APP: Mapping[str, object] = {"kind": "activity", "name": ".Main", "launcher": True}
A11Y: Mapping[str, object] = {
    "kind": "service",
    "name": ".Reader",
    "permission": "BIND_ACCESSIBILITY_SERVICE",
    "meta_data": [{"name": "android.accessibilityservice", "resource": "res/xml/a11y.xml"}],
}


def detect(
    *,
    permissions: list[str] | None = None,
    components: Sequence[Mapping[str, object]] | None = None,
    strings: dict[str, list[str]] | list[str] | None = None,
    dex: tuple[DexInfo, ...] = (),
    **manifest: object,
) -> dict[Capability, CapabilityFinding]:
    node = {
        "package": "com.example.app",
        "permissions": permissions or [],
        "components": [APP] if components is None else components,
        **manifest,
    }
    found = detect_capabilities(manifest_from(node), strings or [], dex)
    return {f.capability: f for f in found}


def endpoints(
    urls: tuple[str, ...] = (), domains: tuple[str, ...] = (), ips: tuple[str, ...] = ()
) -> tuple[DexInfo, ...]:
    return (DexInfo("classes.dex", Sha256("0" * 64), 0, urls, domains, ips),)


def values(finding: CapabilityFinding) -> list[str]:
    return [e.value for e in finding.evidence]


# The string index -----------------------------------------------------------------------------


def test_exact_strings_name_the_dex_file_they_were_found_in() -> None:
    index = StringIndex({"classes.dex": ["a"], "classes2.dex": ["lockNow"]}, ())
    [evidence] = index.exact("lockNow", "wipeData")
    assert (evidence.kind, evidence.value, evidence.source) == (
        EvidenceKind.DEX_STRING,
        "lockNow",
        "classes2.dex",
    )
    assert StringIndex.of(["lockNow"], ()).exact("lockNow")[0].source == UNKNOWN_DEX


def test_substrings_are_found_inside_literals_with_the_whole_string_as_evidence() -> None:
    needles = ("com.whatsapp", "com.whatsapp:id/", "content://sms", "msgstore.db")
    index = StringIndex(
        {
            "classes.dex": ["x", "com.whatsapp:id/entry"],
            "classes3.dex": ["/data/data/com.whatsapp/databases/msgstore.db"],
        },
        needles,
    )
    found = {e.value: e.source for e in index.containing(*needles)}
    assert found == {
        "com.whatsapp:id/entry": "classes.dex",
        "/data/data/com.whatsapp/databases/msgstore.db": "classes3.dex",
    }
    assert not index.containing("content://sms")


def test_type_descriptors_are_not_scanned_for_substrings() -> None:
    index = StringIndex({"classes.dex": ["Lcontent://sms/Inbox;"]}, ("content://sms",))
    assert not index.containing("content://sms")


def test_overlapping_needles_are_all_found() -> None:
    index = StringIndex(
        {"c.dex": ["xcom.whatsapp.w4b", "aa.bb:cc"]}, ("com.whatsapp", "a.bb:c", "bb:cc")
    )
    assert len(index.containing("com.whatsapp", "a.bb:c", "bb:cc")) == 3


def test_a_needle_the_scan_cannot_reach_is_refused() -> None:
    with pytest.raises(ValueError, match="needle"):
        StringIndex({}, ("plainword",))


def test_a_large_string_table_is_indexed_whole() -> None:
    # Every string holds '.' and '/', so none is skipped: the scan's worst case.
    table = [f"org.example.m{i}/part{i % 97}" for i in range(200_000)]
    table[-1] = "content://sms/inbox"
    table[0] = "https://x.example/com.viber.voip:id/message"
    index = StringIndex({"classes.dex": table}, NEEDLES)
    assert index.containing("content://sms")[0].value == "content://sms/inbox"
    assert len(index.containing("com.viber.voip", "com.viber.voip:id/")) == 2
    assert index.exact(table[100_000])
    assert not index.containing("com.whatsapp")


# Precision of the rules -----------------------------------------------------------------------


def test_a_permission_alone_is_low_and_code_using_it_raises_confidence() -> None:
    assert detect(permissions=["READ_SMS"])[C.SMS_READ].confidence is Confidence.LOW
    found = detect(permissions=["READ_SMS"], strings=["content://sms/inbox"])
    assert found[C.SMS_READ].confidence is Confidence.MEDIUM
    assert C.SMS_READ not in detect(strings=["content://sms/inbox"])


def test_sms_interception_needs_the_permission_and_grows_with_receiver_and_code() -> None:
    receiver = {
        "kind": "receiver",
        "name": ".In",
        "actions": ["android.provider.Telephony.SMS_RECEIVED"],
    }
    assert C.SMS_INTERCEPT not in detect(components=[APP, receiver])
    medium = detect(permissions=["RECEIVE_SMS"], components=[APP, receiver])
    assert medium[C.SMS_INTERCEPT].confidence is Confidence.MEDIUM
    assert "android.provider.Telephony.SMS_RECEIVED -> com.example.app.In" in values(
        medium[C.SMS_INTERCEPT]
    )
    high = detect(
        permissions=["RECEIVE_SMS"], components=[APP, receiver], strings=["createFromPdu"]
    )
    assert high[C.SMS_INTERCEPT].confidence is Confidence.HIGH


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"accessibilityEventTypes": "typeAllMask"}, Confidence.HIGH),
        ({"android:accessibilityEventTypes": "0xffffffff"}, Confidence.HIGH),
        ({"accessibilityEventTypes": "-1"}, Confidence.HIGH),
        ({"accessibilityEventTypes": "typeViewClicked|typeViewTextChanged"}, Confidence.HIGH),
        ({"canRetrieveWindowContent": "true"}, Confidence.HIGH),
        ({"accessibilityEventTypes": "typeViewClicked"}, Confidence.MEDIUM),
        ({"accessibilityEventTypes": "0x1"}, Confidence.MEDIUM),
        ({"canRetrieveWindowContent": "false"}, Confidence.MEDIUM),
    ],
)
def test_accessibility_keylogging_reads_the_service_configuration(
    attributes: dict[str, str], expected: Confidence
) -> None:
    configs = [{"path": "res/xml/a11y.xml", "attributes": attributes}]
    found = detect(components=[APP, A11Y], configs=configs, strings=["getRootInActiveWindow"])
    assert found[C.ACCESSIBILITY_KEYLOGGING].confidence is expected
    if expected is Confidence.HIGH:
        config = [
            e for e in found[C.ACCESSIBILITY_KEYLOGGING].evidence if e.kind is EvidenceKind.CONFIG
        ]
        assert config[0].source == "res/xml/a11y.xml"


def test_accessibility_code_without_a_declared_service_is_not_keylogging() -> None:
    found = detect(strings=["getRootInActiveWindow", "findAccessibilityNodeInfosByViewId"])
    assert C.ACCESSIBILITY_KEYLOGGING not in found
    assert detect(components=[APP, A11Y])[C.ACCESSIBILITY_KEYLOGGING].confidence is Confidence.LOW


def test_messenger_names_alone_are_share_targets_not_capture() -> None:
    names = ["com.whatsapp", "org.telegram.messenger", "com.facebook.orca"]
    assert C.MESSAGING_CAPTURE not in detect(strings=names)
    listener = {
        "kind": "service",
        "name": ".N",
        "actions": ["android.service.notification.NotificationListenerService"],
    }
    found = detect(components=[APP, listener], strings=names)
    assert found[C.MESSAGING_CAPTURE].confidence is Confidence.MEDIUM
    files = detect(strings=["/sdcard/WhatsApp/Databases/msgstore.db.crypt14"])
    assert files[C.MESSAGING_CAPTURE].confidence is Confidence.MEDIUM


def test_hidden_icon_from_the_manifest() -> None:
    hidden = detect(components=[{"kind": "service", "name": ".S"}])
    assert hidden[C.HIDE_ICON].confidence is Confidence.MEDIUM
    disabled = detect(components=[{**APP, "enabled": False}])
    assert "launcher entry, disabled at install" in values(disabled[C.HIDE_ICON])[1]
    tv = {"kind": "activity", "name": ".Tv", "actions": ["android.intent.action.MAIN"],
          "categories": ["android.intent.category.LEANBACK_LAUNCHER"]}  # fmt: skip
    assert C.HIDE_ICON not in detect(components=[tv])


def test_code_that_can_remove_the_only_icon_is_stronger_than_an_icon_chooser() -> None:
    toggles = ["setComponentEnabledSetting", "com.example.app.Main"]
    assert detect(strings=toggles)[C.HIDE_ICON].confidence is Confidence.MEDIUM
    alias = {"kind": "activity-alias", "name": ".Dark", "launcher": True}
    assert (
        detect(components=[APP, alias], strings=toggles)[C.HIDE_ICON].confidence is Confidence.LOW
    )
    assert C.HIDE_ICON not in detect(strings=["com.example.app.Main"])


@pytest.mark.parametrize(
    ("label", "package", "confidence"),
    [
        ("System Service", "com.xyz.helper", Confidence.MEDIUM),
        ("Google Services", "com.sync.core", Confidence.MEDIUM),
        ("Update", "com.tools.app", Confidence.MEDIUM),
        ("Wi-Fi", "net.example", Confidence.MEDIUM),
        ("Wi-Fi Sync", "com.android.system.wifisync", Confidence.LOW),
        ("Google Play services", "com.google.android.gms", Confidence.LOW),
        ("Battery Saver", "com.example.saver", None),
        ("Device Security", "com.example.av", None),
        ("Family Locator", "com.example.locator", None),
    ],
)
def test_masquerading_labels(label: str, package: str, confidence: Confidence | None) -> None:
    found = detect(label=label, package=package).get(C.MASQUERADING)
    assert (found.confidence if found else None) == confidence
    if found and confidence is Confidence.LOW:
        assert "signing certificate" in found.note


def test_without_dex_info_the_urls_among_the_strings_are_the_endpoints() -> None:
    strings = ["http://203.0.113.5/gate.php", "https://www.w3.org/2000/svg", "no url here"]
    found = detect(permissions=["INTERNET"], strings={"classes2.dex": strings})
    evidence = found[C.EXFILTRATION_ENDPOINTS].evidence
    assert [(e.value, e.source) for e in evidence[1:]] == [
        ("http://203.0.113.5/gate.php", "classes2.dex")
    ]
    dex = endpoints(domains=("api.example.net",))
    given = detect(permissions=["INTERNET"], strings={"classes2.dex": strings}, dex=dex)
    assert values(given[C.EXFILTRATION_ENDPOINTS])[1:] == ["api.example.net"]


def test_endpoints_need_internet_and_skip_namespaces_local_addresses_and_oids() -> None:
    dex = endpoints(
        urls=("http://schemas.android.com/apk/res/android", "https://api.example.net/v1"),
        domains=("www.w3.org",),
        ips=("127.0.0.1", "192.168.1.1", "2.5.4.3", "fe80::1", "0.0.0.0"),
    )
    assert C.EXFILTRATION_ENDPOINTS not in detect(dex=dex)
    found = detect(permissions=["INTERNET"], dex=dex)[C.EXFILTRATION_ENDPOINTS]
    assert found.confidence is Confidence.LOW
    assert values(found) == ["android.permission.INTERNET", "https://api.example.net/v1"]
    assert found.evidence[1].source == "classes.dex"


def test_ip_literals_and_cleartext_stand_out_and_long_lists_are_cut() -> None:
    dex = endpoints(domains=tuple(f"h{i}.example.net" for i in range(100)), ips=("198.51.100.9",))
    found = detect(permissions=["INTERNET"], dex=dex)[C.EXFILTRATION_ENDPOINTS]
    assert found.confidence is Confidence.MEDIUM
    assert values(found)[1] == "198.51.100.9"
    assert len(found.evidence) == MAX_ENDPOINTS + 1
    assert "101 endpoints" in found.note


def test_before_android_10_location_permissions_reach_the_background() -> None:
    found = detect(permissions=["ACCESS_FINE_LOCATION"], target_sdk=28)
    assert "targetSdkVersion=28 (before 29)" in values(found[C.LOCATION_BACKGROUND])
    assert C.LOCATION_BACKGROUND not in detect(permissions=["ACCESS_FINE_LOCATION"])


def test_push_messaging_alone_is_a_weak_sign_of_remote_commands() -> None:
    push = {"kind": "service", "name": ".P", "actions": ["com.google.firebase.MESSAGING_EVENT"]}
    assert detect(components=[APP, push])[C.REMOTE_COMMANDS].confidence is Confidence.LOW


def test_device_admin_policies_come_from_the_admin_configuration() -> None:
    admin = {
        "kind": "receiver",
        "name": ".Admin",
        "permission": "BIND_DEVICE_ADMIN",
        "meta_data": [{"name": "android.app.device_admin", "resource": "res/xml/admin.xml"}],
    }
    configs = [{"path": "res/xml/admin.xml", "children": ["uses-policies", "force-lock"]}]
    found = detect(components=[APP, admin], configs=configs, strings=["lockNow"])
    assert found[C.DEVICE_ADMIN_LOCK].confidence is Confidence.HIGH
    assert found[C.DEVICE_ADMIN_LOCK].evidence[0].source == "res/xml/admin.xml"
    assert C.DEVICE_ADMIN_WIPE not in found
    assert found[C.UNINSTALL_PROTECTION].confidence is Confidence.MEDIUM


def test_an_accessibility_service_that_backs_out_of_the_installer_resists_removal() -> None:
    strings = ["performGlobalAction", "com.google.android.packageinstaller"]
    found = detect(components=[APP, A11Y], strings=strings)
    assert found[C.UNINSTALL_PROTECTION].confidence is Confidence.MEDIUM
    assert C.UNINSTALL_PROTECTION not in detect(strings=strings)


@pytest.mark.parametrize(
    "types", ["location|camera", "0x40000000", "manifest", "location, dataSync"]
)
def test_any_spelling_of_foreground_service_types_counts_as_running(types: str) -> None:
    service = {"kind": "service", "name": ".Run", "foreground_service_type": types}
    assert C.PERSISTENCE in detect(components=[APP, service])


def test_findings_come_once_each_in_capability_order_with_manifest_sources() -> None:
    found = detect_capabilities(
        manifest_from(
            {
                "package": "com.example.app",
                "permissions": ["CAMERA", "READ_CONTACTS", "ACCESS_FINE_LOCATION"],
                "components": [APP],
            }
        ),
        {"classes.dex": ["requestLocationUpdates"]},
    )
    order = list(Capability)
    assert [f.capability for f in found] == sorted((f.capability for f in found), key=order.index)
    assert len({f.capability for f in found}) == len(found) == 3
    assert all(
        e.source in {"AndroidManifest.xml", "classes.dex"} for f in found for e in f.evidence
    )


def test_an_empty_app_has_no_capabilities() -> None:
    assert detect(components=[APP]) == {}
