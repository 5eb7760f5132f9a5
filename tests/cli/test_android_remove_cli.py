"""``unstalk android remove``: the safety warning first, a typed confirmation, one uninstall."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.android.fake_adb import ReplayRunner
from unstalk.android.acquire.adb import Adb, RunResult
from unstalk.cli.main import EXIT_INCOMPLETE, EXIT_NOTHING_FOUND, EXIT_USAGE, cli

runner = CliRunner()
SERIAL = "0A151FDD4000BM"
"""The recorded Pixel 5 (android-12), which holds com.thetruth."""
UNINSTALL = ["adb", "-s", SERIAL, "uninstall", "--user", "0", "com.thetruth"]


class Phone:
    """The recorded phone, answering ``adb uninstall`` as Android's package manager does."""

    def __init__(
        self, state: Path, answer: bytes = b"Success\n", scenario: str | Path = ""
    ) -> None:
        self.replay = ReplayRunner(scenario or "android-12", state)
        self.answer = answer
        self.calls: list[list[str]] = []

    def run(self, argv: Sequence[str], timeout: float) -> RunResult:
        self.calls.append(list(argv))
        if list(argv[3:4]) == ["uninstall"]:
            return RunResult(0, self.answer, b"")
        return self.replay.run(argv, timeout)

    @property
    def uninstalls(self) -> list[list[str]]:
        return [call for call in self.calls if "uninstall" in call]


@pytest.fixture
def phone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Phone:
    fake = Phone(tmp_path / "state")
    monkeypatch.setattr("unstalk.cli.android.Adb", lambda: Adb(fake))
    return fake


def test_the_warning_comes_first_and_a_wrong_name_removes_nothing(phone: Phone) -> None:
    result = runner.invoke(cli, ["android", "remove", "com.thetruth"], input="yes\n")
    assert result.exit_code == EXIT_NOTHING_FOUND
    warning = result.output.index("can alert the person who installed it")
    assert warning < result.output.index("type the package name")
    assert "destroys evidence" in result.output and "safety plan" in result.output
    assert "Nothing was removed." in result.output
    assert phone.calls == []


def test_typing_the_package_name_removes_it_for_the_main_user(phone: Phone) -> None:
    result = runner.invoke(cli, ["android", "remove", "com.thetruth"], input="com.thetruth\n")
    assert result.exit_code == EXIT_NOTHING_FOUND, result.output
    assert phone.uninstalls == [UNINSTALL]
    # The only other question asked of the phone is the read-only 'pm path'.
    assert ["adb", "-s", SERIAL, "shell", "pm", "path", "com.thetruth"] in phone.calls
    assert "Removed com.thetruth" in result.output


def test_scripts_need_both_flags(phone: Phone) -> None:
    refused = runner.invoke(cli, ["android", "remove", "com.thetruth", "--yes"])
    assert refused.exit_code == EXIT_USAGE
    assert "--i-have-a-safety-plan" in refused.output
    done = runner.invoke(
        cli, ["android", "remove", "com.thetruth", "--i-have-a-safety-plan", "--yes"]
    )
    assert done.exit_code == EXIT_NOTHING_FOUND, done.output
    assert "can alert the person who installed it" in done.output
    assert phone.uninstalls == [UNINSTALL]


def test_a_device_administrator_must_be_switched_off_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = Phone(tmp_path / "state", b"Failure [DELETE_FAILED_DEVICE_POLICY_MANAGER]\n")
    monkeypatch.setattr("unstalk.cli.android.Adb", lambda: Adb(fake))
    result = runner.invoke(cli, ["android", "remove", "com.thetruth"], input="com.thetruth\n")
    assert result.exit_code == EXIT_INCOMPLETE
    assert "active device administrator" in result.output
    assert "Device admin apps" in result.output


def test_an_app_that_is_not_installed_is_not_uninstalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = tmp_path / "scenario"
    (scenario / "pm_path").mkdir(parents=True)
    (scenario / "pm_path" / "com.thetruth.txt").write_text("")
    base = Path(__file__).resolve().parents[1] / "android" / "recorded" / "android-12"
    (scenario / "scenario.json").write_text(f'{{"base": "{base}"}}')
    fake = Phone(tmp_path / "state", scenario=scenario)
    monkeypatch.setattr("unstalk.cli.android.Adb", lambda: Adb(fake))
    result = runner.invoke(cli, ["android", "remove", "com.thetruth"], input="com.thetruth\n")
    assert result.exit_code == EXIT_INCOMPLETE
    assert "is not installed on this phone" in result.output
    assert fake.uninstalls == []


def test_a_malformed_package_name_is_refused_before_anything(phone: Phone) -> None:
    result = runner.invoke(cli, ["android", "remove", "com.x; reboot"], input="\n")
    assert result.exit_code == EXIT_USAGE
    assert "not an Android package name" in result.output
    assert phone.calls == []


def test_no_answer_is_no_confirmation(phone: Phone) -> None:
    result = runner.invoke(cli, ["android", "remove", "com.thetruth"], input="")
    assert result.exit_code == EXIT_NOTHING_FOUND
    assert "Nothing was removed." in result.output
    assert phone.uninstalls == []
