"""``unstalk capture`` with a fake dumpcap or tshark on the PATH that writes a generated capture."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.netcap.phone_captures import stalkerware_capture
from unstalk.cli.main import cli

runner = CliRunner()

_FAKE = """#!/bin/sh
printf '%s\\n' "$@" > "{args}"
{behaviour}
out=""
while [ $# -gt 0 ]; do
    if [ "$1" = "-w" ]; then out="$2"; fi
    shift
done
/bin/cp "{source}" "$out"
"""


def _install(bin_dir: Path, name: str, source: Path, behaviour: str = "") -> Path:
    """Write a fake capture tool; return the file where it records its arguments."""
    bin_dir.mkdir(exist_ok=True)
    args = bin_dir / f"{name}.args"
    script = bin_dir / name
    script.write_text(_FAKE.format(args=args, source=source, behaviour=behaviour))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return args


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that is the whole PATH: no real dumpcap or tshark is found."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    return stalkerware_capture(tmp_path / "generated.pcapng")


def _capture(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["capture", *args])
    return result.exit_code, result.output


def test_capture_with_dumpcap_then_check_it(
    fake_bin: Path, generated: Path, tmp_path: Path, unstalk_home: Path
) -> None:
    args = _install(fake_bin, "dumpcap", generated)
    out = tmp_path / "phone.pcapng"
    code, output = _capture("--interface", "wlan0", "--duration", "600", str(out))
    assert code == 0, output
    assert f"Capture saved to {out.resolve()}" in output
    assert f"unstalk check pcap {out}" in output and "delete it" in output
    assert out.read_bytes() == generated.read_bytes()
    called = args.read_text().splitlines()
    assert called[:6] == ["-i", "wlan0", "-a", "duration:600", "-w", str(out)]
    assert "-f" not in called
    checked = runner.invoke(cli, ["check", "pcap", str(out)])
    assert checked.exit_code == 1 and "TheTruthSpy" in checked.output


def test_capture_filter_is_passed_on(fake_bin: Path, generated: Path, tmp_path: Path) -> None:
    args = _install(fake_bin, "dumpcap", generated)
    out = tmp_path / "phone.pcapng"
    code, _ = _capture("-i", "wlan0", "-d", "5", "-f", "host 10.42.0.23", str(out))
    assert code == 0
    called = args.read_text().splitlines()
    assert called[called.index("-f") + 1] == "host 10.42.0.23"


def test_tshark_is_used_without_name_resolution_when_dumpcap_is_missing(
    fake_bin: Path, generated: Path, tmp_path: Path
) -> None:
    args = _install(fake_bin, "tshark", generated)
    out = tmp_path / "phone.pcapng"
    code, output = _capture("-i", "wlan0", "-d", "5", str(out))
    assert code == 0, output
    assert "tshark" in output
    assert "-n" in args.read_text().splitlines()


def test_no_capture_tool_installed(fake_bin: Path, tmp_path: Path) -> None:
    code, output = _capture("-i", "wlan0", "-d", "5", str(tmp_path / "phone.pcapng"))
    assert code == 3
    assert "dumpcap is not installed" in output and "apt install tshark" in output


def test_no_permission_explains_root_and_wireshark_group(
    fake_bin: Path, generated: Path, tmp_path: Path
) -> None:
    refuse = (
        "echo \"dumpcap: The capture session could not be initiated on interface 'wlan0' "
        "(You don't have permission to capture on that device).\" >&2; exit 1"
    )
    _install(fake_bin, "dumpcap", generated, refuse)
    out = tmp_path / "phone.pcapng"
    code, output = _capture("-i", "wlan0", "-d", "5", str(out))
    assert code == 3
    assert "You do not have permission to capture on 'wlan0'" in output
    assert "sudo" in output and "wireshark" in output
    assert not out.exists()


def test_unknown_interface_lists_the_interfaces(
    fake_bin: Path, generated: Path, tmp_path: Path
) -> None:
    missing = (
        'if [ "$1" = "-D" ]; then printf "1. eth0\\n2. wlan0 (Wi-Fi)\\n3. any\\n"; exit 0; fi\n'
        "echo 'dumpcap: There is no device named \"wlan9\".' >&2; "
        "echo '(No such device exists)' >&2; exit 1"
    )
    _install(fake_bin, "dumpcap", generated, missing)
    code, output = _capture("-i", "wlan9", "-d", "5", str(tmp_path / "phone.pcapng"))
    assert code == 3
    assert "There is no network interface called 'wlan9'" in output
    assert "eth0, wlan0, any" in output and "dumpcap -D" in output


def test_existing_capture_is_never_overwritten(
    fake_bin: Path, generated: Path, tmp_path: Path
) -> None:
    _install(fake_bin, "dumpcap", generated)
    out = tmp_path / "earlier.pcapng"
    out.write_bytes(b"evidence")
    code, output = _capture("-i", "wlan0", "-d", "5", str(out))
    assert code == 2
    assert "already exists" in output
    assert out.read_bytes() == b"evidence"


@pytest.mark.parametrize("duration", ["0", "-5", "ten"])
def test_duration_must_be_a_positive_number_of_seconds(tmp_path: Path, duration: str) -> None:
    code, output = _capture("-i", "wlan0", "-d", duration, str(tmp_path / "x.pcapng"))
    assert code == 2
    assert "--duration" in output
