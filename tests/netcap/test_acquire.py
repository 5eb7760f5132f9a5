"""Live capture plumbing: which tool runs, with what, and what a person is told when it fails."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from unstalk.errors import CaptureError
from unstalk.netcap.acquire import (
    STOP_GRACE,
    CaptureTool,
    Completed,
    capture,
    capture_command,
    find_tool,
    list_interfaces,
    run_command,
)

DUMPCAP = CaptureTool("dumpcap", "/usr/bin/dumpcap")


class FakeRunner:
    """Answers each command with a canned result, writing the capture file when asked to."""

    def __init__(self, result: Completed, *, writes: bytes = b"", interfaces: str = "") -> None:
        self.result = result
        self.writes = writes
        self.interfaces = interfaces
        self.calls: list[tuple[list[str], float]] = []

    def __call__(self, args: Sequence[str], *, timeout: float) -> Completed:
        self.calls.append((list(args), timeout))
        if "-D" in args:
            return Completed(0, self.interfaces, "")
        if self.writes:
            Path(args[args.index("-w") + 1]).write_bytes(self.writes)
        return self.result


def test_dumpcap_is_preferred_to_tshark() -> None:
    both = {"dumpcap": "/opt/bin/dumpcap", "tshark": "/opt/bin/tshark"}
    assert find_tool(both.get) == CaptureTool("dumpcap", "/opt/bin/dumpcap")
    assert find_tool({"tshark": "/opt/bin/tshark"}.get).name == "tshark"
    nothing: dict[str, str] = {}
    with pytest.raises(CaptureError, match="not installed"):
        find_tool(nothing.get)


def test_capture_runs_with_a_timeout_past_its_duration(tmp_path: Path) -> None:
    out = tmp_path / "phone.pcapng"
    runner = FakeRunner(Completed(0, "", ""), writes=b"\x0a\x0d\x0d\x0a")
    run = capture("wlan0", 600, out, runner=runner, tool=DUMPCAP)
    assert (run.path, run.tool, run.size) == (out, "dumpcap", 4)
    args, timeout = runner.calls[0]
    assert args == capture_command(DUMPCAP, "wlan0", 600, out)
    assert timeout == 600 + STOP_GRACE


def test_tool_that_writes_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="wrote no capture"):
        capture(
            "wlan0", 5, tmp_path / "x.pcapng", runner=FakeRunner(Completed(0, "", "")), tool=DUMPCAP
        )


@pytest.mark.parametrize(
    ("stderr", "message"),
    [
        (
            'dumpcap: The file to which the capture would be saved ("/root/x.pcapng") could '
            "not be opened: Permission denied.",
            "cannot write the capture",
        ),
        (
            "dumpcap: The capture session could not be initiated on interface 'wlan0' "
            "(socket: Operation not permitted).",
            "do not have permission",
        ),
        ("dumpcap: Invalid capture filter \"hots 1.2.3.4\" for interface 'wlan0'.", "filter"),
        ("dumpcap: something unexpected\n\n", "dumpcap failed: dumpcap: something unexpected"),
    ],
)
def test_tool_errors_become_plain_messages(tmp_path: Path, stderr: str, message: str) -> None:
    runner = FakeRunner(Completed(1, "", stderr))
    with pytest.raises(CaptureError) as error:
        capture("wlan0", 5, tmp_path / "x.pcapng", runner=runner, tool=DUMPCAP)
    assert message in error.value.message


def test_interfaces_are_read_from_dumpcap_list() -> None:
    listing = "1. eth0\n2. wlp2s0 (Wi-Fi)\n3. any\n4. lo (Loopback)\nnoise\n"
    runner = FakeRunner(Completed(0, "", ""), interfaces=listing)
    assert list_interfaces(DUMPCAP, runner) == ("eth0", "wlp2s0", "any", "lo")


def test_stuck_command_is_stopped() -> None:
    with pytest.raises(CaptureError, match="did not finish within 0 seconds"):
        run_command(["/bin/sleep", "5"], timeout=0.2)


def test_missing_program_is_not_installed() -> None:
    with pytest.raises(CaptureError, match="not installed") as error:
        run_command(["/nonexistent/dumpcap", "-D"], timeout=5)
    assert "apt install tshark" in error.value.advice
