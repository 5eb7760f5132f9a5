"""A report from an iPhone check (``unstalk check ios --format json``, schema
``unstalk.ios-check/1``), or straight from an :class:`IosCheckResult`.

The typed result goes through :func:`unstalk.ios.check.result_dict` first, so
both paths give the same report. An app's verdict comes from the feed
(stalkerware, watchware) or from a high finding about it (installed with a
developer or enterprise certificate, a jailbreak tool): suspicious. A part the
backup does not hold at all (status ``not-recorded``, such as Wi-Fi sync in
recent backups) is listed as not checked but does not make the report
incomplete; a part that was missing or could not be read does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import Field

from unstalk import __version__
from unstalk.feed.model import Provenance, provenance_summary
from unstalk.ios.check import IosCheckResult, result_dict
from unstalk.models import Severity
from unstalk.report.build import (
    URGENT,
    FeedInput,
    Input,
    NotCheckedInput,
    PartEvidence,
    feed_info,
    finding,
    not_checked_item,
    ordered,
    outcome,
    summarise,
    validated,
)
from unstalk.report.i18n import translator
from unstalk.report.ios_texts import CHECKED_IOS_APPS, CHECKED_IOS_DEVICE
from unstalk.report.model import (
    AcquisitionInfo,
    AppSummary,
    AppVerdict,
    ChecklistItem,
    Evidence,
    EvidenceKind,
    Kind,
    Report,
    ReportFinding,
)
from unstalk.report.texts import headline, names_in

SCHEMA = "unstalk.ios-check/1"
_WATCHWARE_TITLE = re.compile(r"Known monitoring app \(watchware, .+\)")
_FEED_VALUE = re.compile(r"(?P<kind>\S+) (?P<value>.+) \((?P<family>.+), (?P<type>[\w-]+)\)")


class _Finding(Input):
    id: str
    severity: Severity
    app: str | None = None
    title: str
    explanation: str = ""
    evidence: list[PartEvidence] = Field(default_factory=list)


class _FeedMatch(Input):
    family: str
    type: str = ""


class _App(Input):
    bundle_id: str
    name: str | None = None
    version: str | None = None
    short_version: str | None = None
    origin: str | None = None
    source: str | None = None
    feed: list[_FeedMatch] = Field(default_factory=list)


class _Device(Input):
    product_type: str | None = None
    ios_version: str | None = None
    last_backup: datetime | None = None


class _ChecklistItem(Input):
    id: str
    title: str
    how: str = ""


class IosCheckInput(Input):
    schema_id: Literal["unstalk.ios-check/1"] = Field(alias="schema")
    source: str = ""
    kind: str | None = None
    device: _Device | None = None
    findings: list[_Finding] = Field(default_factory=list)
    apps: list[_App] = Field(default_factory=list)
    not_checked: list[NotCheckedInput] = Field(default_factory=list)
    limits: list[str] = Field(default_factory=list)
    checklist: list[_ChecklistItem] = Field(default_factory=list)
    feed: FeedInput | None = None
    files: dict[str, str] = Field(default_factory=dict)


def report_from_ios_json(
    data: object, *, created_at: datetime, files: Mapping[str, str] | None = None
) -> Report:
    """The report of an iPhone check's JSON; ``files`` (SHA-256 by path) replace its own."""
    check = validated(IosCheckInput, data, "iPhone check")
    labels = {a.bundle_id: _label(a) for a in check.apps}
    findings = ordered(_finding(f, labels) for f in check.findings)
    apps = tuple(_app(a, findings) for a in check.apps)
    not_checked = tuple(not_checked_item(n) for n in check.not_checked)
    summary = summarise(
        findings,
        (_named(a) for a in apps if a.verdict is AppVerdict.STALKERWARE),
        (_named(a) for a in apps if a.verdict is AppVerdict.WATCHWARE),
    )
    result = outcome(summary, not_checked)
    device = check.device
    return Report(
        kind=Kind.IOS,
        subject=_subject(device),
        created_at=created_at,
        tool_version=__version__,
        source_schema=SCHEMA,
        feed=feed_info(check.feed),
        outcome=result,
        headline=headline(result, summary, translator("en")),
        summary=summary,
        findings=findings,
        checked=(CHECKED_IOS_APPS.format(apps=len(apps)), CHECKED_IOS_DEVICE),
        not_checked=not_checked,
        limits=tuple(check.limits),
        checklist=tuple(
            ChecklistItem(id=c.id, title=c.title, how=(c.how,)) for c in check.checklist
        ),
        apps=apps,
        acquisition=AcquisitionInfo(
            source=check.source,
            format=check.kind,
            acquired_at=device.last_backup if device else None,
            files=dict(check.files if files is None else files),
        ),
    )


def report_from_ios(
    result: IosCheckResult,
    *,
    created_at: datetime,
    feed: Provenance | None = None,
    files: Mapping[str, str] | None = None,
) -> Report:
    """The report of a typed iPhone check result (what ``unstalk check ios`` computes)."""
    data: dict[str, object] = dict(result_dict(result))
    data["feed"] = provenance_summary(feed)
    return report_from_ios_json(data, created_at=created_at, files=files)


def _label(app: _App) -> str:
    """The app as the check's titles name it (see :attr:`unstalk.ios.detect.AppFacts.label`)."""
    if app.name and app.name != app.bundle_id:
        return f"{app.name} ({app.bundle_id})"
    return app.bundle_id


def _named(app: AppSummary) -> str:
    return f"{app.families[0]} ({app.id})" if app.families else app.id


def _subject(device: _Device | None) -> str:
    model = device.product_type if device else None
    name = f"Apple {model}" if model else "iPhone"
    version = device.ios_version if device else None
    return f"{name} (iOS {version})" if version else name


def _finding(found: _Finding, labels: Mapping[str, str]) -> ReportFinding:
    title = found.title
    if found.app:
        title = title.removesuffix(f": {labels.get(found.app, found.app)}")
    code = found.id
    if code == "ios.app.feed-match" and _WATCHWARE_TITLE.fullmatch(title):
        code = "ios.app.watchware-match"
    return finding(
        code,
        found.severity,
        title,
        found.explanation,
        (_evidence(e) for e in found.evidence),
        subject=found.app,
        params={**names_in(found.explanation), **names_in(title)},
    )


def _evidence(item: PartEvidence) -> Evidence:
    listed = _FEED_VALUE.fullmatch(item.value) if item.part == "feed" else None
    if listed is not None:
        return Evidence(
            kind=EvidenceKind.INDICATOR,
            value=listed["value"],
            source=item.source,
            location=listed["kind"],
            indicator=listed["value"],
            family=listed["family"],
        )
    return Evidence(
        kind=EvidenceKind.OBSERVATION, value=item.value, source=item.source, location=item.part
    )


def _verdict(app: _App, findings: tuple[ReportFinding, ...]) -> tuple[AppVerdict, str]:
    types = {m.type for m in app.feed}
    about = [f for f in findings if f.subject == app.bundle_id]
    reason = about[0].title if about else ""
    if "stalkerware" in types:
        return AppVerdict.STALKERWARE, reason
    if "watchware" in types:
        return AppVerdict.WATCHWARE, reason
    if any(f.severity in URGENT for f in about):
        return AppVerdict.SUSPICIOUS, reason
    return AppVerdict.NO_EVIDENCE, ""


def _app(app: _App, findings: tuple[ReportFinding, ...]) -> AppSummary:
    verdict, reason = _verdict(app, findings)
    return AppSummary(
        id=app.bundle_id,
        name=app.name,
        version=app.short_version or app.version,
        verdict=verdict,
        summary=reason,
        families=tuple(dict.fromkeys(m.family for m in app.feed)),
        installed_from=app.origin,
        source=app.source,
    )
