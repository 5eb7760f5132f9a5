"""Importing AndroidQF acquisitions: its zips and folders, its packages.json and hashes.csv."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.android.make_imports import (
    AQF_HOST,
    AQF_LAYOUTS,
    AQF_UUID,
    androidqf_files,
    write_androidqf,
    write_unstalk,
)
from unstalk.android.importers import IntegrityError, detect_format, load_acquisition
from unstalk.android.model import Acquisition, ParseStatus

SAME_AS_UNSTALK = ("device", "accessibility", "device_admins", "notification_listeners", "appops")


def _write(out: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out


def _values(acquisition: Acquisition, part: str) -> object:
    return getattr(acquisition, part).value


@pytest.mark.parametrize("layout", AQF_LAYOUTS)
@pytest.mark.parametrize("version", ["android-9", "android-12", "android-14"])
def test_each_layout_reads_like_unstalk_own_acquisition(
    version: str, layout: str, tmp_path: Path
) -> None:
    path = write_androidqf(version, tmp_path / f"aqf-{layout}", layout)
    ours = load_acquisition(write_unstalk(version, tmp_path / "ours", pull_apks=False))
    theirs = load_acquisition(path)

    assert theirs.format == "androidqf" == detect_format(path)
    for part in SAME_AS_UNSTALK:
        assert getattr(theirs, part).status is ParseStatus.OK, part
        assert _values(theirs, part) == _values(ours, part), part
    assert theirs.settings.value == ours.settings.value
    assert theirs.packages.status is ParseStatus.OK
    ours_apps = {app.name: app for app in ours.packages.value or ()}
    for app in theirs.packages.value or ():
        mine = ours_apps[app.name]
        assert (app.system, app.enabled, app.uid) == (mine.system, mine.enabled, mine.uid)
        assert app.installer == mine.installer
        assert app.granted_permissions == mine.granted_permissions


def test_what_androidqf_does_not_collect_is_missing_not_empty(tmp_path: Path) -> None:
    acquisition = load_acquisition(write_androidqf("android-12", tmp_path / "a.zip"))

    assert acquisition.launcher_packages.status is ParseStatus.MISSING
    assert acquisition.launcher_packages.value is None
    assert "AndroidQF does not record" in acquisition.launcher_packages.problems[0]
    root = acquisition.root_indicators
    assert root.status is ParseStatus.PARTIAL and root.value == ()
    assert any("ls -ld" in problem for problem in root.problems)


def test_certificates_and_pulled_apks_come_from_packages_json(tmp_path: Path) -> None:
    acquisition = load_acquisition(write_androidqf("android-12", tmp_path / "a.zip"))
    entries = {e["name"]: e for e in json.loads(androidqf_files("android-12")["packages.json"])}
    spy = next(app for app in acquisition.packages.value or () if app.name == "com.thetruth")

    certificate = entries["com.thetruth"]["files"][0]["certificate"]
    assert spy.cert_sha256 == (certificate["Sha256"],)
    assert ("com.thetruth", "apks/com.thetruth.apk") in acquisition.apk_files
    assert all(not app.cert_sha256 for app in acquisition.packages.value or () if app.system)


def test_old_folders_with_absolute_paths_in_hashes_csv_verify(tmp_path: Path) -> None:
    folder = write_androidqf("android-14", tmp_path / AQF_UUID, "folder")
    assert f"{AQF_HOST}/{AQF_UUID}/dumpsys.txt" in (folder / "hashes.csv").read_text()

    acquisition = load_acquisition(folder)
    assert acquisition.integrity == (
        "command.log changed after hashes.csv was written (older AndroidQF versions go on "
        "logging after hashing; unstalk does not read it)",
    )


def test_windows_paths_in_hashes_csv_are_matched(tmp_path: Path) -> None:
    folder = write_androidqf("android-9", tmp_path / "aqf", "folder")
    csv = (folder / "hashes.csv").read_text()
    windows = csv.replace(f"{AQF_HOST}/{AQF_UUID}/", f"C:\\Users\\advocate\\{AQF_UUID}\\")
    (folder / "hashes.csv").write_text(windows.replace("apks/", "apks\\"))

    assert load_acquisition(folder).packages.status is ParseStatus.OK


@pytest.mark.parametrize("layout", ["zip", "folder"])
def test_a_changed_dumpsys_is_caught(layout: str, tmp_path: Path) -> None:
    files = androidqf_files("android-12")
    path = write_androidqf("android-12", tmp_path / "aqf", layout)
    changed = files["dumpsys.txt"].replace(b"com.thetruth/", b"com.example/")
    if layout == "folder":
        (path / "dumpsys.txt").write_bytes(changed)
    else:
        with zipfile.ZipFile(path) as archive:
            entries = {info.filename: archive.read(info) for info in archive.infolist()}
        path = _write(tmp_path / "changed.zip", entries | {"dumpsys.txt": changed})

    with pytest.raises(IntegrityError, match="dumpsys.txt has changed"):
        load_acquisition(path)
    acquisition = load_acquisition(path, verify=False)
    assert any("dumpsys.txt has changed" in note for note in acquisition.integrity)


def test_without_hashes_csv_the_report_says_so(tmp_path: Path) -> None:
    files = androidqf_files("android-9")
    acquisition = load_acquisition(_write(tmp_path / "a.zip", files))

    assert "no hashes.csv" in acquisition.integrity[0]
    assert set(acquisition.file_hashes) == set(files)


def test_without_system_flags_the_package_dump_decides(tmp_path: Path) -> None:
    files = androidqf_files("android-12")
    entries = json.loads(files["packages.json"])
    for entry in entries:
        entry["system"] = entry["third_party"] = False
    files["packages.json"] = json.dumps(entries).encode()
    acquisition = load_acquisition(_write(tmp_path / "a.zip", files))
    apps = {app.name: app for app in acquisition.packages.value or ()}

    assert apps["com.android.systemui"].system
    assert not apps["com.thetruth"].system
    assert any("does not say which are system apps" in p for p in acquisition.packages.problems)


def test_one_package_listed_for_two_users_is_one_app(tmp_path: Path) -> None:
    files = androidqf_files("android-14")
    entries = json.loads(files["packages.json"])
    spotify = next(entry for entry in entries if entry["name"] == "com.spotify.music")
    entries.append(spotify | {"user_id": 10, "uid": 1010260, "disabled": True})
    files["packages.json"] = json.dumps([spotify | {"user_id": 0}, *entries]).encode()
    apps = load_acquisition(_write(tmp_path / "a.zip", files)).packages.value or ()

    assert [app.name for app in apps].count("com.spotify.music") == 1
    spotify_app = next(app for app in apps if app.name == "com.spotify.music")
    assert spotify_app.enabled  # disabled only for the second user
    assert spotify_app.uid == 10260


def test_root_binaries_found_by_androidqf_are_indicators(tmp_path: Path) -> None:
    files = androidqf_files("android-14")
    found = ["/system/xbin/su\n", "/sbin/magisk\n/debug_ramdisk/magisk\n", "/system/bin/busybox"]
    files["root_binaries.json"] = json.dumps(found).encode()
    root = load_acquisition(_write(tmp_path / "a.zip", files)).root_indicators

    assert root.value is not None
    assert "su-binary: /system/xbin/su" in root.value
    assert "root-path: /sbin/magisk" in root.value
    assert "root-path: /debug_ramdisk/magisk" in root.value
    assert not any("busybox" in indicator for indicator in root.value)


def test_without_dumpsys_the_services_are_missing_and_say_why(tmp_path: Path) -> None:
    files = androidqf_files("android-12")
    del files["dumpsys.txt"]
    acquisition = load_acquisition(_write(tmp_path / "a.zip", files))

    for part in ("accessibility", "device_admins", "notification_listeners", "appops"):
        result = getattr(acquisition, part)
        assert result.status is ParseStatus.MISSING, part
        assert result.problems == ("dumpsys.txt is not in this AndroidQF acquisition",)
    assert acquisition.packages.status is ParseStatus.PARTIAL
    assert acquisition.device.status is ParseStatus.OK


def test_a_damaged_packages_json_is_named(tmp_path: Path) -> None:
    files = androidqf_files("android-12") | {"packages.json": b'[{"name": "com.x"'}
    packages = load_acquisition(_write(tmp_path / "a.zip", files)).packages

    assert packages.status is ParseStatus.PARTIAL
    assert any("packages.json is damaged" in problem for problem in packages.problems)
    assert any(app.name == "com.thetruth" for app in packages.value or ())


def test_certificate_sha1_from_packages_json_matches_the_feed(tmp_path: Path) -> None:
    """Echap lists signing certificates by SHA-1: a renamed build is caught by its certificate."""
    from unstalk.android.check import check_acquisition
    from unstalk.feed.index import FeedIndex
    from unstalk.feed.store import bundled_dir, load_folder

    thetruthspy_cert = "31A6ECECD97CF39BC4126B8745CD94A7C30BF81C"
    files = androidqf_files("android-14")
    entries = json.loads(files["packages.json"])
    target = next(e for e in entries if e.get("third_party") and e.get("files"))
    target["files"][0]["certificate"]["Sha1"] = thetruthspy_cert.lower()
    files["packages.json"] = json.dumps(entries).encode()
    files.pop("hashes.csv", None)
    acquisition = load_acquisition(_write(tmp_path / "renamed.zip", files))

    app = next(a for a in acquisition.packages.value or () if a.name == target["name"])
    assert app.cert_sha1 == (thetruthspy_cert.lower(),)
    result = check_acquisition(acquisition, FeedIndex.build(load_folder(bundled_dir())))
    verdicts = {a.facts.app.name: a.verdict.verdict.value for a in result.apps}
    assert verdicts[target["name"]] == "stalkerware"
