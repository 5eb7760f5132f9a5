"""The single rules: install sources, system-like names, device settings, the engine adapter."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from tests.android.folder_loader import bundled_index, recorded_phone
from unstalk.android.check import check_acquisition
from unstalk.android.checks_device import CHECKS, DeviceFacts
from unstalk.android.detect import (
    AppFacts,
    device_capabilities,
    device_manifest,
    gather_apps,
)
from unstalk.android.model import Acquisition, AppOpUse, AppPackage, DeviceInfo, DeviceSettings
from unstalk.android.stores import STORES, InstallSource, impersonation, install_source
from unstalk.apk.capabilities import Capability, Confidence
from unstalk.criteria.model import VerdictKind
from unstalk.models import Severity

AT = datetime(2024, 3, 12, 20, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("installer", "system", "expected"),
    [
        ("com.android.vending", False, InstallSource.STORE),
        ("com.sec.android.app.samsungapps", False, InstallSource.STORE),
        ("org.fdroid.fdroid", False, InstallSource.STORE),
        ("com.google.android.packageinstaller", False, InstallSource.PACKAGE_INSTALLER),
        ("com.android.chrome", False, InstallSource.OTHER_APP),
        (None, False, InstallSource.UNKNOWN),
        (None, True, InstallSource.PREINSTALLED),
        ("com.google.android.packageinstaller", True, InstallSource.PREINSTALLED),
    ],
)
def test_install_source(installer: str | None, system: bool, expected: InstallSource) -> None:
    app = AppPackage("com.example", installer=installer, system=system)
    assert install_source(app) is expected
    assert expected.sideloaded is (
        expected not in (InstallSource.STORE, InstallSource.PREINSTALLED)
    )


def test_the_package_installer_is_not_a_store() -> None:
    assert "com.google.android.packageinstaller" not in STORES
    assert all(store.note for store in STORES.values())


def facts_of(
    package: str, *, installer: str | None = None, system: bool = False, label: str | None = None
) -> AppFacts:
    acquisition = _phone_with(AppPackage(package, installer=installer, system=system))
    found = gather_apps(
        acquisition, bundled_index(), at=AT, labels={package: label} if label else None
    )
    return next(f for f in found if f.name == package)


def _phone_with(*apps: AppPackage, ops: tuple[AppOpUse, ...] = ()) -> Acquisition:
    phone = recorded_phone("android-14")
    packages = (*(phone.packages.value or ()), *apps)
    appops = (*(phone.appops.value or ()), *ops)
    return dataclasses.replace(
        phone,
        packages=dataclasses.replace(phone.packages, value=packages),
        appops=dataclasses.replace(phone.appops, value=appops),
    )


PACKAGE_INSTALLER = "com.google.android.packageinstaller"


@pytest.mark.parametrize(
    ("package", "installer", "label", "confidence"),
    [
        ("com.android.core.monitor", PACKAGE_INSTALLER, None, Confidence.MEDIUM),
        ("com.google.android.safe", PACKAGE_INSTALLER, None, Confidence.MEDIUM),
        ("net.system_updater_abs341", PACKAGE_INSTALLER, None, Confidence.LOW),
        ("org.example.tracker", PACKAGE_INSTALLER, "System Update", Confidence.MEDIUM),
        ("org.example.tracker", "com.android.vending", "Google Services", Confidence.MEDIUM),
        ("com.android.helper", "com.android.vending", None, Confidence.LOW),
        ("com.google.android.apps.fitness", "com.android.vending", "Fit", None),
        ("org.example.notes", PACKAGE_INSTALLER, "Notes", None),
    ],
)
def test_system_like_names(
    package: str, installer: str, label: str | None, confidence: Confidence | None
) -> None:
    facts = facts_of(package, installer=installer, label=label)
    found = impersonation(facts.app, facts.source, facts.label)
    assert (found[1] if found else None) is confidence


def test_a_genuine_system_app_never_impersonates() -> None:
    facts = facts_of("com.android.settings", system=True, label="Settings")
    assert impersonation(facts.app, facts.source, facts.label) is None


def test_device_facts_become_capabilities_of_matching_strength() -> None:
    phone = recorded_phone("android-12")
    taken = AT.replace(year=2022, month=3, day=21)
    found = {f.name: f for f in gather_apps(phone, bundled_index(), at=taken)}
    spy = {c.capability: c for c in device_capabilities(found["com.thetruth"])}
    assert spy[Capability.ACCESSIBILITY_KEYLOGGING].confidence is Confidence.MEDIUM
    assert spy[Capability.NOTIFICATION_READING].confidence is Confidence.MEDIUM
    assert spy[Capability.HIDE_ICON].confidence is Confidence.MEDIUM
    assert spy[Capability.CAMERA].confidence is Confidence.MEDIUM
    # Granted (low) and used lately (medium): the stronger one counts, both are evidence.
    sms = spy[Capability.SMS_READ]
    assert sms.confidence is Confidence.MEDIUM
    assert "dumpsys_appops.txt" in {e.source for e in sms.evidence}
    assert any("READ_SMS (granted)" in e.value for e in sms.evidence)
    gms = {c.capability: c for c in device_capabilities(found["com.google.android.gms"])}
    assert gms[Capability.UNINSTALL_PROTECTION].confidence is Confidence.LOW
    manifest = device_manifest(found["com.thetruth"])
    assert "android.permission.INTERNET" in manifest.permission_names
    assert not manifest.has_launcher_activity
    assert device_manifest(found["com.whatsapp"]).has_launcher_activity


def test_an_unlisted_hidden_app_with_accessibility_is_suspicious_not_stalkerware() -> None:
    phone = recorded_phone("android-12")
    renamed = tuple(
        dataclasses.replace(a, name="org.example.helper") if a.name == "com.thetruth" else a
        for a in phone.packages.value or ()
    )
    accessibility = phone.accessibility.value
    assert accessibility is not None
    enabled = tuple(
        c.replace("com.thetruth/", "org.example.helper/") for c in accessibility.enabled
    )
    changed = dataclasses.replace(
        phone,
        packages=dataclasses.replace(phone.packages, value=renamed),
        accessibility=dataclasses.replace(
            phone.accessibility, value=dataclasses.replace(accessibility, enabled=enabled)
        ),
        launcher_packages=phone.launcher_packages,
    )
    result = check_acquisition(changed, bundled_index())
    helper = next(a for a in result.apps if a.facts.name == "org.example.helper")
    assert helper.verdict.verdict is VerdictKind.SUSPICIOUS
    assert not helper.verdict.dual_use
    assert "not called stalkerware" in helper.verdict.summary


# Device settings ------------------------------------------------------------------------------


def device_findings(acquisition: Acquisition, at: datetime | None = AT) -> dict[str, Severity]:
    facts = DeviceFacts(acquisition, at, ())
    return {f.id.rsplit(".", 1)[1]: f.severity for check in CHECKS for f in check(facts)}


def with_settings(acquisition: Acquisition, **global_: str) -> Acquisition:
    settings = acquisition.settings.value or DeviceSettings()
    table = dict(settings.global_)
    table.update(global_)
    changed = dataclasses.replace(settings, global_=tuple(table.items()))
    return dataclasses.replace(
        acquisition, settings=dataclasses.replace(acquisition.settings, value=changed)
    )


def test_the_recorded_phone_only_has_debugging_on() -> None:
    assert device_findings(recorded_phone("android-14")) == {"debugging": Severity.INFO}


def test_play_protect_off_and_wireless_debugging_are_reported() -> None:
    phone = with_settings(
        recorded_phone("android-14"),
        package_verifier_enable="0",
        verifier_verify_adb_installs="0",
        adb_wifi_enabled="1",
    )
    found = device_findings(phone)
    assert found["verifier-off"] is Severity.HIGH
    assert found["verifier-adb-off"] is Severity.MEDIUM
    assert found["wireless-debugging"] is Severity.MEDIUM


def test_unknown_sources_on_old_android_is_the_global_switch() -> None:
    phone = recorded_phone("android-9")
    device = phone.device.value
    assert device is not None
    old = dataclasses.replace(
        phone, device=dataclasses.replace(phone.device, value=dataclasses.replace(device, sdk=25))
    )
    assert device_findings(old)["unknown-sources"] is Severity.MEDIUM
    # From Android 8 the old switch means nothing; the recorded Android 9 phone still lists it.
    assert "unknown-sources" not in device_findings(phone)


def test_unknown_sources_on_new_android_is_per_app() -> None:
    chrome = AppOpUse("com.android.chrome", "REQUEST_INSTALL_PACKAGES", "allow")
    play = AppOpUse("com.android.vending", "REQUEST_INSTALL_PACKAGES", "allow")
    phone = _phone_with(ops=(chrome, play))
    result = check_acquisition(phone, bundled_index(), at=AT)
    finding = next(f for f in result.device_findings if f.id == "android.device.unknown-sources")
    assert finding.title == "Some apps may install other apps: com.android.chrome"


def test_root_signs_are_high() -> None:
    phone = recorded_phone("android-14")
    rooted = dataclasses.replace(
        phone,
        root_indicators=dataclasses.replace(
            phone.root_indicators, value=("su-binary: /system/xbin/su",)
        ),
    )
    assert device_findings(rooted)["root"] is Severity.HIGH


@pytest.mark.parametrize(("patch", "outdated"), [("2023-03-01", True), ("2023-04-01", False)])
def test_security_patch_older_than_a_year(patch: str, outdated: bool) -> None:
    phone = recorded_phone("android-14")
    device = dataclasses.replace(phone.device.value or DeviceInfo(), security_patch=patch)
    changed = dataclasses.replace(phone, device=dataclasses.replace(phone.device, value=device))
    assert ("security-patch" in device_findings(changed)) is outdated
    assert "security-patch" not in device_findings(changed, at=None)
