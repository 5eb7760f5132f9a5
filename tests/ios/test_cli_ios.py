"""``unstalk check ios``: a backup with --backup, or a phone through recorded tool outputs.

Backups come from the synthetic backup generator (``tests/ios/gen``); the phone
is the replay runner over ``tests/ios/device/recorded/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.ios.device.make_recorded import UDID
from tests.ios.device.replay import ReplayRunner
from tests.ios.gen import DAMAGES, SCENARIOS, write_backup
from unstalk.cli import check_ios as command
from unstalk.cli.check import check
from unstalk.cli.check_ios import ios
from unstalk.cli.main import EXIT_FOUND, EXIT_INCOMPLETE, EXIT_NOTHING_FOUND, EXIT_USAGE, cli
from unstalk.ios.device import Idevice

# The lead adds the command to the `check` group in cli/check.py; until then, the same here.
if "ios" not in check.commands:
    check.add_command(ios)

runner = CliRunner()


@pytest.fixture(scope="module")
def feed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, feed_cache: Path) -> Path:
    """A fresh data folder; the parsed feed is cached once for the whole module."""
    monkeypatch.setenv("UNSTALK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UNSTALK_CACHE", str(feed_cache))
    return tmp_path / "home"


def _backup(tmp_path: Path, scenario: str, password: str | None = None) -> Path:
    return write_backup(tmp_path / "backups", SCENARIOS[scenario](), password=password)


def _phone(
    monkeypatch: pytest.MonkeyPatch, scenario: str, backup: str | None = "benign"
) -> ReplayRunner:
    """Point the command at a recorded phone whose backups come from the generator."""

    def make(folder: Path) -> None:
        if backup is not None:
            write_backup(folder.parent, SCENARIOS[backup]())

    replay = ReplayRunner(scenario, on_backup=make)
    factory: Callable[[], Idevice] = lambda: Idevice(replay)  # noqa: E731
    monkeypatch.setattr(command, "Idevice", factory)
    return replay


def test_an_ordinary_backup_exits_0_with_the_checklist(tmp_path: Path) -> None:
    folder = _backup(tmp_path, "benign")
    result = runner.invoke(cli, ["check", "ios", "--backup", str(folder)])
    assert result.exit_code == EXIT_NOTHING_FOUND, result.output
    assert "No known stalkerware found by these checks." in result.stdout
    assert "iPhone 'Sam's iPhone': iPhone14,2, iOS 17.5.1" in result.stdout
    assert "Check by hand: what no tool can see from the phone" in result.stdout
    assert "Reset Location & Privacy" not in result.stdout
    assert "not-recorded" in result.stdout
    assert "clean" not in result.stdout.lower()


def test_a_watchware_app_in_a_backup_is_reported_not_as_stalkerware(tmp_path: Path) -> None:
    folder = _backup(tmp_path, "feed-app")
    result = runner.invoke(cli, ["check", "ios", "--backup", str(folder), "--format", "json"])
    assert result.exit_code == EXIT_NOTHING_FOUND, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "unstalk.ios-check/1" and document["feed"]["format"] == "echap"
    assert "watchware" in document["headline"]
    feed_match = [f for f in document["findings"] if f["id"] == "ios.app.feed-match"]
    assert feed_match and feed_match[0]["severity"] == "low"


def test_profiles_in_a_backup_exit_1(tmp_path: Path) -> None:
    folder = _backup(tmp_path, "profiles")
    report = tmp_path / "report.json"
    result = runner.invoke(cli, ["check", "ios", "--backup", str(folder), "-o", str(report)])
    assert result.exit_code == EXIT_FOUND, result.output
    assert "need a closer look" in result.stdout
    assert "Before removing anything, talk with an advocate" in result.stdout
    ids = {f["id"] for f in json.loads(report.read_text())["findings"]}
    assert "ios.device.root-certificate" in ids and "ios.device.mdm" in ids


def test_a_jailbroken_backup(tmp_path: Path) -> None:
    folder = _backup(tmp_path, "jailbroken")
    result = runner.invoke(cli, ["check", "ios", "--backup", str(folder), "--format", "json"])
    assert result.exit_code == EXIT_FOUND, result.output
    ids = {f["id"] for f in json.loads(result.stdout)["findings"]}
    assert {"ios.device.jailbreak", "ios.app.jailbreak-app", "ios.device.wifi-sync"} <= ids


def test_an_encrypted_backup_needs_the_password(tmp_path: Path) -> None:
    folder = _backup(tmp_path, "profiles", password="correct horse")
    result = runner.invoke(cli, ["check", "ios", "--backup", str(folder)])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "encrypted" in result.output and "--password-prompt" in result.output
    asked = runner.invoke(
        cli, ["check", "ios", "--backup", str(folder), "--password-prompt"], input="correct horse\n"
    )
    assert asked.exit_code == EXIT_FOUND, asked.output
    assert "correct horse" not in asked.output


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_backup_gives_a_clear_message(tmp_path: Path, damage: str) -> None:
    folder = _backup(tmp_path, "benign")
    DAMAGES[damage](folder)
    result = runner.invoke(cli, ["check", "ios", "--backup", str(folder)])
    assert result.exit_code in (EXIT_NOTHING_FOUND, EXIT_INCOMPLETE), result.output
    assert "Traceback" not in result.output
    if result.exit_code == EXIT_NOTHING_FOUND:
        assert "What could not be checked in full" in result.stdout


def test_backup_and_udid_together_is_a_usage_error(tmp_path: Path) -> None:
    folder = _backup(tmp_path, "benign")
    result = runner.invoke(cli, ["check", "ios", "--backup", str(folder), "--udid", UDID])
    assert result.exit_code == EXIT_USAGE
    assert "--backup checks a backup made earlier" in result.output


def test_a_phone_is_read_backed_up_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay = _phone(monkeypatch, "iphone-17")
    kept = tmp_path / "evidence"
    result = runner.invoke(cli, ["check", "ios", "--keep-backup", str(kept), "--format", "json"])
    assert result.exit_code == EXIT_FOUND, result.output
    document = json.loads(result.stdout)
    assert document["source"] == f"device:{UDID}" and document["kind"] == "device"
    ids = {f["id"] for f in document["findings"]}
    assert {"ios.app.outside-app-store", "ios.device.wifi-sync", "ios.app.testflight"} <= ids
    apps = {a["bundle_id"] for a in document["apps"]}
    assert "com.spotify.client" in apps and "com.apple.sync.helperd" in apps
    assert (kept / UDID / "Manifest.db").is_file()
    assert "Making the backup: 100%" in result.stderr
    assert any(c[0] == "idevicebackup2" for c in replay.calls)


def test_a_phone_unplugged_during_the_backup_keeps_what_was_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _phone(monkeypatch, "unplugged-during-backup", backup=None)
    result = runner.invoke(cli, ["check", "ios", "--format", "json"])
    assert result.exit_code == EXIT_FOUND, result.output
    assert "Warning: The backup of the iPhone did not complete" in result.stderr
    document = json.loads(result.stdout)
    assert document["incomplete"] is True
    parts = {n["part"] for n in document["not_checked"]}
    assert {"profiles", "jailbreak", "integrity"} <= parts


def test_no_phone_connected_exits_3_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    _phone(monkeypatch, "no-device")
    result = runner.invoke(cli, ["check", "ios"])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "No iPhone is connected." in result.output and "tap Trust" in result.output


def test_a_locked_phone_exits_3_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    _phone(monkeypatch, "locked")
    result = runner.invoke(cli, ["check", "ios"])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "Unlock the iPhone and tap Trust" in result.output


def test_an_encrypted_phone_backup_without_the_password_is_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _phone(monkeypatch, "encrypted-backup", backup=None)
    result = runner.invoke(cli, ["check", "ios", "--format", "json"])
    assert result.exit_code == EXIT_FOUND, result.output
    document = json.loads(result.stdout)
    profiles = next(n for n in document["not_checked"] if n["part"] == "profiles")
    assert profiles["status"] == "missing" and "--password-prompt" in profiles["reasons"][0]
    assert document["incomplete"] is True


def test_an_encrypted_phone_backup_is_read_with_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def make(folder: Path) -> None:
        write_backup(folder.parent, SCENARIOS["jailbroken"](), password="pw 1234")

    replay = ReplayRunner("encrypted-backup", on_backup=make)
    monkeypatch.setattr(command, "Idevice", lambda: Idevice(replay))
    args = ["check", "ios", "--password-prompt", "--format", "json"]
    result = runner.invoke(cli, args, input="pw 1234\n")
    assert result.exit_code == EXIT_FOUND, result.output
    ids = {f["id"] for f in json.loads(result.stdout)["findings"]}
    assert "ios.device.jailbreak" in ids
    assert not any("idevicebackup2" in c[0] and "encryption" in c for c in replay.calls)
