"""Talking to adb: device states explained in plain words, time-outs, the read-only guard."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.android.fake_adb import ReplayRunner, install
from tests.android.fake_adb.replay import RECORDED
from unstalk.android.acquire.adb import (
    Adb,
    DeviceEntry,
    DeviceLostError,
    RunResult,
    SubprocessRunner,
    choose_device,
    lost_reason,
    parse_devices,
)
from unstalk.android.acquire.plan import PLAN, UnsafeCommandError, check_read_only, step_for
from unstalk.errors import DeviceError

HEADER = "List of devices attached\n"


def _adb(scenario: str, tmp_path: Path) -> tuple[Adb, ReplayRunner]:
    runner = ReplayRunner(scenario, tmp_path / "state")
    return Adb(runner), runner


def _error(adb: Adb, serial: str | None = None) -> str:
    with pytest.raises(DeviceError) as caught:
        adb.select_device(serial)
    return caught.value.diagnostics()


@pytest.mark.parametrize(
    ("line", "state", "model"),
    [
        ("0A151FDD4000BM         device usb:1-1 product:redfin model:Pixel_5 device:redfin "
         "transport_id:2", "device", "Pixel_5"),
        ("0A151FDD4000BM         unauthorized usb:1-1 transport_id:3", "unauthorized", None),
        ("emulator-5554          offline transport_id:4", "offline", None),
        ("0A151FDD4000BM         no permissions (missing udev rules? user is in the plugdev "
         "group); see [http://developer.android.com/tools/device.html] usb:1-1 transport_id:1",
         "no permissions", None),
        ("0A151FDD4000BM         recovery usb:1-1 product:redfin model:Pixel_5 transport_id:5",
         "recovery", "Pixel_5"),
        ("0A151FDD4000BM         sideload usb:1-1 transport_id:6", "sideload", None),
        ("0A151FDD4000BM\tdevice", "device", None),
    ],
)  # fmt: skip
def test_parse_devices_states(line: str, state: str, model: str | None) -> None:
    (entry,) = parse_devices(f"{HEADER}{line}\n\n")
    assert entry.serial == "0A151FDD4000BM" or entry.serial == "emulator-5554"
    assert entry.state == state
    assert entry.model == model


def test_parse_devices_skips_daemon_start_messages() -> None:
    text = (
        "* daemon not running; starting now at tcp:5037\n* daemon started successfully\n"
        f"{HEADER}R58M41ABCDE            device usb:1-2 model:SM_A505F transport_id:2\n"
    )
    assert [e.serial for e in parse_devices(text)] == ["R58M41ABCDE"]


def test_single_healthy_phone_is_selected(tmp_path: Path) -> None:
    adb, _ = _adb("android-12", tmp_path)
    entry = adb.select_device()
    assert (entry.serial, entry.name) == ("0A151FDD4000BM", "Pixel 5")


def test_unauthorized_explains_the_usb_debugging_prompt(tmp_path: Path) -> None:
    text = _error(_adb("unauthorized", tmp_path)[0])
    assert "has not allowed this computer" in text
    assert "Allow USB debugging" in text
    assert "leave 'Always allow from this computer' unticked" in text


def test_offline_says_to_replug(tmp_path: Path) -> None:
    text = _error(_adb("offline", tmp_path)[0])
    assert "not answering" in text and "plug it back in" in text


def test_no_permissions_points_to_udev_rules(tmp_path: Path) -> None:
    text = _error(_adb("no-permissions", tmp_path)[0])
    assert "sudo apt install android-sdk-platform-tools-common" in text
    assert "plugdev" in text


def test_no_device_lists_the_connection_steps(tmp_path: Path) -> None:
    text = _error(_adb("no-device", tmp_path)[0])
    assert text.startswith("No phone is connected")
    for step in ("Developer options", "USB debugging", "Plug the phone", "Allow USB debugging"):
        assert step in text
    assert "'Always allow from this computer' unticked" in text
    assert "another USB cable" in text


def test_two_devices_are_listed_with_their_models(tmp_path: Path) -> None:
    adb, _ = _adb("two-devices", tmp_path)
    text = _error(adb)
    assert "2 phones are connected" in text
    assert "0A151FDD4000BM  Pixel 5" in text and "R58M41ABCDE  SM A505F" in text
    assert "--serial" in text
    assert adb.select_device("R58M41ABCDE").name == "SM A505F"


def test_unknown_serial_lists_what_is_connected(tmp_path: Path) -> None:
    text = _error(_adb("two-devices", tmp_path)[0], "NOPE")
    assert "No phone with serial 'NOPE'" in text and "R58M41ABCDE" in text


def test_recovery_mode_asks_for_a_normal_restart() -> None:
    entry = DeviceEntry("0A151FDD4000BM", "recovery", model="Pixel_5")
    with pytest.raises(DeviceError, match="recovery mode") as caught:
        choose_device([entry], None)
    assert "Restart the phone normally" in caught.value.diagnostics()


def test_adb_missing_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DeviceError, match=re.escape("adb is not installed: sudo apt install adb")):
        Adb(SubprocessRunner()).devices()


def test_the_guard_stops_unsafe_commands_before_adb_runs(tmp_path: Path) -> None:
    adb, runner = _adb("android-12", tmp_path)
    with pytest.raises(UnsafeCommandError):
        adb.shell("0A151FDD4000BM", ["pm", "uninstall", "com.example"], 10)
    assert runner.calls == []


def test_unplugged_phone_raises_device_lost(tmp_path: Path) -> None:
    adb, _ = _adb("disconnect-after-5", tmp_path)
    for _ in range(5):
        assert adb.shell("0A151FDD4000BM", ["getprop"], 10).exit_code == 0
    with pytest.raises(DeviceLostError, match="device '0A151FDD4000BM' not found") as caught:
        adb.shell("0A151FDD4000BM", ["getprop"], 10)
    assert "stopped answering during 'getprop'" in caught.value.message


@pytest.mark.parametrize(
    ("stderr", "lost"),
    [
        (b"error: device '0A151FDD4000BM' not found\n", True),
        (b"error: no devices/emulators found\n", True),
        (b"error: device offline\n", True),
        (b"error: closed\n", True),
        (b"adb: error: device unauthorized.\nOtherwise check for a confirmation dialog\n", True),
        (b"ls: /sbin/su: No such file or directory\n", False),
        (b"Can't find service: device_policy\n", False),
        (b"", False),
    ],
)
def test_lost_phone_is_told_apart_from_a_failing_command(stderr: bytes, lost: bool) -> None:
    assert (lost_reason(RunResult(1, b"", stderr), 10) is not None) is lost


def test_remote_command_errors_are_not_a_lost_phone(tmp_path: Path) -> None:
    adb, _ = _adb("android-12", tmp_path)
    result = adb.shell("0A151FDD4000BM", ["which", "su"], 10)
    assert result.exit_code == 1


def test_real_subprocess_timeout_stops_a_slow_phone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    install(bin_dir, "slow", tmp_path / "state")
    monkeypatch.setenv("PATH", str(bin_dir))
    adb = Adb()
    began = time.monotonic()
    with pytest.raises(DeviceLostError, match="did not answer within 0.5 seconds"):
        adb.shell("0A151FDD4000BM", ["dumpsys", "package"], 0.5)
    assert time.monotonic() - began < 10


def test_real_subprocess_replays_recorded_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    install(bin_dir, "android-12", tmp_path / "state")
    monkeypatch.setenv("PATH", str(bin_dir))
    adb = Adb()
    assert adb.select_device().serial == "0A151FDD4000BM"
    assert "Android Debug Bridge" in (adb.version() or "")
    result = adb.shell("0A151FDD4000BM", ["settings", "list", "secure"], 10)
    recorded = RECORDED / "android-12" / "settings_secure.txt"
    assert result.stdout == (recorded.read_bytes() if recorded.is_file() else b"")


def test_every_plan_command_passes_the_guard() -> None:
    for step in PLAN:
        check_read_only(step.command)
        assert step_for(step.command) is step


def test_plan_outputs_are_unique_and_documented() -> None:
    names = [step.output for step in PLAN]
    assert len(set(names)) == len(names)
    documented = (RECORDED / "FILES.md").read_text(encoding="utf-8")
    assert all(f"| {name} |" in documented for name in names)


@pytest.mark.parametrize(
    "command",
    [
        "pm install /sdcard/x.apk",
        "pm uninstall com.example",
        "pm clear com.example",
        "pm disable-user com.example",
        "pm grant com.example android.permission.CAMERA",
        "pm list packages ; reboot",
        "cmd package install-existing com.example",
        "settings put secure enabled_accessibility_services x/y",
        "settings delete global adb_enabled",
        "rm -rf /sdcard",
        "am start -n com.example/.Main",
        "am force-stop com.example",
        "input keyevent 26",
        "reboot",
        "setprop persist.sys.x 1",
        "svc wifi disable",
        "dumpsys batterystats --reset",
        "dumpsys activity kill-all",
        "getprop ro.build.tags>/sdcard/x",
        "ls -ld /sdcard/../data",
        "ls -ld /sdcard $(reboot)",
        "which `reboot`",
        "content delete --uri content://sms",
        "sh -c reboot",
        "",
    ],
)
def test_the_guard_refuses_commands_that_could_change_the_phone(command: str) -> None:
    with pytest.raises(UnsafeCommandError, match="not on the list of read-only commands"):
        check_read_only(command.split())


def test_the_guard_refuses_shell_syntax_inside_a_word() -> None:
    with pytest.raises(UnsafeCommandError):
        check_read_only(["pm", "path", "com.example;reboot"])
    with pytest.raises(UnsafeCommandError):
        check_read_only(["getprop", "ro.product.model|sh"])
