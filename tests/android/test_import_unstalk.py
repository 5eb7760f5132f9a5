"""Importing unstalk's own acquisition folders: every part, hashes checked, gaps explained."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.android.make_imports import write_unstalk
from tests.android.parser_fixtures import RECORDED, ZONES
from unstalk.android.acquire.acquisition import MANIFEST_FILE, METADATA_FILE, write_manifest
from unstalk.android.acquire.adb import DeviceLostError
from unstalk.android.importers import (
    IntegrityError,
    NotAnAcquisitionError,
    detect_format,
    load_acquisition,
)
from unstalk.android.model import Acquisition, ParseStatus

THETRUTH_A11Y = "com.thetruth/com.thetruth.service.AccessibilityMonitorService"
TALKBACK = "com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService"
PARTS = (
    "device",
    "packages",
    "accessibility",
    "device_admins",
    "notification_listeners",
    "appops",
    "settings",
    "launcher_packages",
)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("unstalk")
    return {v: write_unstalk(v, out / v) for v in ("android-9", "android-12", "android-14")}


def _copy(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / folder.name))


@pytest.mark.parametrize("version", ["android-9", "android-12", "android-14"])
def test_every_part_of_a_complete_acquisition_is_read(
    version: str, folders: dict[str, Path]
) -> None:
    acquisition = load_acquisition(folders[version])

    assert acquisition.format == "unstalk" == detect_format(folders[version])
    for part in PARTS:
        assert getattr(acquisition, part).status is ParseStatus.OK, part
    # The shell user may not look into /data/adb: "could not check" stays visible.
    assert acquisition.root_indicators.status is ParseStatus.PARTIAL
    assert acquisition.root_indicators.value == ()
    assert acquisition.integrity == ()
    assert acquisition.device.value is not None
    assert acquisition.device.value.android_version == version.removeprefix("android-")


def test_the_monitoring_app_is_seen_from_every_angle(folders: dict[str, Path]) -> None:
    acquisition = load_acquisition(folders["android-12"])
    apps = {app.name: app for app in acquisition.packages.value or ()}

    spy = apps["com.thetruth"]
    assert spy.third_party and spy.installer == "com.google.android.packageinstaller"
    assert spy.version_code == 63
    assert acquisition.accessibility.value is not None
    assert THETRUTH_A11Y in acquisition.accessibility.value.enabled
    assert acquisition.device_admins.value is not None
    assert any(a.startswith("com.thetruth/") for a in acquisition.device_admins.value.active)
    assert "com.thetruth/com.thetruth.service.NotificationService" in (
        acquisition.notification_listeners.value or ()
    )
    assert "com.thetruth" not in (acquisition.launcher_packages.value or frozenset())
    uses = {use.op for use in acquisition.appops.value or () if use.package == "com.thetruth"}
    assert {"CAMERA", "RECORD_AUDIO", "FINE_LOCATION", "READ_SMS"} <= uses


def test_times_are_placed_in_the_phone_time_zone(folders: dict[str, Path]) -> None:
    acquisition = load_acquisition(folders["android-9"])
    talkback = next(
        app
        for app in acquisition.packages.value or ()
        if app.name == "com.google.android.marvin.talkback"
    )

    assert talkback.first_install is not None
    assert talkback.first_install.tzinfo == ZONES["android-9"]
    times = [use.last_access for use in acquisition.appops.value or () if use.last_access]
    assert times and all(moment.tzinfo == ZONES["android-9"] for moment in times)


def test_android_9_enabled_services_come_from_the_secure_setting(
    folders: dict[str, Path],
) -> None:
    state = load_acquisition(folders["android-9"]).accessibility.value

    assert state is not None and state.enabled == (TALKBACK,)


def test_pulled_apks_are_listed_and_every_file_is_hashed(folders: dict[str, Path]) -> None:
    folder = folders["android-12"]
    acquisition = load_acquisition(folder)

    assert ("com.thetruth", "apks/com.thetruth/base.apk") in acquisition.apk_files
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(acquisition.file_hashes) == files
    manifest = (folder / MANIFEST_FILE).read_text(encoding="utf-8")
    for line in manifest.splitlines():
        digest, name = line.split("  ", 1)
        assert acquisition.file_hashes[name] == digest


def test_a_changed_file_stops_the_import(folders: dict[str, Path], tmp_path: Path) -> None:
    folder = _copy(folders["android-12"], tmp_path)
    path = folder / "dumpsys_accessibility.txt"
    path.write_text(path.read_text().replace(THETRUTH_A11Y, "com.example/.Nothing"))

    with pytest.raises(IntegrityError) as raised:
        load_acquisition(folder)
    assert "dumpsys_accessibility.txt has changed" in raised.value.message
    assert "--no-verify" in raised.value.advice


def test_without_verifying_the_change_is_reported_not_hidden(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    folder = _copy(folders["android-12"], tmp_path)
    (folder / "apks" / "com.thetruth" / "base.apk").write_bytes(b"another file")

    acquisition = load_acquisition(folder, verify=False)
    # Not verifying skips hashing the files it does not read, so a changed APK goes unseen
    # there; verifying finds it.
    assert acquisition.integrity == ()
    with pytest.raises(IntegrityError, match="apks/com.thetruth/base.apk"):
        load_acquisition(folder)
    (folder / "getprop.txt").write_text("[ro.product.model]: [Other]\n")
    acquisition = load_acquisition(folder, verify=False)
    assert any("getprop.txt has changed" in note for note in acquisition.integrity)
    assert acquisition.device.value is not None
    assert acquisition.device.value.model == "Other"


def test_a_rewritten_manifest_does_not_hide_a_change(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    folder = _copy(folders["android-12"], tmp_path)
    (folder / "packages_third_party.txt").write_text("package:com.whatsapp\n")
    (folder / MANIFEST_FILE).unlink()
    write_manifest(folder)

    with pytest.raises(IntegrityError, match=f"{METADATA_FILE} records"):
        load_acquisition(folder)


def test_a_deleted_file_is_an_integrity_failure_and_a_missing_part(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    folder = _copy(folders["android-12"], tmp_path)
    (folder / "dumpsys_appops.txt").unlink()

    with pytest.raises(IntegrityError, match="dumpsys_appops.txt is listed"):
        load_acquisition(folder)
    appops = load_acquisition(folder, verify=False).appops
    assert appops.status is ParseStatus.MISSING
    assert "not in the folder" in appops.problems[0]


def test_without_manifest_the_report_says_hashes_were_computed(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    folder = _copy(folders["android-14"], tmp_path)
    (folder / MANIFEST_FILE).unlink()

    acquisition = load_acquisition(folder)
    assert "computed on import" in acquisition.integrity[0]
    assert acquisition.packages.status is ParseStatus.OK


def test_a_phone_lost_mid_way_leaves_missing_parts_that_say_why(tmp_path: Path) -> None:
    with pytest.raises(DeviceLostError):
        write_unstalk("disconnect-after-5", tmp_path / "lost")

    acquisition = load_acquisition(tmp_path / "lost")
    assert acquisition.device.status is ParseStatus.OK
    assert acquisition.packages.status is ParseStatus.PARTIAL
    for part in ("accessibility", "appops", "settings", "launcher_packages"):
        result = getattr(acquisition, part)
        assert result.status is ParseStatus.MISSING, part
        assert result.value is None
        assert any("went away" in p or "stopped before" in p for p in result.problems), part


def test_a_failed_command_with_no_output_is_missing_with_its_error(tmp_path: Path) -> None:
    scenario = tmp_path / "failing"
    scenario.mkdir()
    (scenario / "devices.txt").write_bytes((RECORDED / "android-12" / "devices.txt").read_bytes())
    (scenario / "dumpsys_appops.txt").write_text("")
    (scenario / "dumpsys_appops.stderr.txt").write_text("cmd: Failure calling service appops\n")
    (scenario / "scenario.json").write_text(
        json.dumps({"base": str(RECORDED / "android-12"), "exit_codes": {"dumpsys_appops.txt": 20}})
    )
    acquisition = load_acquisition(write_unstalk(str(scenario), tmp_path / "acq"))

    assert acquisition.appops.status is ParseStatus.MISSING
    assert "exit code 20" in acquisition.appops.problems[0]
    assert "Failure calling service appops" in acquisition.appops.problems[0]


def test_a_zip_of_the_folder_reads_the_same(folders: dict[str, Path], tmp_path: Path) -> None:
    folder = folders["android-14"]
    archive = tmp_path / "acquisition.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, f"case-42/{path.relative_to(folder).as_posix()}")

    zipped, plain = load_acquisition(archive), load_acquisition(folder)
    assert _parts(zipped) == _parts(plain)
    assert zipped.file_hashes == plain.file_hashes


def _parts(acquisition: Acquisition) -> list[object]:
    return [getattr(acquisition, part) for part in PARTS]


def test_an_acquisition_from_a_newer_unstalk_is_refused_plainly(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    folder = _copy(folders["android-9"], tmp_path)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    (folder / METADATA_FILE).write_text(json.dumps(metadata | {"format_version": 99}))

    with pytest.raises(NotAnAcquisitionError, match="format version 99") as raised:
        load_acquisition(folder)
    assert "Update unstalk" in raised.value.advice
