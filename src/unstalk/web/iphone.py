"""Checking an iPhone from the app: plugged in over USB, or a backup folder on this computer.

Both go through the library's own iPhone check (``unstalk check ios``): the live
path reads the phone with libimobiledevice, backs it up into the session's
private folder and reads the backup; the backup path reads a folder made by
Finder, iTunes or ``idevicebackup2``. Passwords live only in the running check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from unstalk.errors import DeviceError
from unstalk.ios.backup import read_backup
from unstalk.ios.check import check_acquisition
from unstalk.ios.device import Idevice
from unstalk.ios.device.acquire import read_phone
from unstalk.ios.model import IosAcquisition
from unstalk.report.from_ios import report_from_ios
from unstalk.report.model import Report
from unstalk.web.filecheck import Checker, renamed
from unstalk.web.i18n import N_, AppError, Phrase
from unstalk.web.jobs import Progress

IdeviceFactory = Callable[[], Idevice]

NO_PASSWORD = (
    "the phone's backup is encrypted and no backup password was typed, so profiles and "
    "jailbreak traces could not be read: check again and type the backup password"
)

BACKUP_PLACES = (
    (N_("A Mac (Finder)"), "~/Library/Application Support/MobileSync/Backup/"),
    (N_("Windows (iTunes or Apple Devices)"), "%APPDATA%\\Apple Computer\\MobileSync\\Backup\\"),
    (
        N_("Windows (iTunes from the Microsoft Store)"),
        "%USERPROFILE%\\Apple\\MobileSync\\Backup\\",
    ),
    (N_("Linux (idevicebackup2)"), N_("the folder given to idevicebackup2")),
)
"""Where backups are made, for the page that asks for one."""


@dataclass(frozen=True, slots=True)
class IphoneStatus:
    """The iPhones ready to check (their UDIDs), or what stands in the way."""

    ready: tuple[str, ...] = ()
    problem: str | None = None
    advice: str | None = None


def iphone_status(idevice: Idevice) -> IphoneStatus:
    """Ask libimobiledevice which iPhones are plugged in; never raises for a device problem."""
    try:
        udids = idevice.devices()
        if not udids:
            idevice.select_device(None)
    except DeviceError as e:
        message, _, advice = e.diagnostics().partition("\n")
        return IphoneStatus(problem=message, advice=advice or None)
    return IphoneStatus(ready=udids)


def backup_folder(text: str) -> Path:
    """The folder the advocate typed, checked before a check is started for it."""
    cleaned = text.strip().strip('"')
    if not cleaned:
        raise AppError(
            N_("Type the folder of the backup."),
            advice=N_(
                "It is a folder named with the phone's long identifier, in one of the places "
                "listed on the page."
            ),
        )
    folder = Path(cleaned).expanduser()
    if not folder.is_dir():
        raise AppError(
            N_("There is no folder {folder} on this computer."),
            advice=N_("Copy the folder's location from the file manager and paste it here."),
            folder=cleaned,
        )
    return folder


def check_backup(
    folder: Path, password: str | None, checker: Checker, progress: Progress
) -> Report:
    progress.step(Phrase(N_("Reading the backup.")), 0.2)
    acquisition = read_backup(folder, password=password or None)
    return _report(acquisition, checker, progress)


def check_live(
    idevice: Idevice,
    folder: Path,
    checker: Checker,
    progress: Progress,
    *,
    udid: str,
    password: str | None,
) -> Report:
    """Read the iPhone ``udid``, back it up into the new ``folder``, check, report."""
    folder.mkdir(parents=True, exist_ok=True)

    def step(text: str) -> None:
        # The steps come from libimobiledevice's side of unstalk, in English.
        progress.step(Phrase(f"{text.rstrip('.')}."))

    def percent(done: int) -> None:
        progress.step(Phrase(N_("Making a backup of the iPhone.")), 0.9 * done / 100)

    acquisition = read_phone(
        idevice,
        udid=udid,
        folder=folder,
        password=password or None,
        on_step=step,
        on_progress=percent,
        no_password=NO_PASSWORD,
    )
    report = _report(acquisition, checker, progress)
    return renamed(report, folder, "the backup made during the check")


def _report(acquisition: IosAcquisition, checker: Checker, progress: Progress) -> Report:
    progress.step(Phrase(N_("Checking the apps, profiles and settings.")), 0.95)
    result = check_acquisition(acquisition, checker.index)
    return report_from_ios(
        result,
        created_at=datetime.now(UTC),
        feed=checker.feed.provenance,
        files=acquisition.file_hashes,
    )
