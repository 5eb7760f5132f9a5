"""``unstalk android acquire`` against the fake adb on PATH: folder, messages and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.android.fake_adb import install
from unstalk.cli.main import EXIT_INCOMPLETE, EXIT_USAGE, cli

runner = CliRunner()


@pytest.fixture
def fake_adb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unstalk_home: Path
) -> dict[str, Path]:
    """Make PATH hold only the fake adb (once ``_use`` writes it), never a real one."""
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(bin_dir))
    return {"bin": bin_dir, "state": tmp_path / "state"}


def _use(fake_adb: dict[str, Path], scenario: str) -> None:
    install(fake_adb["bin"], scenario, fake_adb["state"])


def test_acquire_writes_a_verified_folder(fake_adb: dict[str, Path], tmp_path: Path) -> None:
    _use(fake_adb, "android-12")
    out = tmp_path / "case-1"
    result = runner.invoke(cli, ["android", "acquire", str(out)])
    assert result.exit_code == 0, result.output
    assert "0A151FDD4000BM" in result.output and str(out) in result.output
    assert "sha256sum -c SHA256SUMS" in result.output
    meta = json.loads((out / "acquisition.json").read_text())
    assert meta["complete"] is True
    # The feed in use is recorded, so a later report can say which indicators it used.
    assert meta["feed"]["version"] == "a04c5c1958bff93fec3b1b56edbb412b209f2a38"
    assert (out / "SHA256SUMS").is_file()


def test_two_phones_ask_for_serial(fake_adb: dict[str, Path], tmp_path: Path) -> None:
    _use(fake_adb, "two-devices")
    result = runner.invoke(cli, ["android", "acquire", str(tmp_path / "out")])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "Pixel 5" in result.output and "SM A505F" in result.output
    assert "--serial" in result.output


def test_non_empty_folder_is_a_usage_error(fake_adb: dict[str, Path], tmp_path: Path) -> None:
    _use(fake_adb, "android-12")
    out = tmp_path / "used"
    out.mkdir()
    (out / "notes.txt").write_text("earlier case")
    result = runner.invoke(cli, ["android", "acquire", str(out)])
    assert result.exit_code == EXIT_USAGE
    assert "is not empty" in result.output
    assert "Traceback" not in result.output


def test_unauthorized_phone_explains_the_prompt(fake_adb: dict[str, Path], tmp_path: Path) -> None:
    _use(fake_adb, "unauthorized")
    result = runner.invoke(cli, ["android", "acquire", str(tmp_path / "out")])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "Allow USB debugging" in result.output
    assert "Traceback" not in result.output


def test_missing_adb_says_how_to_install(fake_adb: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(cli, ["android", "acquire", str(tmp_path / "out")])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "adb is not installed: sudo apt install adb" in result.output


def test_unplugged_mid_way_exits_incomplete_and_keeps_files(
    fake_adb: dict[str, Path], tmp_path: Path
) -> None:
    _use(fake_adb, "disconnect-after-5")
    out = tmp_path / "out"
    result = runner.invoke(cli, ["android", "acquire", "--serial", "0A151FDD4000BM", str(out)])
    assert result.exit_code == EXIT_INCOMPLETE
    assert "stopped answering" in result.output and "incomplete" in result.output
    assert json.loads((out / "acquisition.json").read_text())["complete"] is False
    assert (out / "getprop.txt").is_file()
