"""``unstalk check android``: a phone through the fake adb, or an acquisition with --from."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.android.fake_adb import ReplayRunner
from tests.android.gen_acquisition import write_acquisition
from tests.android.gen_outputs import PlantedApp
from unstalk.android.acquire.adb import Adb
from unstalk.cli.check import check
from unstalk.cli.check_android import android
from unstalk.cli.main import EXIT_FOUND, EXIT_INCOMPLETE, EXIT_NOTHING_FOUND, EXIT_USAGE, cli

# The lead adds the command to the `check` group in cli/check.py; until then, the same here.
if "android" not in check.commands:
    check.add_command(android)

runner = CliRunner()


@pytest.fixture(scope="module")
def feed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, feed_cache: Path) -> Path:
    """A fresh data folder; the parsed feed is cached once for the whole module."""
    monkeypatch.setenv("UNSTALK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UNSTALK_CACHE", str(feed_cache))
    return tmp_path / "home"


@pytest.fixture
def spy_phone(tmp_path: Path, home: Path) -> Path:
    return write_acquisition(tmp_path / "spy", [PlantedApp("com.thetruth", 10300)])


@pytest.fixture
def ordinary_phone(tmp_path: Path, home: Path) -> Path:
    return write_acquisition(tmp_path / "ordinary", [])


def test_stalkerware_exits_1_with_a_table_and_the_safety_note(
    spy_phone: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    result = runner.invoke(cli, ["check", "android", "--from", str(spy_phone), "-o", str(report)])
    assert result.exit_code == EXIT_FOUND, result.output
    assert "Known stalkerware found: com.thetruth." in result.output
    assert "critical" in result.output and "Known stalkerware (TheTruthSpy)" in result.output
    assert "Before removing anything, talk with an advocate" in result.output
    assert "Phone: Google Pixel 7, Android 14" in result.output
    document = json.loads(report.read_text())
    assert document["schema"] == "unstalk.android-check/1"
    assert document["feed"]["format"] == "echap"


def test_an_ordinary_phone_exits_0_and_says_what_was_not_checked(ordinary_phone: Path) -> None:
    result = runner.invoke(cli, ["check", "android", "--from", str(ordinary_phone)])
    assert result.exit_code == EXIT_NOTHING_FOUND, result.output
    assert "No known stalkerware found by these checks." in result.output
    assert "What could not be checked in full" in result.output
    assert "/data/adb/magisk" in result.output
    assert "What these checks cannot see" in result.output
    assert "clean" not in result.output.lower()
    assert "watchware" in result.output


def test_json_on_standard_output(ordinary_phone: Path) -> None:
    result = runner.invoke(
        cli, ["check", "android", "--from", str(ordinary_phone), "--format", "json"]
    )
    assert result.exit_code == EXIT_NOTHING_FOUND
    document = json.loads(result.stdout)
    assert document["found"] is False and len(document["apps"]) == 26


def test_a_missing_part_with_nothing_found_exits_3(ordinary_phone: Path) -> None:
    metadata = json.loads((ordinary_phone / "acquisition.json").read_text())
    for command in metadata["commands"]:
        if command["output"] == "dumpsys_notification.txt":
            # As the acquisition records a command during which the phone went away.
            for key in ("sha256", "size", "normal_exit"):
                del command[key]
            command.update(exit_code=None, error="the phone did not answer within 60 seconds")
    (ordinary_phone / "acquisition.json").write_text(json.dumps(metadata))
    (ordinary_phone / "dumpsys_notification.txt").unlink()
    (ordinary_phone / "SHA256SUMS").unlink()
    result = runner.invoke(
        cli, ["check", "android", "--from", str(ordinary_phone), "--format", "json"]
    )
    assert result.exit_code == EXIT_INCOMPLETE, result.output
    parts = {n["part"]: n for n in json.loads(result.stdout)["not_checked"]}
    assert parts["notification_listeners"]["status"] == "missing"


def test_from_and_serial_do_not_mix(ordinary_phone: Path) -> None:
    result = runner.invoke(
        cli, ["check", "android", "--from", str(ordinary_phone), "--serial", "X"]
    )
    assert result.exit_code == EXIT_USAGE
    assert "--from checks an acquisition made earlier" in result.output


def test_a_folder_that_is_no_acquisition_is_explained(tmp_path: Path, home: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an acquisition")
    result = runner.invoke(cli, ["check", "android", "--from", str(tmp_path)])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "not an Android acquisition unstalk knows" in result.output
    assert "Traceback" not in result.output


def test_a_phone_over_usb_is_acquired_checked_and_kept_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    # The fake adb answering in-process, as the real runner would from the executable.
    replay = ReplayRunner("android-12", tmp_path / "state")
    monkeypatch.setattr("unstalk.cli.android.Adb", lambda: Adb(replay))
    kept = tmp_path / "evidence"
    result = runner.invoke(cli, ["check", "android", "--keep", str(kept)])
    assert result.exit_code == EXIT_FOUND, result.output
    assert "Known stalkerware found: com.thetruth." in result.output
    assert (kept / "acquisition.json").is_file() and (kept / "SHA256SUMS").is_file()
    assert ["adb", "-s", "0A151FDD4000BM", "shell", "dumpsys", "package"] in replay.calls


def test_without_keep_the_acquisition_is_not_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    replay = ReplayRunner("android-14", tmp_path / "state")
    monkeypatch.setattr("unstalk.cli.android.Adb", lambda: Adb(replay))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    result = runner.invoke(cli, ["check", "android", "--format", "json"])
    assert result.exit_code == EXIT_NOTHING_FOUND, result.output
    assert json.loads(result.stdout)["device"]["model"] == "Pixel 7"
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_phone_unplugged_mid_way_says_nothing_was_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    replay = ReplayRunner("disconnect-after-5", tmp_path / "state")
    monkeypatch.setattr("unstalk.cli.android.Adb", lambda: Adb(replay))
    result = runner.invoke(cli, ["check", "android"])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "stopped answering" in result.output and "--keep FOLDER" in result.output
    assert "is kept in" not in result.output
