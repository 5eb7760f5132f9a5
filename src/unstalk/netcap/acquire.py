"""Live capture with dumpcap (preferred) or tshark: the one part of netcap that runs a program.

Every command goes through a :class:`Runner` with a timeout, so tests replace
it with a fake and a stuck tool never hangs the caller. What the tools print
when they fail is turned into plain advice: no permission to capture, no such
interface (with the list of interfaces), tool not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from unstalk.errors import CaptureError

TOOLS = ("dumpcap", "tshark")
"""Tried in this order: dumpcap is what tshark itself runs to capture."""
STOP_GRACE = 30.0
"""Seconds a capture may run past its duration before it is stopped as stuck."""
LIST_TIMEOUT = 30.0

INSTALL_ADVICE = (
    "Install Wireshark's command-line tools: on Debian or Ubuntu 'sudo apt install tshark' "
    "(it brings dumpcap), on Fedora 'sudo dnf install wireshark-cli', on macOS "
    "'brew install wireshark'."
)
PERMISSION_ADVICE = (
    "Run the command as root (sudo unstalk capture ...), or let your user capture: "
    "'sudo usermod -aG wireshark $USER' (on Debian and Ubuntu first "
    "'sudo dpkg-reconfigure wireshark-common' and answer Yes), then log out and in again."
)


@dataclass(frozen=True, slots=True)
class Completed:
    """What a finished command returned."""

    returncode: int
    stdout: str
    stderr: str


class Runner(Protocol):
    """Runs a command to completion, or raises :class:`CaptureError` when it cannot."""

    def __call__(self, args: Sequence[str], *, timeout: float) -> Completed: ...


def run_command(args: Sequence[str], *, timeout: float) -> Completed:
    """Run ``args`` without a shell, capturing its output; stop it after ``timeout`` seconds."""
    name = Path(args[0]).name
    try:
        done = subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as e:
        raise CaptureError(f"{name} is not installed.", advice=INSTALL_ADVICE) from e
    except subprocess.TimeoutExpired as e:
        raise CaptureError(
            f"{name} did not finish within {timeout:.0f} seconds and was stopped.",
            advice="Try again; if it keeps happening, capture with Wireshark directly.",
        ) from e
    except OSError as e:
        raise CaptureError(f"{name} could not be run ({e.strerror or e}).") from e
    return Completed(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True, slots=True)
class CaptureTool:
    name: str
    """``dumpcap`` or ``tshark``."""
    path: str


def find_tool(which: Callable[[str], str | None] = shutil.which) -> CaptureTool:
    """The first of :data:`TOOLS` on the PATH; :class:`CaptureError` when there is none."""
    for name in TOOLS:
        path = which(name)
        if path:
            return CaptureTool(name, path)
    raise CaptureError(
        "dumpcap is not installed (nor tshark), so this computer cannot capture traffic.",
        advice=INSTALL_ADVICE,
    )


@dataclass(frozen=True, slots=True)
class CaptureRun:
    """A finished capture: where the file is and how it was made."""

    path: Path
    tool: str
    interface: str
    duration: int
    size: int
    """Bytes written."""


def capture_command(
    tool: CaptureTool, interface: str, duration: int, out: Path, bpf: str | None = None
) -> list[str]:
    """The command line that captures on ``interface`` for ``duration`` seconds into ``out``."""
    args = [tool.path, "-i", interface, "-a", f"duration:{duration}", "-w", str(out), "-q"]
    if tool.name == "tshark":
        # tshark resolves names by default, which would send DNS queries of its own.
        args.append("-n")
    if bpf:
        args += ["-f", bpf]
    return args


def capture(
    interface: str,
    duration: int,
    out: Path,
    *,
    bpf: str | None = None,
    runner: Runner = run_command,
    tool: CaptureTool | None = None,
) -> CaptureRun:
    """Capture traffic on ``interface`` for ``duration`` seconds into the pcapng file ``out``.

    Raises :class:`CaptureError` with advice when the tool is missing, the user
    may not capture, the interface does not exist, or no file was written.
    """
    tool = tool or find_tool()
    done = runner(
        capture_command(tool, interface, duration, out, bpf), timeout=duration + STOP_GRACE
    )
    if done.returncode != 0:
        raise _failure(tool, interface, out, done.stderr or done.stdout, runner)
    if not out.is_file() or out.stat().st_size == 0:
        raise CaptureError(
            f"{tool.name} finished but wrote no capture to {out}.",
            advice="Check that the interface carries traffic and that the folder is writable.",
        )
    return CaptureRun(out, tool.name, interface, duration, out.stat().st_size)


_INTERFACE_LINE = re.compile(r"^\s*\d+\.\s+(\S+)")


def list_interfaces(tool: CaptureTool, runner: Runner = run_command) -> tuple[str, ...]:
    """Interface names as ``dumpcap -D`` lists them (empty when it cannot list any)."""
    try:
        done = runner([tool.path, "-D"], timeout=LIST_TIMEOUT)
    except CaptureError:
        return ()
    if done.returncode != 0:
        return ()
    found = (_INTERFACE_LINE.match(line) for line in done.stdout.splitlines())
    return tuple(m.group(1) for m in found if m)


_NO_DEVICE = ("no device named", "no such device", "doesn't exist", "is not a valid interface")
_NO_PERMISSION = ("don't have permission", "operation not permitted", "permission denied")


def _failure(
    tool: CaptureTool, interface: str, out: Path, output: str, runner: Runner
) -> CaptureError:
    text = output.lower()
    if "could not be opened" in text or "file to which the capture would be saved" in text:
        return CaptureError(
            f"{tool.name} cannot write the capture to {out}.",
            advice="Choose a file in a folder you can write to.",
        )
    if any(marker in text for marker in _NO_DEVICE):
        names = list_interfaces(tool, runner)
        listed = f"Interfaces on this computer: {', '.join(names)}." if names else ""
        return CaptureError(
            f"There is no network interface called {interface!r}.",
            advice=f"{listed} Run 'dumpcap -D' to list them; for a hotspot, use the "
            "interface the hotspot runs on (often wlan0).".strip(),
        )
    if any(marker in text for marker in _NO_PERMISSION):
        return CaptureError(
            f"You do not have permission to capture on {interface!r}.", advice=PERMISSION_ADVICE
        )
    if "capture filter" in text:
        return CaptureError(
            "The capture filter is not valid.",
            advice="Write it in tcpdump's filter language, for example 'host 10.42.0.23'.",
        )
    last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "")
    return CaptureError(f"{tool.name} failed: {last or 'no message'}.")
