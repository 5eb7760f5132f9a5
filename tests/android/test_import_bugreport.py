"""Importing bugreport zips of Android 9 to 15: dumpstate sections and the settings dump."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.android.make_imports import (
    bugreport_name,
    bugreport_text,
    provider_dump,
    recorded,
    write_bugreport,
    write_unstalk,
)
from unstalk.android.importers import NotAnAcquisitionError, detect_format, load_acquisition
from unstalk.android.importers.bugreport import provider_settings
from unstalk.android.importers.sections import split_services
from unstalk.android.model import ParseStatus
from unstalk.android.parsers.settings import parse_settings_list

VERSIONS = ("android-9", "android-12", "android-14")
FOOTER = "--------- 0.020s was the duration of dumpsys settings, ending at: 2024-03-12 16:40:02\n"
SAME_AS_UNSTALK = ("device", "accessibility", "device_admins", "notification_listeners", "appops")


def _zip(out: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out


@pytest.mark.parametrize("version", VERSIONS)
def test_a_bugreport_reads_like_unstalk_own_acquisition(version: str, tmp_path: Path) -> None:
    path = write_bugreport(version, tmp_path / "bugreport.zip")
    report = load_acquisition(path)
    ours = load_acquisition(write_unstalk(version, tmp_path / "ours", pull_apks=False))

    assert report.format == "bugreport" == detect_format(path)
    for part in SAME_AS_UNSTALK:
        assert getattr(report, part).status is ParseStatus.OK, part
        assert getattr(report, part).value == getattr(ours, part).value, part
    assert report.settings.status is ParseStatus.OK
    assert report.settings.value == ours.settings.value
    ours_apps = {app.name: (app.system, app.enabled) for app in ours.packages.value or ()}
    apps = {app.name: (app.system, app.enabled) for app in report.packages.value or ()}
    assert apps == ours_apps


def test_what_a_bugreport_lacks_is_said_once_and_plainly(tmp_path: Path) -> None:
    report = load_acquisition(write_bugreport("android-12", tmp_path / "b.zip"))

    assert report.launcher_packages.status is ParseStatus.MISSING
    assert report.packages.status is ParseStatus.PARTIAL
    assert len(report.packages.problems) == 1
    assert "no `pm list packages` output" in report.packages.problems[0]
    assert report.root_indicators.value == ()
    assert "computed on import" in report.integrity[0]
    names = {bugreport_name("android-12"), "main_entry.txt", "version.txt", "dumpstate_log.txt"}
    assert set(report.file_hashes) == names


def test_the_monitoring_app_is_found_in_a_bugreport(tmp_path: Path) -> None:
    report = load_acquisition(write_bugreport("android-12", tmp_path / "b.zip"))
    spy = next(app for app in report.packages.value or () if app.name == "com.thetruth")

    assert spy.third_party and spy.installer == "com.google.android.packageinstaller"
    assert report.accessibility.value is not None
    assert "com.thetruth/com.thetruth.service.AccessibilityMonitorService" in (
        report.accessibility.value.enabled
    )


def test_android_15_sections_and_absent_services(tmp_path: Path) -> None:
    report = load_acquisition(write_bugreport("android-15", tmp_path / "b.zip"))

    assert report.device.value is not None and report.device.value.android_version == "15"
    assert report.packages.value is not None and len(report.packages.value) == 11
    assert report.accessibility.status is ParseStatus.OK
    for part in ("device_admins", "notification_listeners", "appops", "settings"):
        result = getattr(report, part)
        assert result.status is ParseStatus.MISSING, part
        assert "has no" in result.problems[0], part


@pytest.mark.parametrize("version", VERSIONS)
def test_the_settings_provider_dump_gives_the_settings_list(version: str) -> None:
    text = f"DUMP OF SERVICE settings:\n{provider_dump(version)}{FOOTER}"
    (dump,) = split_services(text)
    secure, system, global_ = provider_settings(dump, "main.txt")

    for namespace, part in (("secure", secure), ("system", system), ("global", global_)):
        expected = parse_settings_list(
            recorded(version, f"settings_{namespace}.txt") or "", source=""
        )
        assert part.status is ParseStatus.OK
        assert part.value == expected.value


def test_settings_of_other_users_and_odd_lines() -> None:
    text = (
        "DUMP OF SERVICE settings:\n"
        "SECURE SETTINGS (user 0)\nversion: 213\n"
        "_id:7 name:enabled_notification_listeners pkg:android value:{null}\n"
        "_id:8 name:lock_screen_owner_info pkg:com.android.settings value:Call me: 0 default:x "
        "defaultSystemSet:false tag:owner\n"
        "garbage line\n\n"
        "SECURE SETTINGS (user 10)\n_id:1 name:work_only pkg:android value:1\n\n" + FOOTER
    )
    (dump,) = split_services(text)
    secure, system, _global = provider_settings(dump, "main.txt")

    assert secure.value == (
        ("enabled_notification_listeners", "null"),
        ("lock_screen_owner_info", "Call me: 0"),
    )
    assert secure.status is ParseStatus.PARTIAL and "garbage line" in secure.problems[0]
    assert system.status is ParseStatus.UNPARSED


def test_main_entry_txt_is_followed_and_falls_back(tmp_path: Path) -> None:
    text = bugreport_text("android-14")
    named = _zip(
        tmp_path / "named.zip",
        {"main_entry.txt": "dumpstate-panther.txt", "dumpstate-panther.txt": text},
    )
    fallback = _zip(
        tmp_path / "fallback.zip",
        {"main_entry.txt": "gone.txt", "version.txt": "2.0", bugreport_name("android-14"): text},
    )

    assert load_acquisition(named).device.status is ParseStatus.OK
    assert load_acquisition(fallback).device.status is ParseStatus.OK


def test_a_zip_whose_main_text_is_not_dumpstate_is_refused(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "b.zip", {"main_entry.txt": "bugreport-x.txt", "bugreport-x.txt": "hello\n"}
    )

    with pytest.raises(NotAnAcquisitionError, match="is not dumpstate output"):
        load_acquisition(path)
