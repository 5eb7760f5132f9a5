"""A live iPhone, read over USB into an :class:`~unstalk.ios.model.IosAcquisition`.

The device gives its facts, the Wi-Fi sync setting and (with ``ideviceinstaller``)
the installed apps with their signers; a backup made with ``idevicebackup2``
gives the rest (profiles, jailbreak traces), read by the backup reader and joined
with :func:`merge`. If the phone goes away midway, :class:`AcquisitionStoppedError`
carries what was read so far.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from unstalk.errors import BackupError
from unstalk.ios.backup import read_backup
from unstalk.ios.device.parsers import BackupOutcome
from unstalk.ios.device.tools import DeviceLostError, Idevice
from unstalk.ios.model import IosAcquisition, IosApp, IosDeviceInfo
from unstalk.models import Parsed, ParseStatus

FROM_BACKUP = "read from a backup of the phone; no backup was made"

Step = Callable[[str], None]
"""Told, in plain words, what the acquisition is doing now (for progress on stderr)."""


class AcquisitionStoppedError(DeviceLostError):
    """The iPhone went away midway; ``partial`` holds everything read before."""

    def __init__(self, lost: DeviceLostError, partial: IosAcquisition) -> None:
        super().__init__(lost.message, reason=lost.reason, advice=lost.advice)
        self.partial = partial


def empty_acquisition(udid: str, reason: str) -> IosAcquisition:
    """A device acquisition where nothing has been read yet; every part says why."""
    return IosAcquisition(
        source=f"device:{udid}",
        kind="device",
        device=Parsed("ideviceinfo -x", ParseStatus.MISSING, problems=(reason,)),
        apps=Parsed("ideviceinstaller", ParseStatus.MISSING, problems=(reason,)),
        profiles=Parsed("backup", ParseStatus.MISSING, problems=(FROM_BACKUP,)),
        jailbreak=Parsed("backup", ParseStatus.MISSING, problems=(FROM_BACKUP,)),
        wifi_sync=Parsed("ideviceinfo", ParseStatus.MISSING, problems=(reason,)),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class LiveAcquisition:
    """What the live device gave, and the backup folder when one was made."""

    acquisition: IosAcquisition
    backup_folder: Path | None = None
    """``<folder>/<UDID>``, the backup ``idevicebackup2`` wrote; read it with the backup reader."""
    backup: BackupOutcome | None = None


def acquire_live(
    idevice: Idevice,
    *,
    udid: str | None = None,
    backup_into: Path | None = None,
    on_step: Step | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> LiveAcquisition:
    """Read the connected iPhone (read-only); with ``backup_into``, also back it up there."""
    say = on_step or (lambda _text: None)
    chosen = idevice.select_device(udid)
    say(f"iPhone {chosen} found; checking that it trusts this computer")
    idevice.ensure_trusted(chosen)
    acquisition = empty_acquisition(chosen, "the phone stopped answering before this was read")
    try:
        say("Reading the device information")
        device = idevice.info(chosen)
        acquisition = dataclasses.replace(acquisition, device=device)
        say("Reading whether Wi-Fi sync is on")
        wifi = idevice.wifi_sync(chosen)
        device = _with_wifi(device, wifi)
        acquisition = dataclasses.replace(acquisition, device=device, wifi_sync=wifi)
        say("Listing the installed apps")
        acquisition = dataclasses.replace(
            acquisition, apps=idevice.apps(chosen), file_hashes=dict(idevice.hashes)
        )
        if backup_into is None:
            return LiveAcquisition(acquisition)
        say("Making a full backup (the iPhone may ask for its passcode)")
        outcome = idevice.backup(chosen, backup_into, on_progress)
    except DeviceLostError as e:
        read = dataclasses.replace(acquisition, file_hashes=dict(idevice.hashes))
        raise AcquisitionStoppedError(e, _stopped(read, e.message)) from e
    return LiveAcquisition(acquisition, backup_into / chosen, outcome)


def _with_wifi(device: Parsed[IosDeviceInfo], wifi: Parsed[bool]) -> Parsed[IosDeviceInfo]:
    if device.value is None or wifi.value is None:
        return device
    info = dataclasses.replace(device.value, wifi_sync=wifi.value)
    return dataclasses.replace(device, value=info)


def _stopped(acquisition: IosAcquisition, reason: str) -> IosAcquisition:
    return dataclasses.replace(acquisition, integrity=(*acquisition.integrity, reason))


def without_backup(acquisition: IosAcquisition, reason: str) -> IosAcquisition:
    """The live read alone, when its backup could not be read: the backup's parts say why."""
    return dataclasses.replace(
        acquisition,
        profiles=Parsed("backup", ParseStatus.MISSING, problems=(reason,)),
        jailbreak=Parsed("backup", ParseStatus.MISSING, problems=(reason,)),
    )


# Joining a live read with its backup ------------------------------------------------------------


def merge(live: IosAcquisition, backup: IosAcquisition) -> IosAcquisition:
    """One acquisition from a live read and a backup of the same phone.

    The live read wins where both have a value: ``ideviceinstaller`` knows each
    app's signer, which a backup does not keep; the backup adds profiles and
    jailbreak traces, and apps the live listing did not show.
    """
    return IosAcquisition(
        source=live.source,
        kind="device",
        device=_merge_device(live.device, backup.device),
        apps=_merge_apps(live.apps, backup.apps),
        profiles=backup.profiles,
        jailbreak=backup.jailbreak,
        wifi_sync=live.wifi_sync if live.wifi_sync.value is not None else backup.wifi_sync,
        file_hashes={**backup.file_hashes, **live.file_hashes},
        integrity=(*live.integrity, *backup.integrity),
    )


def _merge_device(
    live: Parsed[IosDeviceInfo], backup: Parsed[IosDeviceInfo]
) -> Parsed[IosDeviceInfo]:
    if live.value is None:
        return backup
    if backup.value is None:
        return live
    known = {
        f.name: getattr(live.value, f.name)
        if getattr(live.value, f.name) is not None
        else getattr(backup.value, f.name)
        for f in dataclasses.fields(IosDeviceInfo)
        if f.name != "properties"
    }
    info = IosDeviceInfo(**known, properties=live.value.properties)
    return dataclasses.replace(live, value=info, source=f"{live.source}, {backup.source}")


def _merge_apps(
    live: Parsed[tuple[IosApp, ...]], backup: Parsed[tuple[IosApp, ...]]
) -> Parsed[tuple[IosApp, ...]]:
    if live.value is None:
        return backup
    if backup.value is None:
        return live
    seen = {app.bundle_id for app in live.value}
    extra = tuple(app for app in backup.value if app.bundle_id not in seen)
    return Parsed(
        f"{live.source}, {backup.source}",
        live.status,
        (*live.value, *extra),
        (*live.problems, *backup.problems),
    )


ENCRYPTED_WITHOUT_PASSWORD = (
    "the phone's backup is encrypted and no password was given, so profiles and jailbreak "
    "traces could not be read: check again with the backup password"
)


def read_phone(
    idevice: Idevice,
    *,
    udid: str | None,
    folder: Path,
    password: str | None,
    on_step: Step | None = None,
    on_progress: Callable[[int], None] | None = None,
    no_password: str = ENCRYPTED_WITHOUT_PASSWORD,
) -> IosAcquisition:
    """Read the iPhone, back it up into ``folder`` and read the backup; one acquisition.

    A phone that goes away midway gives what was read before (the rest is listed
    as not read); a backup that is encrypted without ``password``, or cannot be
    read, leaves the live facts with the backup's parts marked as not read
    (``no_password`` says why, in the words of the caller's interface).
    """
    say = on_step or (lambda _text: None)
    try:
        live = acquire_live(
            idevice, udid=udid, backup_into=folder, on_step=say, on_progress=on_progress
        )
    except AcquisitionStoppedError as e:
        say(f"Warning: {e.diagnostics()}")
        return e.partial
    backup_folder = live.backup_folder or folder
    if live.backup is not None and live.backup.encrypted and password is None:
        return without_backup(live.acquisition, no_password)
    say("Reading the backup")
    try:
        backup = read_backup(backup_folder, password=password)
    except BackupError as e:
        say(f"Warning: {e.diagnostics()}")
        return without_backup(live.acquisition, f"the backup could not be read: {e.message}")
    return merge(live.acquisition, backup)
