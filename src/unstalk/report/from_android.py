"""A report from an Android check (``unstalk check android --format json``, schema
``unstalk.android-check/1``), or straight from an :class:`AndroidCheckResult`.

The typed result goes through :func:`unstalk.android.check.result_dict` first, so
both paths give the same report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import Field

from unstalk import __version__
from unstalk.android.check import AndroidCheckResult, result_dict
from unstalk.feed.model import Provenance, provenance_summary
from unstalk.models import Severity
from unstalk.report.build import (
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
from unstalk.report.check_texts import CHECKED_APPS, CHECKED_DEVICE
from unstalk.report.i18n import translator
from unstalk.report.model import (
    AcquisitionInfo,
    AppSummary,
    AppVerdict,
    Evidence,
    EvidenceKind,
    Kind,
    Report,
    ReportFinding,
)
from unstalk.report.texts import headline

SCHEMA = "unstalk.android-check/1"
_STALKERWARE_TITLE = re.compile(r"Known stalkerware \((?P<family>.+)\)")
_WATCHWARE_TITLE = re.compile(r"Known monitoring app \(watchware, (?P<family>.+)\)")


class _Finding(Input):
    id: str
    severity: Severity
    package: str | None = None
    title: str
    explanation: str = ""
    evidence: list[PartEvidence] = Field(default_factory=list)


class _Family(Input):
    name: str
    type: str = ""


class _Verdict(Input):
    verdict: AppVerdict
    summary: str = ""
    families: list[_Family] = Field(default_factory=list)


class _App(Input):
    package: str
    label: str | None = None
    version_name: str | None = None
    install_source: str | None = None
    verdict: _Verdict
    findings: list[_Finding] = Field(default_factory=list)


class _Device(Input):
    model: str | None = None
    manufacturer: str | None = None
    android_version: str | None = None


class AndroidCheckInput(Input):
    schema_id: Literal["unstalk.android-check/1"] = Field(alias="schema")
    source: str = ""
    format: str | None = None
    found: bool = False
    acquired_at: datetime | None = None
    device: _Device | None = None
    device_findings: list[_Finding] = Field(default_factory=list)
    apps: list[_App] = Field(default_factory=list)
    not_checked: list[NotCheckedInput] = Field(default_factory=list)
    limits: list[str] = Field(default_factory=list)
    feed: FeedInput | None = None


def report_from_android_json(
    data: object, *, created_at: datetime, files: Mapping[str, str] | None = None
) -> Report:
    """The report of an Android check's JSON; ``files`` are the acquisition's SHA-256 by path."""
    check = validated(AndroidCheckInput, data, "Android check")
    findings = ordered(
        _finding(f) for f in (*check.device_findings, *(f for a in check.apps for f in a.findings))
    )
    apps = tuple(_app(a) for a in check.apps)
    not_checked = tuple(not_checked_item(n) for n in check.not_checked)
    summary = summarise(
        findings,
        (_named(a) for a in apps if a.verdict is AppVerdict.STALKERWARE),
        (_named(a) for a in apps if a.verdict is AppVerdict.WATCHWARE),
    )
    result = outcome(summary, not_checked)
    return Report(
        kind=Kind.ANDROID,
        subject=_subject(check.device),
        created_at=created_at,
        tool_version=__version__,
        source_schema=SCHEMA,
        feed=feed_info(check.feed),
        outcome=result,
        headline=headline(result, summary, translator("en")),
        summary=summary,
        findings=findings,
        checked=(CHECKED_APPS.format(apps=len(apps)), CHECKED_DEVICE),
        not_checked=not_checked,
        limits=tuple(check.limits),
        apps=apps,
        acquisition=AcquisitionInfo(
            source=check.source,
            format=check.format,
            acquired_at=check.acquired_at,
            files=dict(files or {}),
        ),
    )


def report_from_android(
    result: AndroidCheckResult,
    *,
    created_at: datetime,
    feed: Provenance | None = None,
    files: Mapping[str, str] | None = None,
) -> Report:
    """The report of a typed Android check result (what ``unstalk check android`` computes)."""
    data: dict[str, object] = dict(result_dict(result))
    data["feed"] = provenance_summary(feed)
    return report_from_android_json(data, created_at=created_at, files=files)


def _named(app: AppSummary) -> str:
    return f"{app.families[0]} ({app.id})" if app.families else app.id


def _subject(device: _Device | None) -> str:
    if device is None:
        return "Android phone"
    name = " ".join(p for p in (device.manufacturer, device.model) if p) or "Android phone"
    return f"{name} (Android {device.android_version})" if device.android_version else name


def _finding(found: _Finding) -> ReportFinding:
    title = found.title.removesuffix(f": {found.package}") if found.package else found.title
    code, params = found.id, {}
    if found.id == "android.app.feed-match":
        watchware = _WATCHWARE_TITLE.fullmatch(title)
        if watchware:
            code, params = "android.app.watchware-match", watchware.groupdict()
        elif stalkerware := _STALKERWARE_TITLE.fullmatch(title):
            params = stalkerware.groupdict()
    return finding(
        code,
        found.severity,
        title,
        found.explanation,
        (_evidence(e) for e in found.evidence),
        subject=found.package,
        params=params,
    )


def _evidence(item: PartEvidence) -> Evidence:
    if item.part == "feed":
        kind, _, value = item.value.partition(" ")
        return Evidence(
            kind=EvidenceKind.INDICATOR,
            value=value or item.value,
            source=item.source,
            location=kind,
            indicator=value or item.value,
        )
    return Evidence(
        kind=EvidenceKind.OBSERVATION, value=item.value, source=item.source, location=item.part
    )


def _app(app: _App) -> AppSummary:
    return AppSummary(
        id=app.package,
        name=app.label,
        version=app.version_name,
        verdict=app.verdict.verdict,
        summary=app.verdict.summary,
        families=tuple(f.name for f in app.verdict.families),
        installed_from=app.install_source,
    )
