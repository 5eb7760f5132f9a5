"""Checking an Android phone plugged into this computer, from the app.

:func:`phone_status` says whether a phone is ready (and which), or what the
person has to do first, in adb's own terms turned into plain words.
:func:`check_phone` collects the read-only snapshot ``unstalk android acquire``
makes into the session's private folder, checks it, and returns the report.
When the phone goes away part-way, what was collected is still checked and
the report says that the rest could not be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from unstalk.android.acquire.acquisition import ProgressEvent, acquire
from unstalk.android.acquire.adb import Adb, DeviceEntry, DeviceLostError, choose_device
from unstalk.android.check import check_acquisition
from unstalk.android.importers import load_acquisition
from unstalk.errors import DeviceError
from unstalk.report.build import outcome
from unstalk.report.from_android import report_from_android
from unstalk.report.i18n import translator
from unstalk.report.model import NotCheckedItem, Report
from unstalk.report.texts import headline
from unstalk.web.filecheck import Checker, renamed
from unstalk.web.i18n import N_, Phrase
from unstalk.web.jobs import Progress

AdbFactory = Callable[[], Adb]


@dataclass(frozen=True, slots=True)
class PhoneStatus:
    """The phones ready to check, or what stands in the way."""

    ready: tuple[DeviceEntry, ...] = ()
    problem: str | None = None
    advice: str | None = None


def phone_status(adb: Adb) -> PhoneStatus:
    """Ask adb which phones are plugged in and usable; never raises for a device problem."""
    try:
        entries = adb.devices()
        ready = tuple(e for e in entries if e.state == "device")
        if ready:
            return PhoneStatus(ready=ready)
        choose_device(entries, None)
    except DeviceError as e:
        message, _, advice = e.diagnostics().partition("\n")
        return PhoneStatus(problem=message, advice=advice or None)
    # choose_device only returns a phone in the "device" state, which ``ready`` already took.
    return PhoneStatus(problem=N_("No phone is ready to check."))


def check_phone(
    adb: Adb,
    folder: Path,
    checker: Checker,
    progress: Progress,
    *,
    serial: str,
    pull_apks: bool,
) -> Report:
    """Acquire the phone ``serial`` into the new ``folder``, check it, report on it."""
    started = datetime.now(UTC)

    def show(event: ProgressEvent) -> None:
        # Collecting is most of the wait; checking afterwards takes seconds.
        share = 0.9 * event.done / event.total if event.total else None
        progress.step(Phrase.of(N_("Reading the phone: {step}."), step=event.label), share)

    lost: DeviceLostError | None = None
    try:
        acquire(
            adb,
            folder,
            serial=serial,
            pull_apks=pull_apks,
            feed=checker.feed.provenance,
            progress=show,
        )
    except DeviceLostError as e:
        lost = e
    progress.step(Phrase(N_("Checking what was read from the phone.")), 0.9)
    acquisition = load_acquisition(folder)
    analyser = checker.analyser() if acquisition.apk_files else None
    result = check_acquisition(acquisition, checker.index, analyser=analyser, at=started)
    report = report_from_android(
        result,
        created_at=datetime.now(UTC),
        feed=checker.feed.provenance,
        files=acquisition.file_hashes,
    )
    report = renamed(report, folder, f"the phone ({report.subject})")
    if lost is None:
        return report
    stopped = NotCheckedItem(
        part="the rest of the phone",
        reason=f"{lost.message} Only what was read before that was checked.",
        complete_miss=True,
    )
    not_checked = (stopped, *report.not_checked)
    result_now = outcome(report.summary, not_checked)
    return report.model_copy(
        update={
            "not_checked": not_checked,
            "outcome": result_now,
            "headline": headline(result_now, report.summary, translator("en")),
        }
    )
