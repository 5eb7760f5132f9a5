"""Detection on the recorded phones: the planted TheTruthSpy app, and ordinary phones kept quiet."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from tests.android.folder_loader import bundled_index, recorded_phone
from unstalk.android.check import AndroidCheckResult, AppResult, check_acquisition
from unstalk.android.detect import AndroidFinding
from unstalk.android.model import Acquisition
from unstalk.criteria.model import VerdictKind
from unstalk.models import Severity

URGENT = (Severity.CRITICAL, Severity.HIGH)


def check(acquisition: Acquisition, at: datetime | None = None) -> AndroidCheckResult:
    return check_acquisition(acquisition, bundled_index(), at=at)


def app(result: AndroidCheckResult, package: str) -> AppResult:
    return next(a for a in result.apps if a.facts.name == package)


def ids(findings: tuple[AndroidFinding, ...]) -> dict[str, Severity]:
    return {f.id.rsplit(".", 1)[1]: f.severity for f in findings}


@pytest.fixture(scope="module")
def android_12() -> AndroidCheckResult:
    return check(recorded_phone("android-12"))


def test_the_truth_spy_is_stalkerware_by_its_package_name(android_12: AndroidCheckResult) -> None:
    spy = app(android_12, "com.thetruth")
    assert spy.verdict.verdict is VerdictKind.STALKERWARE
    assert "TheTruthSpy" in spy.verdict.summary and "package name" in spy.verdict.summary
    assert [a.facts.name for a in android_12.stalkerware] == ["com.thetruth"]
    assert android_12.found
    assert android_12.headline == "Known stalkerware found: com.thetruth."


def test_every_sign_of_the_spy_is_reported_with_its_evidence(
    android_12: AndroidCheckResult,
) -> None:
    found = ids(app(android_12, "com.thetruth").findings)
    assert found == {
        "feed-match": Severity.CRITICAL,
        "accessibility": Severity.HIGH,
        "device-admin": Severity.HIGH,
        "notification-listener": Severity.HIGH,
        "no-launcher-icon": Severity.MEDIUM,
        "permission-combination": Severity.MEDIUM,
        "recent-use": Severity.MEDIUM,
        "sideloaded": Severity.LOW,
    }
    accessibility = next(
        f for f in app(android_12, "com.thetruth").findings if f.id.endswith("accessibility")
    )
    assert accessibility.package == "com.thetruth"
    assert accessibility.evidence[0].source == "dumpsys_accessibility.txt"
    assert "com.thetruth/com.thetruth.service.AccessibilityMonitorService" in (
        accessibility.evidence[0].value
    )
    recent = next(
        f for f in app(android_12, "com.thetruth").findings if f.id.endswith("recent-use")
    )
    assert "the camera" in recent.title and "the microphone" in recent.title
    assert "text messages" in recent.title and "location" in recent.title


def test_the_system_service_label_is_a_device_finding(android_12: AndroidCheckResult) -> None:
    named = next(
        f for f in android_12.device_findings if f.id == "android.device.accessibility-name"
    )
    assert named.severity is Severity.HIGH
    assert "'System Service'" in named.title
    assert "com.thetruth/com.thetruth.service.AccessibilityMonitorService" in named.explanation


@pytest.mark.parametrize("version", ["android-9", "android-14"])
def test_an_ordinary_phone_has_no_stalkerware_and_nothing_urgent(version: str) -> None:
    result = check(recorded_phone(version))
    assert not result.stalkerware
    assert not result.found
    assert [f.title for f in result.findings if f.severity in URGENT] == []
    assert result.headline.startswith("No known stalkerware found by these checks.")
    locator = app(result, "com.life360.android.safetymapd")
    assert locator.verdict.verdict is VerdictKind.WATCHWARE or locator.verdict.dual_use


def test_system_apps_with_privileges_are_info_only() -> None:
    result = check(recorded_phone("android-14"))
    for package in ("com.google.android.marvin.talkback", "com.google.android.gms"):
        judged = app(result, package)
        assert judged.verdict.verdict is VerdictKind.NO_EVIDENCE
        assert {f.severity for f in judged.findings} == {Severity.INFO}


def test_play_installed_talkback_without_icon_is_never_stalkerware() -> None:
    result = check(recorded_phone("android-9"))
    talkback = app(result, "com.google.android.marvin.talkback")
    assert talkback.facts.source.value == "store"
    assert talkback.verdict.verdict is not VerdictKind.STALKERWARE
    assert ids(talkback.findings) == {
        "accessibility": Severity.MEDIUM,
        "no-launcher-icon": Severity.LOW,
    }


def test_the_developer_options_are_reported_as_turn_off_after_the_check() -> None:
    result = check(recorded_phone("android-14"))
    debugging = next(f for f in result.device_findings if f.id == "android.device.debugging")
    assert debugging.severity is Severity.INFO
    assert "turn them off after the check" in debugging.title


def test_app_ops_older_than_seven_days_are_not_recent() -> None:
    phone = recorded_phone("android-12")
    taken = check(phone).at
    assert taken is not None
    later = check(phone, at=taken + timedelta(days=30))
    assert "recent-use" not in ids(app(later, "com.thetruth").findings)
    assert app(later, "com.thetruth").verdict.verdict is VerdictKind.STALKERWARE


def test_a_disabled_app_gets_only_identity_checks() -> None:
    phone = recorded_phone("android-12")
    packages = phone.packages.value or ()
    disabled = tuple(
        dataclasses.replace(a, enabled=False) if a.name == "com.thetruth" else a for a in packages
    )
    changed = dataclasses.replace(
        phone, packages=dataclasses.replace(phone.packages, value=disabled)
    )
    spy = app(check(changed), "com.thetruth")
    assert set(ids(spy.findings)) == {"feed-match", "sideloaded"}
    assert spy.verdict.verdict is VerdictKind.STALKERWARE


def test_when_the_time_is_unknown_recency_is_listed_as_not_checked() -> None:
    phone = recorded_phone("android-12")
    empty_ops = dataclasses.replace(phone.appops, value=())
    packages = tuple(
        dataclasses.replace(a, first_install=None, last_update=None)
        for a in phone.packages.value or ()
    )
    timeless = dataclasses.replace(
        phone, appops=empty_ops, packages=dataclasses.replace(phone.packages, value=packages)
    )
    result = check(timeless)
    assert result.at is None
    assert any("recent app activity was not checked" in limit for limit in result.limits)
