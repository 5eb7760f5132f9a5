"""The libimobiledevice wrapper against recorded scenarios: every failure explained."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.ios.device.make_recorded import OTHER, UDID
from tests.ios.device.replay import ReplayRunner
from unstalk.errors import DeviceError
from unstalk.ios.device.runner import RunResult
from unstalk.ios.device.tools import DeviceLostError, Idevice, ToolMissingError
from unstalk.ios.model import AppOrigin
from unstalk.models import ParseStatus

READING = {"idevice_id", "idevicepair", "ideviceinfo", "ideviceinstaller", "idevicebackup2"}
CHANGING = {"encryption", "changepw", "restore", "cloud", "unpair", "unback", "-U", "--uninstall"}


def _idevice(scenario: str) -> tuple[Idevice, ReplayRunner]:
    runner = ReplayRunner(scenario)
    return Idevice(runner), runner


def test_the_only_phone_is_chosen() -> None:
    idevice, _ = _idevice("iphone-17")
    assert idevice.select_device() == UDID
    assert idevice.select_device(UDID) == UDID


def test_usbmuxd_not_running_gives_the_connect_steps() -> None:
    idevice, _ = _idevice("no-usbmuxd")
    with pytest.raises(DeviceError) as caught:
        idevice.select_device()
    assert "usbmuxd" in caught.value.message
    assert "tap Trust" in caught.value.advice


def test_no_phone_connected() -> None:
    idevice, _ = _idevice("no-device")
    with pytest.raises(DeviceError, match="No iPhone is connected"):
        idevice.select_device()


def test_two_phones_ask_for_a_udid() -> None:
    idevice, _ = _idevice("two-devices")
    with pytest.raises(DeviceError) as caught:
        idevice.select_device()
    assert OTHER in caught.value.message and "--udid" in caught.value.advice
    assert idevice.select_device(OTHER) == OTHER


def test_an_unknown_udid_lists_the_connected_phones() -> None:
    idevice, _ = _idevice("iphone-17")
    with pytest.raises(DeviceError) as caught:
        idevice.select_device("00008101-0000000000000000")
    assert UDID in caught.value.message


def test_a_locked_phone_says_unlock_and_trust() -> None:
    idevice, _ = _idevice("locked")
    with pytest.raises(DeviceError) as caught:
        idevice.ensure_trusted(UDID)
    assert "locked" in caught.value.message
    assert "Unlock the iPhone and tap Trust" in caught.value.advice


def test_a_phone_that_never_trusted_this_computer_is_asked_to() -> None:
    idevice, runner = _idevice("not-trusted")
    with pytest.raises(DeviceError) as caught:
        idevice.ensure_trusted(UDID)
    assert "Trust This Computer?" in caught.value.message
    assert "Unlock the iPhone and tap Trust" in caught.value.advice
    assert [c[-1] for c in runner.calls] == ["validate", "pair"]


def test_a_lockdown_error_during_a_query_is_explained() -> None:
    idevice, _ = _idevice("locked-after-pairing")
    with pytest.raises(DeviceLostError) as caught:
        idevice.info(UDID)
    assert caught.value.reason == "locked"
    assert "Unlock the iPhone and tap Trust" in caught.value.advice


def test_a_missing_tool_names_the_debian_package() -> None:
    runner = ReplayRunner("iphone-17")
    runner.config["missing"] = ["idevice_id"]
    with pytest.raises(ToolMissingError) as caught:
        Idevice(runner).select_device()
    assert "sudo apt install libimobiledevice-utils" in caught.value.message


def test_without_ideviceinstaller_the_apps_are_not_checked() -> None:
    idevice, _ = _idevice("no-installer")
    apps = idevice.apps(UDID)
    assert apps.status is ParseStatus.MISSING and apps.value is None
    assert "sudo apt install ideviceinstaller" in apps.problems[0]


def test_the_newer_ideviceinstaller_command_form_is_tried() -> None:
    idevice, runner = _idevice("new-installer")
    apps = idevice.apps(UDID)
    assert apps.status is ParseStatus.OK and apps.source == "ideviceinstaller list --xml"
    assert {a.origin for a in apps.value or ()} >= {AppOrigin.ENTERPRISE}
    assert [c[3] for c in runner.calls] == ["-l", "list"]


def test_a_command_that_times_out() -> None:
    idevice, _ = _idevice("slow-apps")
    with pytest.raises(DeviceLostError) as caught:
        idevice.apps(UDID)
    assert caught.value.reason == "time-out" and "did not answer" in caught.value.message


def test_the_backup_reports_progress_and_never_changes_a_setting(tmp_path: Path) -> None:
    idevice, runner = _idevice("iphone-17")
    seen: list[int] = []
    outcome = idevice.backup(UDID, tmp_path, seen.append)
    assert outcome.succeeded and outcome.files == 1412
    assert seen[0] == 2 and seen[-1] == 100
    call = runner.calls[-1]
    assert call[:4] == ["idevicebackup2", "-u", UDID, "backup"] and call[-1] == str(tmp_path)
    assert "--password" not in call


def test_an_unplugged_backup_is_a_device_error(tmp_path: Path) -> None:
    idevice, _ = _idevice("unplugged-during-backup")
    with pytest.raises(DeviceLostError) as caught:
        idevice.backup(UDID, tmp_path)
    assert "did not complete" in caught.value.message
    assert "mobilebackup2" in caught.value.reason
    assert "plugged in" in caught.value.advice


def test_only_reading_commands_are_run(tmp_path: Path) -> None:
    idevice, runner = _idevice("iphone-17")
    chosen = idevice.select_device()
    idevice.ensure_trusted(chosen)
    idevice.info(chosen)
    idevice.wifi_sync(chosen)
    idevice.apps(chosen)
    idevice.backup(chosen, tmp_path)
    assert {c[0] for c in runner.calls} <= READING
    assert not any(CHANGING & set(c) for c in runner.calls)
    assert "ideviceinfo -q com.apple.mobile.wireless_lockdown -k EnableWifiConnections" in (
        idevice.hashes
    )


def test_an_app_name_that_reads_like_an_error_is_not_one() -> None:
    runner = ReplayRunner("iphone-17")
    idevice = Idevice(runner)
    original = runner.run

    def named(argv: Sequence[str], timeout: float) -> RunResult:
        result = original(argv, timeout)
        name = b"<string>ERROR: No device found! Password protected (-17)</string>"
        return RunResult(0, result.stdout.replace(b"<string>Beta Notes</string>", name), b"")

    runner.run = named  # type: ignore[method-assign]
    apps = idevice.apps(UDID)
    assert apps.status is ParseStatus.OK and len(apps.value or ()) == 4
