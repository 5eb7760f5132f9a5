"""A thin wrapper over Debian's libimobiledevice tools: every call timed, every failure explained.

Only reading commands are run: ``idevice_id -l``, ``idevicepair validate``
(and ``pair``, which shows the phone's "Trust This Computer?" prompt),
``ideviceinfo``, ``ideviceinstaller``'s app list, and ``idevicebackup2 backup``.
The backup's encryption setting is never touched. How programs run is a
:class:`~unstalk.ios.device.runner.Runner`, so tests replay recordings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from unstalk.errors import DeviceError
from unstalk.ios.device.parsers import (
    BackupOutcome,
    PairState,
    ProgressReader,
    lockdown_state,
    parse_app_list,
    parse_backup_outcome,
    parse_device_info,
    parse_device_list,
    parse_pair_validate,
    parse_wifi_sync,
)
from unstalk.ios.device.runner import Runner, RunResult, SubprocessRunner
from unstalk.ios.model import IosApp, IosDeviceInfo
from unstalk.models import Parsed, ParseStatus

LIST_TIMEOUT = 15.0
QUERY_TIMEOUT = 60.0
APPS_TIMEOUT = 180.0
BACKUP_TIMEOUT = 6 * 3600.0
"""A full backup of a well-filled phone over USB 2 can take hours."""
PACKAGE = "libimobiledevice-utils"

WIFI_DOMAIN = "com.apple.mobile.wireless_lockdown"
WIFI_KEY = "EnableWifiConnections"

_TRUST = (
    "Unlock the iPhone and tap Trust when it asks 'Trust This Computer?', then enter the "
    "passcode if asked. Run the check again."
)
_STATE_HELP: dict[PairState, tuple[str, str]] = {
    PairState.LOCKED: ("The iPhone is locked with its passcode.", _TRUST),
    PairState.TRUST_PENDING: (
        "The iPhone is waiting for an answer to 'Trust This Computer?'.",
        _TRUST,
    ),
    PairState.DENIED: (
        "Someone tapped 'Don't Trust' on the iPhone.",
        "Unplug the iPhone, plug it back in, unlock it and tap Trust.",
    ),
    PairState.NOT_PAIRED: ("This computer is not trusted by the iPhone yet.", _TRUST),
    PairState.NO_DEVICE: (
        "The iPhone is no longer connected.",
        "Check the cable, unlock the iPhone, and run the check again.",
    ),
    PairState.UNKNOWN: (
        "The iPhone refused the connection.",
        "Unplug the iPhone, plug it back in, unlock it and tap Trust if asked.",
    ),
}
_CONNECT_STEPS = (
    "Plug the iPhone into this computer with a cable that carries data, unlock it, and tap "
    "Trust when it asks 'Trust This Computer?'. If nothing shows, install usbmuxd "
    "('sudo apt install usbmuxd'), which Debian starts when an iPhone is plugged in."
)


_KEEP_CONNECTED = "Keep the iPhone unlocked and plugged in during the backup, and try again."
_NO_INSTALLER = "ideviceinstaller is not installed: sudo apt install ideviceinstaller"


class ToolMissingError(DeviceError):
    """A libimobiledevice program is not installed."""

    def __init__(self, program: str, package: str) -> None:
        super().__init__(
            f"'{program}' is not installed: sudo apt install {package}",
            advice=f"unstalk talks to iPhones through the programs of Debian's {package}.",
        )
        self.program = program
        self.package = package


class DeviceLostError(DeviceError):
    """The iPhone stopped answering: unplugged, locked, not trusted, or timed out."""

    def __init__(self, message: str, *, reason: str, advice: str = "") -> None:
        super().__init__(message, advice=advice)
        self.reason = reason


def state_error(state: PairState, udid: str) -> DeviceLostError:
    """The plain-language error for a trust state other than paired."""
    message, advice = _STATE_HELP[state]
    return DeviceLostError(f"{message} ({udid})", reason=state.value, advice=advice)


def _output(result: RunResult) -> str:
    return (result.stdout + b"\n" + result.stderr).decode("utf-8", "replace")


class Idevice:
    """The libimobiledevice programs, run through ``runner``."""

    def __init__(self, runner: Runner | None = None) -> None:
        self.runner: Runner = runner or SubprocessRunner()
        self.hashes: dict[str, str] = {}
        """SHA-256 of each answer read, keyed by the command (without the UDID)."""

    def _run(self, argv: Sequence[str], timeout: float, package: str = PACKAGE) -> RunResult:
        try:
            return self.runner.run(argv, timeout)
        except FileNotFoundError as e:
            raise ToolMissingError(argv[0], package) from e
        except PermissionError as e:
            raise DeviceError(
                f"'{argv[0]}' cannot be run: {e.strerror}.",
                advice=f"Reinstall it with 'sudo apt install --reinstall {package}'.",
            ) from e

    def _checked(self, argv: Sequence[str], timeout: float, udid: str) -> RunResult:
        """Run ``argv``; :class:`DeviceLostError` when the answer shows the phone went away."""
        result = self._run(argv, timeout)
        if result.timed_out:
            raise DeviceLostError(
                f"The iPhone did not answer '{argv[0]}' within {timeout:g} seconds.",
                reason="time-out",
                advice="Unlock the iPhone, check the cable, and run the check again.",
            )
        # Only a failed run is searched for error lines: an app name in a good answer could
        # read like one.
        if result.exit_code != 0:
            text = _output(result)
            state = lockdown_state(text)
            if state is None and ("No device found" in text or "not found!" in text):
                state = PairState.NO_DEVICE
            if state is not None:
                raise state_error(state, udid)
        command = " ".join(a for a in argv if a not in ("-u", udid))
        self.hashes[command] = hashlib.sha256(result.stdout).hexdigest()
        return result

    def devices(self) -> tuple[str, ...]:
        """The UDIDs of every iPhone connected over USB."""
        result = self._run(["idevice_id", "-l"], LIST_TIMEOUT)
        if result.timed_out or result.exit_code != 0:
            raise DeviceError(
                "No iPhone can be found: the USB service for iPhones (usbmuxd) is not running.",
                advice=_CONNECT_STEPS,
            )
        return parse_device_list(result.stdout.decode("utf-8", "replace"))

    def select_device(self, udid: str | None = None) -> str:
        """The iPhone to check: the one with ``udid``, or the only one connected."""
        connected = self.devices()
        if udid is not None:
            if udid not in connected:
                listed = "\n".join(f"  {u}" for u in connected) or "  (none)"
                raise DeviceError(
                    f"No iPhone with UDID '{udid}' is connected. Connected now:\n{listed}",
                    advice="Check the UDID with 'idevice_id -l', or leave out --udid.",
                )
            return udid
        if not connected:
            raise DeviceError("No iPhone is connected.", advice=_CONNECT_STEPS)
        if len(connected) > 1:
            listed = "\n".join(f"  {u}" for u in connected)
            raise DeviceError(
                f"{len(connected)} iPhones are connected; unstalk checks one at a time:\n{listed}",
                advice="Unplug the others, or choose one with --udid UDID.",
            )
        return connected[0]

    def ensure_trusted(self, udid: str) -> None:
        """Check that the iPhone trusts this computer; if it never did, ask it to.

        ``idevicepair pair`` makes the phone show "Trust This Computer?"; the
        person answers on the phone, then runs the check again.
        """
        result = self._run(["idevicepair", "-u", udid, "validate"], QUERY_TIMEOUT)
        state = parse_pair_validate(_output(result))
        if state is PairState.PAIRED:
            return
        if state is PairState.NOT_PAIRED:
            paired = self._run(["idevicepair", "-u", udid, "pair"], QUERY_TIMEOUT)
            state = parse_pair_validate(_output(paired))
            if "SUCCESS: Paired" in _output(paired):
                return
        raise state_error(state, udid)

    def info(self, udid: str) -> Parsed[IosDeviceInfo]:
        """Every lockdown value of the default domain."""
        result = self._checked(["ideviceinfo", "-u", udid, "-x"], QUERY_TIMEOUT, udid)
        return parse_device_info(result.stdout, source="ideviceinfo -x")

    def wifi_sync(self, udid: str) -> Parsed[bool]:
        """Whether the phone offers itself for sync over Wi-Fi."""
        argv = ["ideviceinfo", "-u", udid, "-q", WIFI_DOMAIN, "-k", WIFI_KEY]
        result = self._checked(argv, QUERY_TIMEOUT, udid)
        source = f"ideviceinfo -q {WIFI_DOMAIN} -k {WIFI_KEY}"
        return parse_wifi_sync(result.stdout.decode("utf-8", "replace"), source=source)

    def apps(self, udid: str) -> Parsed[tuple[IosApp, ...]]:
        """The apps the person installed, from ``ideviceinstaller`` when it is installed."""
        forms = (["-l", "-o", "xml"], ["list", "--xml"])
        parsed: Parsed[tuple[IosApp, ...]] | None = None
        for form in forms:
            argv = ["ideviceinstaller", "-u", udid, *form]
            try:
                result = self._checked(argv, APPS_TIMEOUT, udid)
            except ToolMissingError:
                return Parsed(
                    "ideviceinstaller",
                    ParseStatus.MISSING,
                    problems=(_NO_INSTALLER,),
                )
            parsed = parse_app_list(result.stdout, source=" ".join(["ideviceinstaller", *form]))
            if parsed.status is not ParseStatus.UNPARSED:
                return parsed
        assert parsed is not None
        return parsed

    def backup(
        self, udid: str, folder: Path, on_progress: Callable[[int], None] | None = None
    ) -> BackupOutcome:
        """Make a full backup of the iPhone into ``folder`` (the tool adds ``<UDID>/``).

        An iPhone set to encrypt its backups encrypts this one too, with its own
        password; nothing here reads or changes that setting.
        """
        reader = ProgressReader()

        def progress(chunk: bytes) -> None:
            percent = reader.feed(chunk)
            if percent is not None and on_progress is not None:
                on_progress(percent)

        argv = ["idevicebackup2", "-u", udid, "backup", "--full", str(folder)]
        try:
            result = self.runner.stream(argv, BACKUP_TIMEOUT, progress)
        except FileNotFoundError as e:
            raise ToolMissingError(argv[0], PACKAGE) from e
        text = _output(result)
        outcome = parse_backup_outcome(text)
        if outcome.succeeded:
            return outcome
        state = lockdown_state(text)
        if "No device found" in text:
            state = PairState.NO_DEVICE
        if result.timed_out:
            reason = f"it did not finish within {BACKUP_TIMEOUT / 3600:g} hours"
        else:
            reason = outcome.error or "it stopped early"
        advice = _STATE_HELP[state][1] if state is not None else _KEEP_CONNECTED
        raise DeviceLostError(
            f"The backup of the iPhone did not complete: {reason}.", reason=reason, advice=advice
        )
