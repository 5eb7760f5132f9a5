"""Pure parsers of what the libimobiledevice tools print: text or bytes in, typed values out.

The formats follow the tools' sources (libimobiledevice 1.3.0 as shipped by
Debian, and ideviceinstaller 1.1.1 and later); ``tests/ios/device/recorded/README.md``
lists where each one was checked. ``ideviceinfo -x`` and ``ideviceinstaller``'s
XML mode print libplist XML, which :mod:`plistlib` reads.
"""

from __future__ import annotations

import plistlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from xml.parsers.expat import ExpatError

from unstalk.ios.model import AppOrigin, IosApp, IosDeviceInfo
from unstalk.models import Parsed, ParseStatus

MAX_PLIST_BYTES = 64 * 1024 * 1024
"""A device answer larger than this is not read (a real app list is a few megabytes)."""


def parse_device_list(text: str) -> tuple[str, ...]:
    """UDIDs from ``idevice_id -l``: one per line (newer versions add `` (USB)``)."""
    udids = []
    for line in text.splitlines():
        words = line.split()
        if words and re.fullmatch(r"[0-9A-Fa-f-]{20,64}", words[0]):
            udids.append(words[0])
    return tuple(dict.fromkeys(udids))


def _plist(data: bytes) -> object:
    """The first XML plist in ``data`` (tools may print a warning line before it)."""
    if len(data) > MAX_PLIST_BYTES:
        raise ValueError(f"the answer is {len(data)} bytes, more than unstalk reads")
    start = data.find(b"<?xml")
    if start < 0:
        start = data.find(b"<plist")
    if start < 0:
        raise ValueError("the answer holds no property list")
    try:
        return plistlib.loads(data[start:], fmt=plistlib.FMT_XML)
    except (plistlib.InvalidFileException, ExpatError, ValueError, TypeError) as e:
        raise ValueError(f"the property list cannot be read ({e})") from e


def _text(values: Mapping[str, object], key: str) -> str | None:
    value = values.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


_INFO_FIELDS = (
    "DeviceName",
    "ProductType",
    "ProductVersion",
    "BuildVersion",
    "SerialNumber",
    "UniqueDeviceID",
)
_SCALARS = (str, int, float, bool)


def parse_device_info(data: bytes, *, source: str) -> Parsed[IosDeviceInfo]:
    """Device facts from ``ideviceinfo -x`` (every lockdown value of the default domain)."""
    try:
        values = _plist(data)
    except ValueError as e:
        return Parsed(source, ParseStatus.UNPARSED, problems=(str(e),))
    if not isinstance(values, dict):
        return Parsed(source, ParseStatus.UNPARSED, problems=("the answer is not a dictionary",))
    known = {key: _text(values, key) for key in _INFO_FIELDS}
    properties = tuple(
        (key, str(value))
        for key, value in sorted(values.items())
        if key not in _INFO_FIELDS and isinstance(value, _SCALARS)
    )
    info = IosDeviceInfo(
        name=known["DeviceName"],
        product_type=known["ProductType"],
        ios_version=known["ProductVersion"],
        build_version=known["BuildVersion"],
        serial_number=known["SerialNumber"],
        udid=known["UniqueDeviceID"],
        properties=properties,
    )
    if info.udid is None or info.ios_version is None:
        missing = "UniqueDeviceID" if info.udid is None else "ProductVersion"
        return Parsed(source, ParseStatus.PARTIAL, info, (f"the answer has no {missing}",))
    return Parsed(source, ParseStatus.OK, info)


def parse_wifi_sync(text: str, *, source: str) -> Parsed[bool]:
    """``EnableWifiConnections`` as ``ideviceinfo -q ... -k`` prints it: ``true`` or ``false``.

    The phone gives no value when nobody ever switched Wi-Fi sync on, so an empty
    answer reads as off, marked partial so the report says it was not stated.
    """
    words = text.split()
    if words == ["true"]:
        return Parsed(source, ParseStatus.OK, True)
    if words == ["false"]:
        return Parsed(source, ParseStatus.OK, False)
    if not words:
        return Parsed(
            source,
            ParseStatus.PARTIAL,
            False,
            (
                "the phone gave no value for EnableWifiConnections, which it does when Wi-Fi "
                "sync was never switched on",
            ),
        )
    return Parsed(source, ParseStatus.UNPARSED, problems=(f"unexpected answer {text.strip()!r}",))


# Pairing and lockdown errors -------------------------------------------------------------------


class PairState(StrEnum):
    """What ``idevicepair validate`` (or a lockdown error of another tool) says about trust."""

    PAIRED = "paired"
    LOCKED = "locked"
    """A passcode is set and the phone is locked: it must be unlocked first."""
    TRUST_PENDING = "trust-pending"
    """The phone shows 'Trust This Computer?' and waits for an answer."""
    DENIED = "denied"
    """Someone tapped 'Don't Trust'."""
    NOT_PAIRED = "not-paired"
    NO_DEVICE = "no-device"
    UNKNOWN = "unknown"


_LOCKDOWN_CODES = {
    -2: PairState.NOT_PAIRED,  # LOCKDOWN_E_INVALID_CONF: no pairing record on this computer
    -17: PairState.LOCKED,  # LOCKDOWN_E_PASSWORD_PROTECTED
    -18: PairState.DENIED,  # LOCKDOWN_E_USER_DENIED_PAIRING
    -19: PairState.TRUST_PENDING,  # LOCKDOWN_E_PAIRING_DIALOG_RESPONSE_PENDING
    -21: PairState.NOT_PAIRED,  # LOCKDOWN_E_INVALID_HOST_ID
}
_LOCKDOWN = re.compile(r"Could not connect to lockdownd(?::[^(\n]*\(|, error code )(-?\d+)")
_PAIR_MESSAGES = (
    ("SUCCESS: Validated pairing", PairState.PAIRED),
    ("because a passcode is set", PairState.LOCKED),
    ("accept the trust dialog", PairState.TRUST_PENDING),
    ("user denied the trust dialog", PairState.DENIED),
    ("is not paired with this host", PairState.NOT_PAIRED),
    ("No device found", PairState.NO_DEVICE),
)


def lockdown_state(text: str) -> PairState | None:
    """The trust state behind a tool's "Could not connect to lockdownd" line, if there is one."""
    match = _LOCKDOWN.search(text)
    if match is None:
        return None
    return _LOCKDOWN_CODES.get(int(match.group(1)), PairState.UNKNOWN)


def parse_pair_validate(text: str) -> PairState:
    """The state ``idevicepair validate`` reports (it prints on standard output)."""
    for marker, state in _PAIR_MESSAGES:
        if marker in text:
            return state
    return lockdown_state(text) or PairState.UNKNOWN


# Installed apps --------------------------------------------------------------------------------

APP_STORE_SIGNER = "Apple iPhone OS Application Signing"
_DEVELOPER_SIGNERS = ("iPhone Developer", "Apple Development")
_DISTRIBUTION_SIGNERS = ("iPhone Distribution", "Apple Distribution")


def app_origin(entry: Mapping[str, object]) -> AppOrigin:
    """Where an app came from, judged from its installation-proxy record.

    Apple re-signs every App Store and TestFlight app with its own identity;
    TestFlight builds carry the ``beta-reports-active`` entitlement. An app signed
    with a developer or distribution certificate, or validated by a provisioning
    profile, was installed outside the App Store.
    """
    kind = _text(entry, "ApplicationType")
    if kind in ("System", "Internal"):
        return AppOrigin.SYSTEM
    entitlements = entry.get("Entitlements")
    rights = entitlements if isinstance(entitlements, dict) else {}
    signer = _text(entry, "SignerIdentity") or ""
    if rights.get("beta-reports-active") is True:
        return AppOrigin.TESTFLIGHT
    if signer == APP_STORE_SIGNER:
        return AppOrigin.APP_STORE
    if signer.startswith(_DEVELOPER_SIGNERS) or rights.get("get-task-allow") is True:
        return AppOrigin.DEVELOPER
    if signer.startswith(_DISTRIBUTION_SIGNERS) or entry.get("ProfileValidated") is True:
        return AppOrigin.ENTERPRISE
    if "ApplicationDSID" in entry or "iTunesMetadata" in entry:
        return AppOrigin.APP_STORE
    return AppOrigin.UNKNOWN


def _app(entry: Mapping[str, object], source: str) -> IosApp | None:
    bundle_id = _text(entry, "CFBundleIdentifier")
    if bundle_id is None:
        return None
    return IosApp(
        bundle_id=bundle_id,
        name=_text(entry, "CFBundleDisplayName") or _text(entry, "CFBundleName"),
        version=_text(entry, "CFBundleVersion"),
        short_version=_text(entry, "CFBundleShortVersionString"),
        origin=app_origin(entry),
        signer=_text(entry, "SignerIdentity"),
        source=source,
    )


def parse_app_list(data: bytes, *, source: str) -> Parsed[tuple[IosApp, ...]]:
    """Apps from ``ideviceinstaller -l -o xml`` or ``ideviceinstaller list --xml``."""
    try:
        entries = _plist(data)
    except ValueError as e:
        return Parsed(source, ParseStatus.UNPARSED, problems=(str(e),))
    if not isinstance(entries, list):
        return Parsed(source, ParseStatus.UNPARSED, problems=("the answer is not a list of apps",))
    apps: list[IosApp] = []
    problems: list[str] = []
    for number, entry in enumerate(entries):
        app = _app(entry, source) if isinstance(entry, dict) else None
        if app is None:
            problems.append(f"entry {number} has no bundle identifier")
        else:
            apps.append(app)
    status = ParseStatus.PARTIAL if problems else ParseStatus.OK
    return Parsed(source, status, tuple(apps), tuple(problems))


# Backups ---------------------------------------------------------------------------------------

_PERCENT = re.compile(r"\]\s*(\d{1,3})%")
_RECEIVED = re.compile(r"Received (\d+) files from device\.")
_FAILED = re.compile(r"Backup Failed \(Error Code (-?\d+)\)\.")
_DEVICE_ERROR = re.compile(r"^(?:ErrorCode -?\d+: .*|ERROR: .*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class BackupOutcome:
    """How an ``idevicebackup2 backup`` run ended, from its output."""

    succeeded: bool
    files: int | None = None
    encrypted: bool | None = None
    """What the tool announced ("Backup will be encrypted.")."""
    error: str | None = None
    """The tool's own words when it failed."""


class ProgressReader:
    """Turns ``idevicebackup2``'s output, piece by piece, into a percentage.

    The tool redraws a ``[====   ]  42%`` bar with carriage returns; a piece may
    end in the middle of one, so the unfinished tail is kept for the next piece.
    """

    def __init__(self) -> None:
        self._tail = ""
        self.percent: int | None = None

    def feed(self, chunk: bytes) -> int | None:
        """Read one piece; return the new percentage when it changed, else ``None``."""
        text = self._tail + chunk.decode("utf-8", "replace")
        *done, self._tail = re.split(r"[\r\n]", text)
        changed = None
        for line in done:
            match = _PERCENT.search(line)
            if match is not None:
                percent = min(int(match.group(1)), 100)
                if percent != self.percent:
                    self.percent = changed = percent
        return changed


def parse_backup_outcome(text: str) -> BackupOutcome:
    """The end of an ``idevicebackup2 backup`` run, from everything it printed."""
    received = _RECEIVED.search(text)
    files = int(received.group(1)) if received else None
    encrypted = (
        True
        if "Backup will be encrypted." in text
        else False
        if "Backup will be unencrypted." in text
        else None
    )
    if "Backup Successful." in text:
        return BackupOutcome(True, files, encrypted)
    failed = _FAILED.search(text)
    errors = _DEVICE_ERROR.findall(text)
    if errors:
        reason = errors[-1]
    elif failed:
        reason = failed.group(0)
    elif "Backup Aborted." in text:
        reason = "the backup was cancelled"
    else:
        reason = "the tool stopped without saying the backup was complete"
    return BackupOutcome(False, files, encrypted, reason)
