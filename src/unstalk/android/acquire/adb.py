"""A thin wrapper over Debian's ``adb`` binary: every call with a time-out, every failure explained.

The wrapper only lists devices, runs read-only shell commands (checked by
:func:`unstalk.android.acquire.plan.check_read_only`) and pulls files. The way
``adb`` itself is run is a :class:`Runner`, so tests can swap in a recording.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from unstalk.android.acquire.plan import check_read_only
from unstalk.errors import DeviceError

DEVICES_TIMEOUT = 30.0
"""``adb devices`` may first start the adb server, which takes a few seconds."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run of a program gave back."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    """The program was stopped after its time-out; the output is what came before."""


class Runner(Protocol):
    """Runs a program; raises ``FileNotFoundError`` when the program is not installed."""

    def run(self, argv: Sequence[str], timeout: float) -> RunResult: ...


class SubprocessRunner:
    """Runs programs with :mod:`subprocess`, never through a shell."""

    def run(self, argv: Sequence[str], timeout: float) -> RunResult:
        try:
            done = subprocess.run(
                list(argv),
                capture_output=True,
                timeout=timeout,
                check=False,
                # adb shell reads stdin when it is open; the phone must never see ours.
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as e:
            return RunResult(-1, _as_bytes(e.stdout), _as_bytes(e.stderr), timed_out=True)
        return RunResult(done.returncode, done.stdout, done.stderr)


def _as_bytes(value: bytes | str | None) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else value


class DeviceLostError(DeviceError):
    """The phone stopped answering (unplugged, locked, went offline, or timed out)."""

    def __init__(self, message: str, *, reason: str, advice: str = "") -> None:
        super().__init__(message, advice=advice)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DeviceEntry:
    """One line of ``adb devices -l``."""

    serial: str
    state: str
    """``device`` when usable; else ``unauthorized``, ``offline``, ``no permissions`` ..."""
    model: str | None = None
    product: str | None = None
    usb: str | None = None

    @property
    def name(self) -> str:
        """The model as people read it (adb writes ``Pixel_6`` for ``Pixel 6``)."""
        return self.model.replace("_", " ") if self.model else "unknown model"


_NO_PERMISSIONS = "no permissions"


def parse_devices(text: str) -> tuple[DeviceEntry, ...]:
    """Parse the output of ``adb devices -l``."""
    entries = []
    for line in text.splitlines():
        # "* daemon started successfully" and the header are not devices.
        if not line.strip() or line.startswith(("*", "List of devices")):
            continue
        serial, _, rest = line.strip().replace("\t", " ").partition(" ")
        rest = rest.strip()
        if rest.startswith(_NO_PERMISSIONS):
            # "no permissions (reason); see [url]" holds spaces; the details follow the URL.
            state, details = _NO_PERMISSIONS, rest.rpartition("]")[2] if "]" in rest else ""
        else:
            state, _, details = rest.partition(" ")
        fields = dict(w.split(":", 1) for w in details.split() if ":" in w)
        entries.append(
            DeviceEntry(
                serial=serial,
                state=state,
                model=fields.get("model"),
                product=fields.get("product"),
                usb=fields.get("usb"),
            )
        )
    return tuple(entries)


_CONNECT_STEPS = (
    "1. On the phone, open Settings > About phone and tap 'Build number' seven times to turn on "
    "Developer options.\n"
    "2. In Settings > System > Developer options, turn on 'USB debugging'.\n"
    "3. Plug the phone into this computer and unlock it.\n"
    "4. When the phone asks 'Allow USB debugging?', tap Allow. On a shared laptop leave "
    "'Always allow from this computer' unticked.\n"
    "5. If nothing shows, try another USB cable or port: some cables only charge."
)

_STATE_HELP: dict[str, tuple[str, str]] = {
    "unauthorized": (
        "The phone {name} is connected but has not allowed this computer to use USB debugging.",
        "Unlock the phone and look for the 'Allow USB debugging?' prompt, then tap Allow. On a "
        "shared laptop leave 'Always allow from this computer' unticked. If no prompt shows, "
        "unplug the cable, plug it back in and unlock the phone again.",
    ),
    "offline": (
        "The phone {name} is connected but not answering (adb reports it offline).",
        "Unlock the phone, unplug the cable and plug it back in. If it stays offline, turn "
        "'USB debugging' off and on again in Developer options, or try another cable.",
    ),
    _NO_PERMISSIONS: (
        "This computer does not let your user account talk to the phone {name} over USB.",
        "Install the device rules with 'sudo apt install android-sdk-platform-tools-common', "
        "add yourself to the plugdev group with 'sudo usermod -aG plugdev $USER', log out and "
        "back in, then plug the phone in again.",
    ),
}
_NOT_STARTED = (
    "The phone {name} is in {state} mode, not started normally.",
    "Restart the phone normally, unlock it, and try again.",
)
_STATE_HELP.update(dict.fromkeys(("recovery", "sideload", "rescue", "bootloader"), _NOT_STARTED))
_STILL_CONNECTING = (
    "The phone {name} is still connecting ({state}).",
    "Wait a few seconds, unlock the phone, and try again.",
)


def _state_error(entry: DeviceEntry) -> DeviceError:
    message, advice = _STATE_HELP.get(entry.state, _STILL_CONNECTING)
    name = f"{entry.name} ({entry.serial})" if entry.model else f"with serial {entry.serial}"
    return DeviceError(message.format(name=name, state=entry.state), advice=advice)


def _describe(entries: Sequence[DeviceEntry]) -> str:
    return "\n".join(f"  {e.serial}  {e.name}  ({e.state})" for e in entries)


def choose_device(entries: Sequence[DeviceEntry], serial: str | None) -> DeviceEntry:
    """The one usable phone: the one with ``serial``, or the only one connected."""
    if serial is not None:
        matches = [e for e in entries if e.serial == serial]
        if not matches:
            connected = _describe(entries) if entries else "  (none)"
            raise DeviceError(
                f"No phone with serial '{serial}' is connected. Connected now:\n{connected}",
                advice="Check the serial with 'adb devices -l', or leave out --serial.",
            )
        entries = matches
    if not entries:
        raise DeviceError(
            "No phone is connected (adb sees no device).",
            advice=f"To connect the phone:\n{_CONNECT_STEPS}",
        )
    if len(entries) > 1:
        raise DeviceError(
            f"{len(entries)} phones are connected; unstalk checks one at a time:\n"
            f"{_describe(entries)}",
            advice="Unplug the others, or choose one with --serial SERIAL.",
        )
    entry = entries[0]
    if entry.state != "device":
        raise _state_error(entry)
    return entry


_LOST = re.compile(
    r"^(?:adb: )?(?:error: )?(?:device '[^']*' not found|no devices/emulators found|"
    r"device offline|device unauthorized|closed|protocol fault|insufficient permissions|"
    r"device still (?:authorizing|connecting))",
    re.MULTILINE,
)


def lost_reason(result: RunResult, timeout: float) -> str | None:
    """Why the phone is gone, in plain words, or ``None`` when it answered."""
    if result.timed_out:
        return f"the phone did not answer within {timeout:g} seconds"
    if result.exit_code == 0:
        return None
    match = _LOST.search(result.stderr.decode("utf-8", "replace"))
    return f"adb said: {match.group(0)}" if match else None


class Adb:
    """The ``adb`` program, run through ``runner``."""

    def __init__(self, runner: Runner | None = None, program: str = "adb") -> None:
        self.runner: Runner = runner or SubprocessRunner()
        self.program = program

    def _run(self, args: Sequence[str], timeout: float) -> RunResult:
        try:
            return self.runner.run([self.program, *args], timeout)
        except FileNotFoundError as e:
            raise DeviceError(
                "adb is not installed: sudo apt install adb",
                advice="unstalk talks to the phone through the 'adb' program from Debian.",
            ) from e
        except PermissionError as e:
            raise DeviceError(
                f"'{self.program}' cannot be run: {e.strerror}.",
                advice="Reinstall it with 'sudo apt install --reinstall adb'.",
            ) from e

    def version(self) -> str | None:
        """adb's own version line, for the record; ``None`` if it would not say."""
        result = self._run(["version"], DEVICES_TIMEOUT)
        lines = result.stdout.decode("utf-8", "replace").splitlines()
        return " / ".join(line.strip() for line in lines[:2]) or None

    def devices(self) -> tuple[DeviceEntry, ...]:
        """Every device adb sees, in any state."""
        result = self._run(["devices", "-l"], DEVICES_TIMEOUT)
        if result.timed_out or result.exit_code != 0:
            said = result.stderr.decode("utf-8", "replace").strip() or "no answer"
            raise DeviceError(
                f"adb could not list the connected phones ({said}).",
                advice="Run 'adb kill-server', unplug and plug the phone back in, and try again.",
            )
        return parse_devices(result.stdout.decode("utf-8", "replace"))

    def select_device(self, serial: str | None = None) -> DeviceEntry:
        """The phone to check; a :class:`DeviceError` says what to do when there is none."""
        return choose_device(self.devices(), serial)

    def shell_argv(self, serial: str, command: Sequence[str]) -> list[str]:
        """The full argument list for running ``command`` on the phone, as recorded."""
        return [self.program, "-s", serial, "shell", *command]

    def shell(self, serial: str, command: Sequence[str], timeout: float) -> RunResult:
        """Run a read-only ``command`` on the phone; :class:`DeviceLostError` if it went away."""
        check_read_only(command)
        result = self._run(["-s", serial, "shell", *command], timeout)
        self._raise_if_lost(result, timeout, " ".join(command))
        return result

    def pull(self, serial: str, remote: str, local: Path, timeout: float) -> RunResult:
        """Copy ``remote`` from the phone to ``local``."""
        result = self._run(["-s", serial, "pull", remote, str(local)], timeout)
        self._raise_if_lost(result, timeout, f"pull {remote}")
        return result

    @staticmethod
    def _raise_if_lost(result: RunResult, timeout: float, what: str) -> None:
        reason = lost_reason(result, timeout)
        if reason is not None:
            raise DeviceLostError(
                f"The phone stopped answering during '{what}' ({reason}).",
                reason=reason,
                advice="Check the cable, unlock the phone, and try again.",
            )
