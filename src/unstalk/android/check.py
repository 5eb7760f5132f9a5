"""Check one parsed acquisition: a verdict per app, findings, and what could not be checked.

:func:`check_acquisition` runs the app checks (:mod:`unstalk.android.checks_app`)
and the device checks (:mod:`unstalk.android.checks_device`), and asks the
criteria engine for a verdict on every app: from the app's pulled APK when there
is one (its real manifest and code, plus what the phone says), else from the
device facts alone (see :mod:`unstalk.android.detect`). :func:`result_dict` gives
the JSON shape (``schema`` names its version; fields are only ever added within a
version).

Every part of the acquisition that was not read in full is listed with its
reason: "could not check" never reads as "nothing found".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path, PurePosixPath

from unstalk.android.checks_app import CHECKS as APP_CHECKS
from unstalk.android.checks_app import DISABLED_APP_CHECKS
from unstalk.android.checks_device import CHECKS as DEVICE_CHECKS
from unstalk.android.checks_device import DeviceFacts
from unstalk.android.detect import (
    AndroidFinding,
    AppFacts,
    acquisition_time,
    device_capabilities,
    device_manifest,
    gather_apps,
)
from unstalk.android.importers._archive import AcquisitionFileError, open_archive
from unstalk.android.model import Acquisition, DeviceInfo, Parsed, ParseStatus
from unstalk.apk.analyse import MAX_APK_BYTES, Analyser, ApkAnalysis, error_reason
from unstalk.apk.result_json import JsonValue, plain, verdict_dict
from unstalk.criteria.engine import evaluate
from unstalk.criteria.model import Verdict, VerdictKind
from unstalk.errors import ApkError
from unstalk.feed.index import FeedIndex
from unstalk.models import Severity

SCHEMA = "unstalk.android-check/1"
NOTHING_FOUND = "No known stalkerware found by these checks."
URGENT = frozenset({Severity.CRITICAL, Severity.HIGH})

LIMITS = (
    "Indicators only know stalkerware that researchers have already found and listed; a new "
    "or renamed app is not in the feed.",
    "The checks read what Android reports about apps and settings: they cannot see inside "
    "apps that were not pulled, what an app has already sent away, or monitoring done "
    "through accounts (a shared Google or iCloud account, a linked messaging app).",
    "A phone with root access can hide apps and settings from these checks.",
)


@dataclass(frozen=True, slots=True)
class AppResult:
    """One app: its facts, the criteria verdict and the findings about it."""

    facts: AppFacts
    verdict: Verdict
    findings: tuple[AndroidFinding, ...]
    analysis: ApkAnalysis | None = None
    """The pulled APK's analysis, when there was one."""


@dataclass(frozen=True, slots=True)
class NotChecked:
    """A part of the acquisition that was not read in full, and why."""

    part: str
    source: str
    status: str
    """A :class:`ParseStatus` value, or ``not-analysed`` for a pulled APK."""
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AndroidCheckResult:
    """Everything one check of one acquisition found, and what it could not see."""

    source: str
    format: str
    device: DeviceInfo | None
    at: datetime | None
    """When the acquisition was made, as far as known; recency is judged from it."""
    apps: tuple[AppResult, ...]
    device_findings: tuple[AndroidFinding, ...]
    not_checked: tuple[NotChecked, ...]
    limits: tuple[str, ...]

    @property
    def findings(self) -> tuple[AndroidFinding, ...]:
        """Every finding, most severe first (device findings first within a severity)."""
        every = [*self.device_findings, *(f for app in self.apps for f in app.findings)]
        return tuple(sorted(every, key=lambda f: f.severity.rank))

    @property
    def stalkerware(self) -> tuple[AppResult, ...]:
        return tuple(a for a in self.apps if a.verdict.verdict is VerdictKind.STALKERWARE)

    @property
    def found(self) -> bool:
        """A stalkerware verdict, or a critical or high finding."""
        return bool(self.stalkerware) or any(f.severity in URGENT for f in self.findings)

    @property
    def incomplete(self) -> bool:
        """A whole part could not be read (missing or in a format unstalk does not know)."""
        return any(n.status in _UNREAD for n in self.not_checked)

    @property
    def headline(self) -> str:
        """One sentence for the top of a report; never says the phone is clean."""
        if self.stalkerware:
            return f"Known stalkerware found: {_names([a.facts.name for a in self.stalkerware])}."
        urgent = sum(1 for f in self.findings if f.severity in URGENT)
        if urgent:
            return f"{NOTHING_FOUND} But {urgent} finding(s) need a closer look."
        watchware = [a.facts.name for a in self.apps if a.verdict.verdict is VerdictKind.WATCHWARE]
        if watchware:
            return f"{NOTHING_FOUND} Known monitoring apps (watchware): {_names(watchware)}."
        return NOTHING_FOUND


HEADLINE_NAMES = 5
"""At most this many app names in the headline; the rest are counted."""


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:HEADLINE_NAMES])
    more = len(names) - HEADLINE_NAMES
    return f"{shown} and {more} more" if more > 0 else shown


_UNREAD = frozenset({ParseStatus.UNPARSED.value, ParseStatus.MISSING.value})


def check_acquisition(
    acquisition: Acquisition,
    index: FeedIndex,
    *,
    analyser: Analyser | None = None,
    at: datetime | None = None,
) -> AndroidCheckResult:
    """Check ``acquisition`` against ``index``; pulled APKs are analysed when ``analyser`` is given.

    ``at`` is when the acquisition was made; without it, the latest time the phone
    itself recorded stands in (see :func:`unstalk.android.detect.acquisition_time`).
    """
    moment = at if at is not None else acquisition_time(acquisition)
    analyses, failed = _analyse_apks(acquisition, analyser)
    labels = {p: a.profile.manifest.label for p, a in analyses.items() if a.profile.manifest.label}
    apps = gather_apps(acquisition, index, at=moment, labels=labels)
    results = tuple(_app_result(facts, analyses.get(facts.name)) for facts in apps)
    device = DeviceFacts(acquisition, moment, apps)
    device_findings = tuple(f for check in DEVICE_CHECKS for f in check(device))
    return AndroidCheckResult(
        source=acquisition.source,
        format=acquisition.format,
        device=acquisition.device.value,
        at=moment,
        apps=results,
        device_findings=tuple(sorted(device_findings, key=lambda f: f.severity.rank)),
        not_checked=(*_unread_parts(acquisition), *failed),
        limits=(*LIMITS, *_limits(acquisition, analyser, moment)),
    )


def _app_result(facts: AppFacts, analysis: ApkAnalysis | None) -> AppResult:
    checks = APP_CHECKS if facts.app.enabled else DISABLED_APP_CHECKS
    findings = sorted((f for check in checks for f in check(facts)), key=lambda f: f.severity.rank)
    capabilities = device_capabilities(facts)
    if analysis is None:
        verdict = evaluate(
            capabilities=capabilities, feed_matches=facts.matches, manifest=device_manifest(facts)
        )
    else:
        verdict = evaluate(
            capabilities=(*analysis.capabilities, *capabilities),
            feed_matches=tuple(dict.fromkeys((*analysis.matches, *facts.matches))),
            manifest=analysis.profile.manifest,
        )
    return AppResult(facts, verdict, tuple(findings), analysis)


_PARTS = (
    "device",
    "packages",
    "accessibility",
    "device_admins",
    "notification_listeners",
    "appops",
    "settings",
    "launcher_packages",
    "root_indicators",
)


def _unread_parts(acquisition: Acquisition) -> Iterator[NotChecked]:
    for name in _PARTS:
        part: Parsed[object] = getattr(acquisition, name)
        if part.status is not ParseStatus.OK:
            yield NotChecked(name, part.source, part.status.value, part.problems)
    if acquisition.integrity:
        yield NotChecked("integrity", acquisition.source, "partial", acquisition.integrity)


def _limits(
    acquisition: Acquisition, analyser: Analyser | None, at: datetime | None
) -> Iterator[str]:
    apps = acquisition.packages.value or ()
    if not any(app.cert_sha256 or app.cert_sha1 for app in apps):
        yield (
            "Signing certificates were not compared with the feed: this acquisition does not "
            "carry them (pull the APKs, or import an AndroidQF acquisition)."
        )
    if not acquisition.apk_files:
        yield (
            "No APK was pulled, so the apps' code was not analysed; verdicts rest on what the "
            "phone reports (use --pull-apks to analyse third-party apps)."
        )
    elif analyser is None:
        yield "The pulled APKs were matched by file hash only; their code was not analysed."
    if at is None:
        yield "When the acquisition was made is unknown, so recent app activity was not checked."


# Pulled APKs ----------------------------------------------------------------------------------


def _analyse_apks(
    acquisition: Acquisition, analyser: Analyser | None
) -> tuple[dict[str, ApkAnalysis], list[NotChecked]]:
    analyses: dict[str, ApkAnalysis] = {}
    failed: list[NotChecked] = []
    if analyser is None or not acquisition.apk_files:
        return analyses, failed
    try:
        archive = open_archive(Path(acquisition.source))
    except (AcquisitionFileError, OSError) as e:
        reason = e.message if isinstance(e, AcquisitionFileError) else str(e)
        return analyses, [NotChecked("apks", acquisition.source, "not-analysed", (reason,))]
    try:
        for package, path in _main_apks(acquisition.apk_files):
            try:
                data = archive.read(path, MAX_APK_BYTES)
                analyses[package] = analyser.analyse_bytes(data, path=path)
            except (ApkError, AcquisitionFileError, OSError, KeyError) as e:
                reason = error_reason(e) if isinstance(e, ApkError) else _reason(e)
                failed.append(NotChecked(f"apk:{package}", path, "not-analysed", (reason,)))
    finally:
        archive.close()
    return analyses, failed


def _reason(error: Exception) -> str:
    if isinstance(error, AcquisitionFileError):
        return error.message
    return f"the file cannot be read from the acquisition ({error})"


def _main_apks(files: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """One APK per package: ``base.apk`` when the app is split, else its only file."""
    chosen: dict[str, str] = {}
    for package, path in files:
        if package not in chosen or PurePosixPath(path).name == "base.apk":
            chosen[package] = path
    yield from chosen.items()


# JSON -----------------------------------------------------------------------------------------


def finding_dict(finding: AndroidFinding) -> dict[str, JsonValue]:
    return {
        "id": finding.id,
        "severity": finding.severity.value,
        "package": finding.package,
        "title": finding.title,
        "explanation": finding.explanation,
        "evidence": [
            {"source": e.source, "part": e.part, "value": e.value} for e in finding.evidence
        ],
    }


def _app_dict(result: AppResult) -> dict[str, JsonValue]:
    app = result.facts.app
    return {
        "package": app.name,
        "label": result.facts.label,
        "version_name": app.version_name,
        "version_code": app.version_code,
        "installer": app.installer,
        "install_source": result.facts.source.value,
        "system": app.system,
        "enabled": app.enabled,
        "first_install": plain(app.first_install),
        "apk_analysed": result.analysis is not None,
        "verdict": verdict_dict(result.verdict),
        "findings": [finding_dict(f) for f in result.findings],
    }


def _device_dict(device: DeviceInfo | None) -> JsonValue:
    """The device facts; the full property list stays in the acquisition (it holds serials)."""
    if device is None:
        return None
    return {
        f.name: plain(getattr(device, f.name)) for f in fields(device) if f.name != "properties"
    }


def result_dict(result: AndroidCheckResult) -> dict[str, JsonValue]:
    """The JSON shape of a check; docs/android.md describes every field."""
    return {
        "schema": SCHEMA,
        "source": result.source,
        "format": result.format,
        "headline": result.headline,
        "found": result.found,
        "incomplete": result.incomplete,
        "acquired_at": plain(result.at),
        "device": _device_dict(result.device),
        "device_findings": [finding_dict(f) for f in result.device_findings],
        "apps": [_app_dict(a) for a in result.apps],
        "not_checked": [
            {"part": n.part, "source": n.source, "status": n.status, "reasons": list(n.reasons)}
            for n in result.not_checked
        ],
        "limits": list(result.limits),
    }
