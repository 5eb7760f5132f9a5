"""The result model every check's report shares (schema ``unstalk.report/1``).

A :class:`Report` says what was checked, what was found (each
:class:`ReportFinding` with its evidence and what it means for the person), what
could not be checked and why, the limits of the checks, and which tool and feed
versions produced it. The same model is the JSON written to disk, the input of
the HTML, text and PDF renderers, and the body of the web apps' answers.

Texts stored here are English, as the checks wrote them. A finding also carries
its ``code`` (which check made it) and ``params`` (the names in its sentences),
so a renderer can say it again in another language (see
:mod:`unstalk.report.texts`). Fields are only ever added within a schema version;
docs/reports.md describes every one.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from unstalk.errors import ReportError
from unstalk.models import Severity

SCHEMA = "unstalk.report/1"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Kind(StrEnum):
    """Which check a report comes from."""

    APK = "apk"
    ANDROID = "android"
    IOS = "ios"
    NETWORK = "network"


class Outcome(StrEnum):
    """The report's answer in one word; there is deliberately no "clean"."""

    FOUND = "found"
    """Known stalkerware, or a finding that needs attention soon (critical or high)."""
    NOTHING_FOUND = "nothing-found"
    """No known stalkerware found by these checks; never a statement that a device is safe."""
    INCOMPLETE = "incomplete"
    """Nothing found, but a part could not be checked at all: the answer is not complete."""


class EvidenceKind(StrEnum):
    INDICATOR = "indicator"
    """A feed indicator matched (package name, certificate, domain, hash ...)."""
    FEATURE = "feature"
    """Something the app can do, read from its manifest or code."""
    OBSERVATION = "observation"
    """A fact read from the device or the traffic (a setting, a connection, a permission)."""


class Evidence(_Model):
    """One fact a finding rests on, and where to find it again."""

    kind: EvidenceKind
    value: str
    """The fact itself, as read: ``adb_enabled=1``, ``dns-query x.copy9.com``."""
    source: str = ""
    """The file it was read from (an acquisition file, a capture, a feed file, a dex)."""
    location: str = ""
    """Where inside the source: a part name, a frame number, a connection."""
    indicator: str | None = None
    """For an indicator match: the listed value (it may be a parent of what was seen)."""
    family: str | None = None
    """For an indicator match: the stalkerware or watchware family the indicator belongs to."""


class ReportFinding(_Model):
    """Something the person should know about, with what it means and what to do."""

    id: str
    """Unique within the report: ``code`` plus its subject."""
    code: str
    """Which check made it (``android.app.accessibility``, ``network.beaconing``)."""
    severity: Severity
    title: str
    explanation: str
    """What was seen and why it matters, in plain words."""
    meaning: str = ""
    """What it means for the person whose device it is."""
    do: tuple[str, ...] = ()
    """What to do, in order."""
    dont: tuple[str, ...] = ()
    """What not to do (often: do not remove it before making a safety plan)."""
    evidence: tuple[Evidence, ...] = ()
    subject: str | None = None
    """The app (package name, bundle id) or host it is about; ``None`` for the whole device."""
    time: datetime | None = None
    """When it happened, when known (first sighting, last use)."""
    params: dict[str, str] = Field(default_factory=dict)
    """The names inside ``title`` and ``explanation``, so they can be said in another language."""


class NotCheckedItem(_Model):
    """A part that could not be checked (in full), and why: never the same as nothing found."""

    part: str
    reason: str
    source: str = ""
    complete_miss: bool = False
    """True when nothing at all could be read from the part (then the outcome is incomplete)."""


class ChecklistStatus(StrEnum):
    TO_CHECK = "to-check"
    """For the person or advocate to look at, with the how-to."""
    CHECKED = "checked"
    """The tool looked at it; findings, if any, are listed."""
    COULD_NOT_CHECK = "could-not-check"


class ChecklistItem(_Model):
    """A manual step (mostly for iPhones): what to look at, and how."""

    id: str
    title: str
    how: tuple[str, ...] = ()
    """The steps, in order, in the words of the phone's menus."""
    status: ChecklistStatus = ChecklistStatus.TO_CHECK
    note: str = ""


class AppVerdict(StrEnum):
    """The criteria engine's verdict on an app, plus ``not-analysed``."""

    STALKERWARE = "stalkerware"
    WATCHWARE = "watchware"
    SUSPICIOUS = "suspicious"
    NO_EVIDENCE = "no_evidence"
    """No evidence found by these checks; never a statement that the app is harmless."""
    NOT_ANALYSED = "not-analysed"


class AppSummary(_Model):
    """One app and its verdict against the coalition's criteria."""

    id: str
    """Package name or bundle id."""
    name: str | None = None
    version: str | None = None
    verdict: AppVerdict
    summary: str = ""
    """The engine's one-line reason."""
    families: tuple[str, ...] = ()
    """Families the feed lists the app under."""
    installed_from: str | None = None
    source: str | None = None
    """The file the app was read from (an APK, an acquisition part)."""
    sha256: str | None = None


class FeedInfo(_Model):
    """The indicator feed the check used."""

    name: str
    """Its format and origin: ``echap (bundled)``."""
    version: str | None = None
    sha256: str | None = None
    """Digest of the feed files, when known."""


class AcquisitionInfo(_Model):
    """Where the checked data came from and the digests of what was read."""

    source: str
    format: str | None = None
    acquired_at: datetime | None = None
    files: dict[str, str] = Field(default_factory=dict)
    """SHA-256 of every file, by path."""


class CaseInfo(_Model):
    id: str | None = None
    examiner: str | None = None


class Summary(_Model):
    """What the headline says, in data, so it can be said in any language."""

    stalkerware: tuple[str, ...] = ()
    """Names of the stalkerware found (families or apps)."""
    watchware: tuple[str, ...] = ()
    urgent: int = 0
    """Critical and high findings."""
    review: int = 0
    """Medium and low findings."""


class Report(_Model):
    """Everything one check found, could not check, and the limits of what it can tell."""

    schema_id: Literal["unstalk.report/1"] = Field(default="unstalk.report/1", alias="schema")
    kind: Kind
    subject: str
    """What was checked, in words: a phone's model, capture or APK file names."""
    created_at: datetime
    """When the report was made (UTC)."""
    tool_version: str
    source_schema: str = ""
    """The schema of the check result the report was made from, when converted."""
    feed: FeedInfo | None = None
    outcome: Outcome
    headline: str
    """One sentence in English; :attr:`summary` holds its content for other languages."""
    summary: Summary = Field(default_factory=Summary)
    findings: tuple[ReportFinding, ...] = ()
    """Most urgent first."""
    checked: tuple[str, ...] = ()
    """What was looked at, one plain sentence each."""
    not_checked: tuple[NotCheckedItem, ...] = ()
    limits: tuple[str, ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()
    apps: tuple[AppSummary, ...] = ()
    acquisition: AcquisitionInfo | None = None
    case: CaseInfo | None = None


def report_json(report: Report) -> str:
    """The report as indented JSON (the form written to disk and hashed in manifests)."""
    return report.model_dump_json(by_alias=True, indent=2) + "\n"


def report_dict(report: Report) -> dict[str, object]:
    """The report as JSON-ready values."""
    dumped: dict[str, object] = json.loads(report.model_dump_json(by_alias=True))
    return dumped


def load_report(text: str | bytes, *, source: str = "the report") -> Report:
    """Read a report written by :func:`report_json`; :class:`ReportError` when it is not one."""
    try:
        return Report.model_validate_json(text)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ReportError(
            f"{source} is not an unstalk report ({where}: {first['msg']}).",
            advice="Give the JSON file a check wrote (unstalk check ... --format json -o FILE).",
        ) from e


def json_schema() -> dict[str, object]:
    """The JSON Schema of :class:`Report`, as committed in ``schema/report-1.json``."""
    schema: dict[str, object] = Report.model_json_schema(by_alias=True, mode="serialization")
    schema["$id"] = "urn:unstalk:schema:report-1"
    schema["title"] = "unstalk report, schema unstalk.report/1"
    return schema
