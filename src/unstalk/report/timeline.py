"""A timeline of what happened, in UTC: installs, updates, last uses, findings, acquisition.

Events come from check results (:class:`~unstalk.android.check.AndroidCheckResult`,
:class:`~unstalk.netcap.check.NetworkCheckResult`), from a report
(:class:`~unstalk.report.model.Report`) or from the JSON files those write.
:func:`write_csv` writes them as CSV (RFC 4180: a header, CRLF line ends,
quotes where needed) with the columns of :data:`COLUMNS`.

Times the phone recorded without a time zone (older Android versions, or a
phone whose zone is unknown) are written without ``Z`` and marked in the
``clock`` column: they are sorted as if they were UTC, which is off by the
phone's zone at most. Android findings carry no time of their own: they are
placed at the acquisition time, the moment they were true.

Installs, updates and last uses are listed for third-party apps and for apps
with a finding or a verdict; the phone's own apps carry factory dates that
would bury the rest (``all_apps=True`` lists every app).

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula, and app names and host names come from whoever made the app: such a
cell gets a leading apostrophe (as do cells starting with a tab or a carriage
return), so it is shown as text and never run.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TextIO

from unstalk.android.check import AndroidCheckResult, AppResult
from unstalk.android.model import AppOpUse
from unstalk.criteria.model import VerdictKind
from unstalk.errors import ReportError
from unstalk.netcap.check import NetworkCheckResult
from unstalk.report.convert import report_from_bytes
from unstalk.report.model import SCHEMA as REPORT_SCHEMA
from unstalk.report.model import Report, load_report

COLUMNS = ("time_utc", "clock", "event", "subject", "detail", "severity", "source")
CLOCK_UTC = "utc"
CLOCK_UNKNOWN = "phone clock, zone unknown"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Event(StrEnum):
    ACQUISITION = "acquisition"
    CAPTURE_START = "capture-start"
    CAPTURE_END = "capture-end"
    APP_INSTALLED = "app-installed"
    APP_UPDATED = "app-updated"
    APP_LAST_USED = "app-last-used"
    FINDING = "finding"
    FIRST_SEEN = "first-seen"
    LAST_SEEN = "last-seen"
    REPORT = "report"


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    time: datetime | None
    """Aware when the zone is known; naive when the phone's zone is not."""
    event: Event
    subject: str
    detail: str = ""
    severity: str = ""
    source: str = ""

    @property
    def zone_known(self) -> bool:
        return self.time is not None and self.time.tzinfo is not None


def time_text(moment: datetime | None) -> str:
    """``2024-05-01T10:20:30.000Z``; no ``Z`` for a phone time whose zone is unknown."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        return moment.isoformat(timespec="milliseconds")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sort_key(event: TimelineEvent) -> tuple[bool, datetime, int, str]:
    """Oldest first; events of unknown time last."""
    moment = event.time or datetime.min
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return event.time is None, aware, list(Event).index(event.event), event.subject


def safe_cell(text: str) -> str:
    """The cell as text a spreadsheet shows and never runs as a formula."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def write_csv(events: Iterable[TimelineEvent], stream: TextIO) -> int:
    """Write the events sorted, with a header; returns how many were written.

    Open ``stream`` with ``newline=""`` so the CSV's CRLF line ends stay as written.
    """
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for event in sorted(events, key=sort_key):
        clock = "" if event.time is None else CLOCK_UTC if event.zone_known else CLOCK_UNKNOWN
        row = (
            time_text(event.time),
            clock,
            event.event.value,
            event.subject,
            event.detail,
            event.severity,
            event.source,
        )
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


# Android -------------------------------------------------------------------------------------


def _listed(app: AppResult, all_apps: bool) -> bool:
    return (
        all_apps
        or app.facts.app.third_party
        or bool(app.findings)
        or app.verdict.verdict is not VerdictKind.NO_EVIDENCE
    )


def android_events(
    result: AndroidCheckResult, *, all_apps: bool = False
) -> Iterator[TimelineEvent]:
    """Acquisition, app installs and updates, last uses of app-ops, and findings."""
    source = result.source
    if result.at is not None:
        yield TimelineEvent(result.at, Event.ACQUISITION, source, f"format {result.format}")
    listed = {app.facts.name: app for app in result.apps if _listed(app, all_apps)}
    for app in listed.values():
        yield from _app_events(app, app.facts.acquisition.packages.source or source)
    for app in result.apps[:1]:
        for use in app.facts.acquisition.appops.value or ():
            if use.package in listed and use.last_access is not None:
                yield _use_event(use, app.facts.acquisition.appops.source or source)
    for finding in result.findings:
        yield TimelineEvent(
            result.at,
            Event.FINDING,
            finding.package or "(the phone)",
            finding.title,
            finding.severity.value,
            ", ".join(dict.fromkeys(e.source for e in finding.evidence)) or source,
        )


def _app_events(app: AppResult, source: str) -> Iterator[TimelineEvent]:
    package = app.facts.app
    version = f"version {package.version_name}" if package.version_name else "version unknown"
    installer = package.installer or "unknown installer"
    detail = f"{version}; installed by {installer} ({app.facts.source.value})"
    verdict = app.verdict.verdict
    if verdict is not VerdictKind.NO_EVIDENCE:
        detail += f"; verdict: {verdict.value}"
    if package.first_install is not None:
        yield TimelineEvent(
            package.first_install, Event.APP_INSTALLED, package.name, detail, source=source
        )
    if package.last_update is not None and package.last_update != package.first_install:
        yield TimelineEvent(
            package.last_update, Event.APP_UPDATED, package.name, version, source=source
        )


def _use_event(use: AppOpUse, source: str) -> TimelineEvent:
    detail = f"last used {use.op} (mode {use.mode})"
    return TimelineEvent(use.last_access, Event.APP_LAST_USED, use.package, detail, source=source)


# Network -------------------------------------------------------------------------------------


def _epoch(timestamp: float | None) -> datetime | None:
    if timestamp is None:
        return None
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def network_events(result: NetworkCheckResult) -> Iterator[TimelineEvent]:
    """Start and end of the capture, and each finding's first and last sighting."""
    summary = result.summary
    path = result.path
    packets = f"{summary.packets} packets"
    start, end = _epoch(summary.first_timestamp), _epoch(summary.last_timestamp)
    yield TimelineEvent(start, Event.CAPTURE_START, path, packets, source=path)
    yield TimelineEvent(end, Event.CAPTURE_END, path, packets, source=path)
    for finding in result.findings:
        sighting = finding.evidence
        first = sighting.first
        subject = first.name or first.value
        family = f"family {finding.indicator.family}; " if finding.indicator else ""
        frame = f"frame {first.number}" if first.number is not None else "frame unknown"
        severity = finding.severity.value
        detail = f"{finding.summary} [{family}{frame}]"
        yield TimelineEvent(
            _epoch(first.timestamp), Event.FIRST_SEEN, subject, detail, severity, path
        )
        if sighting.count > 1:
            detail = f"seen {sighting.count} times [{family.removesuffix('; ') or 'no family'}]"
            yield TimelineEvent(
                _epoch(sighting.last_timestamp), Event.LAST_SEEN, subject, detail, severity, path
            )


# Report --------------------------------------------------------------------------------------


def report_events(report: Report, *, source: str = "") -> Iterator[TimelineEvent]:
    """From a report: acquisition time, findings with a time, and when the report was made."""
    acquisition = report.acquisition
    if acquisition is not None and acquisition.acquired_at is not None:
        yield TimelineEvent(
            acquisition.acquired_at,
            Event.ACQUISITION,
            acquisition.source,
            acquisition.format or "",
            source=source,
        )
    for finding in report.findings:
        if finding.time is not None:
            sources = ", ".join(dict.fromkeys(e.source for e in finding.evidence if e.source))
            yield TimelineEvent(
                finding.time,
                Event.FINDING,
                finding.subject or report.subject,
                finding.title,
                finding.severity.value,
                sources or source,
            )
    yield TimelineEvent(
        report.created_at, Event.REPORT, report.subject, report.headline, source=source
    )


# Result files --------------------------------------------------------------------------------


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _dicts(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def android_json_events(value: dict[str, object], source: str) -> Iterator[TimelineEvent]:
    """From ``unstalk.android-check/1`` JSON: acquisition, installs of listed apps, findings.

    The JSON keeps install times only; updates and last uses need the acquisition itself.
    """
    at = _parse_time(value.get("acquired_at"))
    if at is not None:
        yield TimelineEvent(at, Event.ACQUISITION, _text(value.get("source")), source=source)
    findings = _dicts(value.get("device_findings"))
    for app in _dicts(value.get("apps")):
        findings.extend(_dicts(app.get("findings")))
        verdict = app.get("verdict")
        kind = _text(verdict.get("verdict")) if isinstance(verdict, dict) else ""
        installed = _parse_time(app.get("first_install"))
        if installed is not None and (not app.get("system") or app.get("findings")):
            detail = f"installed by {_text(app.get('installer')) or 'unknown installer'}"
            if kind and kind != VerdictKind.NO_EVIDENCE.value:
                detail += f"; verdict: {kind}"
            name = _text(app.get("package"))
            yield TimelineEvent(installed, Event.APP_INSTALLED, name, detail, source=source)
    for finding in findings:
        subject = _text(finding.get("package")) or "(the phone)"
        yield TimelineEvent(
            at,
            Event.FINDING,
            subject,
            _text(finding.get("title")),
            _text(finding.get("severity")),
            source,
        )


def network_json_events(value: dict[str, object], source: str) -> Iterator[TimelineEvent]:
    """From ``unstalk.network-check/1`` JSON: the capture's span and each finding's sightings."""
    path = _text(value.get("path")) or source
    capture = value.get("capture")
    if isinstance(capture, dict):
        for key, event in (("first_time", Event.CAPTURE_START), ("last_time", Event.CAPTURE_END)):
            moment = _parse_time(capture.get(key))
            if moment is not None:
                yield TimelineEvent(moment, event, path, f"{capture.get('packets')} packets")
    for finding in _dicts(value.get("findings")):
        first = finding.get("first")
        first = first if isinstance(first, dict) else {}
        subject = _text(first.get("name")) or _text(first.get("value"))
        severity = _text(finding.get("severity"))
        summary = _text(finding.get("summary"))
        yield TimelineEvent(
            _parse_time(first.get("time")), Event.FIRST_SEEN, subject, summary, severity, path
        )
        count = finding.get("count")
        if isinstance(count, int) and count > 1:
            yield TimelineEvent(
                _parse_time(finding.get("last_time")),
                Event.LAST_SEEN,
                subject,
                f"seen {count} times",
                severity,
                path,
            )


def json_events(data: bytes, source: str) -> list[TimelineEvent]:
    """Events from a report or check JSON file; :class:`ReportError` when it is neither."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise ReportError(f"{source} is not JSON, so it is not a result unstalk wrote.") from e
    if not isinstance(value, dict):
        raise ReportError(f"{source} is not a result unstalk wrote (not a JSON object).")
    schema = value.get("schema")
    if schema == REPORT_SCHEMA:
        return list(report_events(load_report(data, source=source), source=source))
    if schema == "unstalk.android-check/1":
        return list(android_json_events(value, source))
    if schema == "unstalk.network-check/1":
        return list(network_json_events(value, source))
    runs = _dicts(value.get("results"))
    if runs and all(run.get("schema") == "unstalk.network-check/1" for run in runs):
        return [event for run in runs for event in network_json_events(run, source)]
    if schema == "unstalk.ios-check/1":
        # The iPhone check's JSON has no timeline of its own: its report gives the timed
        # findings and the backup's date.
        made = report_from_bytes(data, source=source, created_at=datetime.now(UTC))
        # Converting now is not an event of the case: leave out the report's own time.
        return [e for e in report_events(made, source=source) if e.event is not Event.REPORT]
    raise ReportError(
        f"{source} is not a report or check result this version of unstalk reads.",
        advice="Give the JSON written by 'unstalk check ... -o FILE' or a report's JSON.",
    )
