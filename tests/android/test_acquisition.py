"""The acquisition folder: raw outputs, acquisition.json, SHA256SUMS, what a lost phone leaves."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.android.fake_adb import ReplayRunner
from tests.android.fake_adb.replay import RECORDED
from unstalk import __version__
from unstalk.android.acquire.acquisition import (
    MANIFEST_FILE,
    METADATA_FILE,
    ProgressEvent,
    acquire,
    third_party_packages,
)
from unstalk.android.acquire.adb import Adb, DeviceLostError, RunResult
from unstalk.android.acquire.plan import PLAN
from unstalk.errors import DeviceError, UsageError
from unstalk.feed.model import InputFile, Provenance

FEED = Provenance(
    format="echap",
    source="bundled",
    version="a04c5c1958bff93fec3b1b56edbb412b209f2a38",
    retrieved=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    files=(InputFile("ioc.yaml", "ab" * 32, 1234),),
)
SERIALS = {"android-9": "ce0916093b1c2d8e05", "android-12": "0A151FDD4000BM"}
SERIALS["android-14"] = "28131FDH2000AB"


def _run(
    scenario: str | Path, tmp_path: Path, **options: object
) -> tuple[Path, ReplayRunner, list[ProgressEvent]]:
    runner = ReplayRunner(scenario, tmp_path / "state")
    out = tmp_path / "acq"
    events: list[ProgressEvent] = []
    acquire(Adb(runner), out, feed=FEED, progress=events.append, **options)  # type: ignore[arg-type]
    return out, runner, events


def _metadata(out: Path) -> dict[str, object]:
    data = json.loads((out / METADATA_FILE).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _sha256sum_check(out: Path) -> str:
    done = subprocess.run(
        ["sha256sum", "-c", MANIFEST_FILE], cwd=out, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("scenario", ["android-9", "android-12", "android-14"])
def test_folder_holds_every_output_untouched(scenario: str, tmp_path: Path) -> None:
    out, _, _ = _run(scenario, tmp_path)
    for step in PLAN:
        recorded = RECORDED / scenario / step.output
        assert (out / step.output).read_bytes() == (
            recorded.read_bytes() if recorded.is_file() else b""
        )
        recorded_err = RECORDED / scenario / step.stderr_output
        if recorded_err.is_file() and recorded_err.stat().st_size:
            assert (out / step.stderr_output).read_bytes() == recorded_err.read_bytes()
        else:
            assert not (out / step.stderr_output).exists()


@pytest.mark.parametrize("scenario", ["android-9", "android-12", "android-14"])
def test_acquisition_json_records_device_tool_feed_and_commands(
    scenario: str, tmp_path: Path
) -> None:
    out, _, _ = _run(scenario, tmp_path)
    meta = _metadata(out)
    assert meta["format"] == "unstalk-android-acquisition" and meta["complete"] is True
    device = meta["device"]
    assert isinstance(device, dict)
    assert device["serial"] == SERIALS[scenario]
    assert device["android_version"] == scenario.removeprefix("android-")
    assert device["model"]
    assert meta["tool"] == {
        "name": "unstalk",
        "version": __version__,
        "adb": "Android Debug Bridge version 1.0.41 / Version 29.0.6-debian",
    }
    feed = meta["feed"]
    assert isinstance(feed, dict)
    assert feed["version"] == FEED.version and feed["files"][0]["sha256"] == "ab" * 32
    started, finished = str(meta["started_utc"]), str(meta["finished_utc"])
    assert started.endswith("Z") and started <= finished
    commands = meta["commands"]
    assert isinstance(commands, list) and len(commands) == len(PLAN)
    for step, command in zip(PLAN, commands, strict=True):
        assert command["argv"] == ["adb", "-s", SERIALS[scenario], "shell", *step.command]
        assert command["output"] == step.output
        assert isinstance(command["exit_code"], int) and command["duration_s"] >= 0
        data = (out / step.output).read_bytes()
        assert command["sha256"] == hashlib.sha256(data).hexdigest()


def test_device_facts_come_from_getprop(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario"
    scenario.mkdir()
    (scenario / "scenario.json").write_text(json.dumps({"base": str(RECORDED / "android-12")}))
    (scenario / "getprop.txt").write_bytes(
        b"[ro.build.fingerprint]: [google/redfin/redfin:12/SQ3A.220705.003.A1/8672226:user/"
        b"release-keys]\n[ro.build.version.release]: [12]\n[ro.build.version.sdk]: [32]\n"
        b"[ro.build.version.security_patch]: [2022-07-05]\n[ro.product.manufacturer]: [Google]\n"
        b"[ro.product.model]: [Pixel 5]\n[ro.serialno]: [0A151FDD4000BM]\n"
    )
    runner = ReplayRunner(scenario, tmp_path / "state")
    result = acquire(Adb(runner), tmp_path / "acq")
    assert (result.model, result.android_version) == ("Pixel 5", "12")
    device = _metadata(tmp_path / "acq")["device"]
    assert device == {
        "serial": "0A151FDD4000BM",
        "adb_model": "Pixel_5",
        "adb_product": "redfin",
        "model": "Pixel 5",
        "manufacturer": "Google",
        "android_version": "12",
        "sdk": "32",
        "security_patch": "2022-07-05",
        "build_fingerprint": "google/redfin/redfin:12/SQ3A.220705.003.A1/8672226:user/release-keys",
    }


def test_sha256sums_lists_every_file_and_verifies(tmp_path: Path) -> None:
    out, _, _ = _run("android-12", tmp_path)
    checked = _sha256sum_check(out)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    listed = {line.split("  ", 1)[1] for line in (out / MANIFEST_FILE).read_text().splitlines()}
    assert listed == files - {MANIFEST_FILE}
    assert f"{METADATA_FILE}: OK" in checked
    (out / "getprop.txt").write_bytes(b"tampered\n")
    done = subprocess.run(["sha256sum", "-c", MANIFEST_FILE], cwd=out, capture_output=True)
    assert done.returncode != 0


def test_stderr_is_kept_beside_the_output(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario"
    scenario.mkdir()
    (scenario / "scenario.json").write_text(json.dumps({"base": str(RECORDED / "android-12")}))
    (scenario / "root_indicators.stderr.txt").write_bytes(
        b"ls: /system/xbin/su: No such file or directory\n"
    )
    out, _, _ = _run(scenario, tmp_path)
    assert (out / "root_indicators.stderr.txt").read_bytes().startswith(b"ls: /system/xbin/su")
    (entry,) = [c for c in _metadata(out)["commands"] if c["output"] == "root_indicators.txt"]  # type: ignore[attr-defined]
    assert entry["stderr_output"] == "root_indicators.stderr.txt" and entry["exit_code"] == 1


def test_failed_commands_are_reported_but_root_searches_are_not(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario"
    scenario.mkdir()
    config = {
        "base": str(RECORDED / "android-12"),
        "exit_codes": {"dumpsys_appops.txt": 255, "root_which_su.txt": 1},
    }
    (scenario / "scenario.json").write_text(json.dumps(config))
    result = acquire(Adb(ReplayRunner(scenario, tmp_path / "state")), tmp_path / "acq")
    assert result.failed == ("dumpsys_appops.txt",)
    assert result.outputs == len(PLAN)


def test_progress_reaches_the_end(tmp_path: Path) -> None:
    _, _, events = _run("android-12", tmp_path)
    assert [e.done for e in events] == list(range(len(PLAN) + 1))
    assert events[-1].done == events[-1].total == len(PLAN)
    assert events[0].label == "system properties"


def test_disconnect_keeps_what_was_collected(tmp_path: Path) -> None:
    with pytest.raises(DeviceLostError) as caught:
        _run("disconnect-after-5", tmp_path)
    out = tmp_path / "acq"
    text = caught.value.diagnostics()
    assert "stopped answering during 'dumpsys package'" in text
    assert f"5 of {len(PLAN)} outputs were collected" in text and "getprop.txt" in text
    assert f"kept in {out}" in text and "new, empty folder" in text
    meta = _metadata(out)
    assert meta["complete"] is False
    assert "device '0A151FDD4000BM' not found" in str(meta["stopped_because"])
    commands = meta["commands"]
    assert isinstance(commands, list) and len(commands) == 6
    assert commands[-1]["output"] == "dumpsys_package.txt" and commands[-1]["exit_code"] is None
    assert all((out / step.output).is_file() for step in PLAN[:5])
    assert not (out / "dumpsys_package.txt").exists()
    _sha256sum_check(out)


def test_timeout_stops_and_marks_incomplete(tmp_path: Path) -> None:
    with pytest.raises(DeviceLostError, match="did not answer within 180 seconds"):
        _run("slow", tmp_path)
    meta = _metadata(tmp_path / "acq")
    assert meta["complete"] is False
    assert "did not answer within 180 seconds" in str(meta["stopped_because"])


def test_shorter_timeouts_can_be_planned(tmp_path: Path) -> None:
    quick = tuple(dataclasses.replace(step, timeout=2) for step in PLAN)
    with pytest.raises(DeviceLostError, match="within 2 seconds"):
        _run("slow", tmp_path, plan=quick)


class _InterruptedRunner(ReplayRunner):
    """Ctrl-C pressed while the third device command runs."""

    def run(self, argv: Sequence[str], timeout: float) -> RunResult:
        if sum(1 for call in self.calls if "-s" in call) == 2 and "-s" in argv:
            raise KeyboardInterrupt
        return super().run(argv, timeout)


def test_ctrl_c_still_records_what_was_collected(tmp_path: Path) -> None:
    runner = _InterruptedRunner("android-12", tmp_path / "state")
    with pytest.raises(KeyboardInterrupt):
        acquire(Adb(runner), tmp_path / "acq")
    meta = _metadata(tmp_path / "acq")
    assert meta["complete"] is False and meta["stopped_because"] == "stopped by the user"
    assert [c["output"] for c in meta["commands"]] == ["getprop.txt", "packages.txt"]  # type: ignore[attr-defined]
    _sha256sum_check(tmp_path / "acq")


def test_non_empty_folder_is_refused_before_talking_to_the_phone(tmp_path: Path) -> None:
    out = tmp_path / "acq"
    out.mkdir()
    (out / "old.txt").write_text("from an earlier case")
    runner = ReplayRunner("android-12", tmp_path / "state")
    with pytest.raises(UsageError, match="is not empty"):
        acquire(Adb(runner), out)
    assert runner.calls == []
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]


def test_no_folder_is_created_when_no_phone_is_there(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="No phone is connected"):
        _run("no-device", tmp_path)
    assert not (tmp_path / "acq").exists()


def test_pull_apks_copies_and_hashes_third_party_apps(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario"
    (scenario / "pm_path").mkdir(parents=True)
    (scenario / "scenario.json").write_text(json.dumps({"base": str(RECORDED / "android-12")}))
    (scenario / "packages_third_party.txt").write_bytes(
        b"package:com.example.notes\npackage:com.bad;reboot\npackage:org.example.split\n"
    )
    (scenario / "pm_path" / "org.example.split.txt").write_bytes(
        b"package:/data/app/~~aGk=/org.example.split-b2s=/base.apk\n"
        b"package:/data/app/~~aGk=/org.example.split-b2s=/split_config.arm64_v8a.apk\n"
    )
    out, runner, events = _run(scenario, tmp_path, pull_apks=True)
    pulled = sorted(p.relative_to(out).as_posix() for p in (out / "apks").rglob("*.apk"))
    assert pulled == [
        "apks/com.example.notes/base.apk",
        "apks/org.example.split/base.apk",
        "apks/org.example.split/split_config.arm64_v8a.apk",
    ]
    assert not any("com.bad" in " ".join(call) for call in runner.calls)
    apks = _metadata(out)["apks"]
    assert isinstance(apks, list) and len(apks) == 3
    for apk in apks:
        assert apk["sha256"] == hashlib.sha256((out / apk["file"]).read_bytes()).hexdigest()
    assert (out / "apks/org.example.split/pm_path.txt").is_file()
    assert events[-1].total == len(PLAN) + 2
    checked = _sha256sum_check(out)
    assert "apks/com.example.notes/base.apk: OK" in checked


def test_third_party_packages_ignores_malformed_lines() -> None:
    listing = b"package:com.b\npackage:com.a\nnoise\npackage:../../etc\npackage:com.a\n"
    assert third_party_packages(listing) == ["com.a", "com.b"]
