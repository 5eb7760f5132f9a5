"""Run the right check on an uploaded file and turn its result into a report.

The checks are the library's own (the same as ``unstalk scan apk``, ``unstalk
check android --from`` and ``unstalk check pcap``); this module only picks one
by the file's kind, reports progress, and converts the result with the report
adapters so every page and export shows the same thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from threading import Lock

from unstalk.android.check import check_acquisition
from unstalk.android.importers import load_acquisition
from unstalk.apk.analyse import Analyser
from unstalk.feed.allowlist import AllowList
from unstalk.feed.index import FeedIndex
from unstalk.feed.model import Feed
from unstalk.netcap.check import check_capture, default_jobs
from unstalk.report.from_android import report_from_android
from unstalk.report.from_apk import report_from_apks
from unstalk.report.from_network import report_from_network
from unstalk.report.model import Report, load_report, report_json
from unstalk.web.filekind import FileKind
from unstalk.web.i18n import N_, Phrase
from unstalk.web.jobs import Progress
from unstalk.web.upload import SavedFile

ALLOWLIST_LABEL = "tinycheck"
"""Network checks lower heuristic findings for hosts on TinyCheck's allow-list (never a feed
match), as ``unstalk check pcap --allowlist tinycheck`` does: advocates see fewer false alarms
about well-known services."""


@dataclass(slots=True)
class Checker:
    """The feed and its compiled forms, shared by every check the app runs."""

    feed: Feed
    index: FeedIndex
    _analyser: Analyser | None = field(default=None, init=False)
    _allowlist: AllowList | None = field(default=None, init=False)
    _lock: Lock = field(default_factory=Lock, init=False)

    def analyser(self) -> Analyser:
        """The APK analyser, built on first use (it compiles the feed's YARA rules)."""
        with self._lock:
            if self._analyser is None:
                self._analyser = Analyser(self.feed, index=self.index)
            return self._analyser

    def allowlist(self) -> AllowList:
        with self._lock:
            if self._allowlist is None:
                data = (
                    resources.files("unstalk.netcap") / "data" / "tinycheck_whitelist.json"
                ).read_bytes()
                self._allowlist = AllowList.from_tinycheck(data, "bundled TinyCheck whitelist.json")
            return self._allowlist


def run_check(kind: FileKind, saved: SavedFile, checker: Checker, progress: Progress) -> Report:
    """Check ``saved`` as a ``kind`` file; errors are :class:`unstalk.errors.Error` subclasses."""
    now = datetime.now(UTC)
    provenance = checker.feed.provenance
    if kind is FileKind.APK:
        progress.step(Phrase(N_("Reading the app: its manifest, signatures and code.")))
        analysis = checker.analyser().analyse_path(saved.path)
        report = report_from_apks([analysis], created_at=now, feed=provenance)
    elif kind is FileKind.ANDROID:
        report = _android(saved, checker, progress, now)
    else:
        report = _capture(saved, checker, progress, now)
    return _named(report, saved)


def _android(saved: SavedFile, checker: Checker, progress: Progress, now: datetime) -> Report:
    progress.step(Phrase(N_("Reading the phone's data.")), 0.1)
    acquisition = load_acquisition(saved.path)
    pulled = len(acquisition.apk_files)
    apps = len(acquisition.packages.value or ())
    if pulled:
        text = N_(
            "Checking {apps} apps and the phone's settings, and analysing {pulled} app files."
        )
    else:
        text = N_("Checking {apps} apps and the phone's settings.")
    progress.step(Phrase.of(text, apps=apps, pulled=pulled), 0.3)
    analyser = checker.analyser() if pulled else None
    result = check_acquisition(acquisition, checker.index, analyser=analyser)
    return report_from_android(
        result, created_at=now, feed=checker.feed.provenance, files=acquisition.file_hashes
    )


def _capture(saved: SavedFile, checker: Checker, progress: Progress, now: datetime) -> Report:
    total = max(saved.size, 1)
    done = 0

    def read(count: int) -> None:
        nonlocal done
        done += count
        progress.step(Phrase(N_("Reading the network capture.")), done / total)

    read(0)
    result = check_capture(
        saved.path,
        checker.index,
        allowlist=checker.allowlist(),
        allowlist_label=ALLOWLIST_LABEL,
        progress=read,
        jobs=default_jobs(),
    )
    return report_from_network([result], created_at=now, feed=checker.feed.provenance)


def _named(report: Report, saved: SavedFile) -> Report:
    """Name the file as the person chose it, not by the app's private copy."""
    return renamed(report, saved.path, saved.name)


def renamed(report: Report, private: Path, shown: str) -> Report:
    """``report`` with every mention of the private path ``private`` said as ``shown``.

    The app keeps uploads and acquisitions under a random temporary name; that
    name means nothing to the person and should not end up in a report they keep.
    """
    text = report_json(report)
    quoted = json.dumps(str(private))[1:-1]
    return load_report(text.replace(quoted, json.dumps(shown)[1:-1]), source="the report")


__all__ = ["Checker", "renamed", "run_check"]
