"""A report from APK analyses (``unstalk scan apk --format json|jsonl``), one for all files.

Each analysed file becomes an app with its verdict; a stalkerware, watchware or
suspicious verdict is also a finding, with the indicator matches and the
criteria evidence behind it. A file that could not be analysed is listed under
what could not be checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from pydantic import Field

from unstalk import __version__
from unstalk.apk.analyse import ApkAnalysis
from unstalk.apk.result_json import analysis_dict
from unstalk.feed.model import Provenance, provenance_summary
from unstalk.models import Severity
from unstalk.report.build import (
    FeedInput,
    Input,
    feed_info,
    finding,
    ordered,
    outcome,
    summarise,
    validated,
)
from unstalk.report.check_texts import APK_TITLES, CHECKED_APK, UNREADABLE
from unstalk.report.i18n import translator
from unstalk.report.model import (
    AppSummary,
    AppVerdict,
    Evidence,
    EvidenceKind,
    Kind,
    NotCheckedItem,
    Report,
    ReportFinding,
)
from unstalk.report.texts import headline

SCHEMA = "unstalk.apk-analysis/1"
_SEVERITY = {
    AppVerdict.STALKERWARE: Severity.CRITICAL,
    AppVerdict.WATCHWARE: Severity.LOW,
    AppVerdict.SUSPICIOUS: Severity.MEDIUM,
}


class _Match(Input):
    family: str
    family_type: str = ""
    kind: str
    indicator: str | None = None
    observed: str = ""
    source: str = ""


class _CriterionEvidence(Input):
    kind: str
    value: str
    source: str = ""


class _Criterion(Input):
    id: str
    status: str
    evidence: list[_CriterionEvidence] = Field(default_factory=list)


class _Family(Input):
    name: str
    type: str = ""
    decisive: bool = False


class _Verdict(Input):
    verdict: AppVerdict
    summary: str = ""
    criteria: list[_Criterion] = Field(default_factory=list)
    families: list[_Family] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class _Hashes(Input):
    sha256: str | None = None


class ApkResultInput(Input):
    schema_id: Literal["unstalk.apk-analysis/1"] = Field(alias="schema")
    path: str
    status: Literal["analysed", "error"]
    error: str = ""
    verdict: _Verdict | None = None
    package: str | None = None
    label: str | None = None
    version_name: str | None = None
    hashes: _Hashes = Field(default_factory=_Hashes)
    matches: list[_Match] = Field(default_factory=list)
    not_checked: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


class ApkRunInput(Input):
    results: list[ApkResultInput]
    feed: FeedInput | None = None


def report_from_apk_json(data: object, *, created_at: datetime) -> Report:
    """The report of ``unstalk scan apk``'s JSON: a list of results (or one)."""
    if isinstance(data, dict) and "results" not in data:
        data = [data]
    if isinstance(data, list):
        data = {"results": data}
    run = validated(ApkRunInput, data, "APK analysis")
    analysed = [r for r in run.results if r.status == "analysed" and r.verdict is not None]
    apps = tuple(_app(r, r.verdict) for r in analysed if r.verdict is not None)
    findings = ordered(f for r in analysed for f in _findings(r))
    not_checked = tuple(item for r in run.results for item in _not_checked(r))
    summary = summarise(
        findings,
        (fam for a in apps if a.verdict is AppVerdict.STALKERWARE for fam in a.families[:1]),
        (fam for a in apps if a.verdict is AppVerdict.WATCHWARE for fam in a.families[:1]),
    )
    result = outcome(summary, not_checked)
    notes = (note for r in analysed if r.verdict for note in r.verdict.notes)
    return Report(
        kind=Kind.APK,
        subject=", ".join(r.path for r in run.results),
        created_at=created_at,
        tool_version=__version__,
        source_schema=SCHEMA,
        feed=feed_info(run.feed),
        outcome=result,
        headline=headline(result, summary, translator("en")),
        summary=summary,
        findings=findings,
        checked=tuple(CHECKED_APK.format(path=r.path) for r in analysed),
        not_checked=not_checked,
        limits=tuple(dict.fromkeys(notes)),
        apps=apps,
    )


def report_from_apks(
    analyses: list[ApkAnalysis], *, created_at: datetime, feed: Provenance | None = None
) -> Report:
    """The report of typed analyses (what ``unstalk scan apk`` computes)."""
    data = {
        "feed": provenance_summary(feed),
        "results": [analysis_dict(a) for a in analyses],
    }
    return report_from_apk_json(data, created_at=created_at)


def _app(result: ApkResultInput, verdict: _Verdict) -> AppSummary:
    return AppSummary(
        id=result.package or result.path,
        name=result.label,
        version=result.version_name,
        verdict=verdict.verdict,
        summary=verdict.summary,
        families=tuple(f.name for f in sorted(verdict.families, key=lambda f: not f.decisive)),
        source=result.path,
        sha256=result.hashes.sha256,
    )


def _findings(result: ApkResultInput) -> Iterator[ReportFinding]:
    verdict = result.verdict
    if verdict is None or verdict.verdict not in _SEVERITY:
        return
    family = next((f.name for f in verdict.families if f.decisive), None)
    params = {"family": family} if family else {}
    title = APK_TITLES[verdict.verdict.value]
    if "{family}" in title and not family:
        title = APK_TITLES["suspicious"]
    yield finding(
        f"apk.{verdict.verdict.value}",
        _SEVERITY[verdict.verdict],
        title.format(**params),
        verdict.summary,
        _evidence(result),
        subject=result.package or result.path,
        params=params,
    )


def _evidence(result: ApkResultInput) -> Iterator[Evidence]:
    for match in result.matches:
        yield Evidence(
            kind=EvidenceKind.INDICATOR,
            value=match.observed,
            source=match.source,
            location=match.kind,
            indicator=match.indicator,
            family=match.family,
        )
    verdict = result.verdict
    for criterion in verdict.criteria if verdict else ():
        if criterion.status == "not_met":
            continue
        for item in criterion.evidence:
            if item.kind != "indicator":
                yield Evidence(
                    kind=EvidenceKind.FEATURE,
                    value=item.value,
                    source=item.source,
                    location=f"{criterion.id}: {item.kind}",
                )


def _not_checked(result: ApkResultInput) -> Iterator[NotCheckedItem]:
    if result.status == "error":
        yield NotCheckedItem(
            part=result.path,
            reason=UNREADABLE.format(reason=result.error),
            source=result.path,
            complete_miss=True,
        )
        return
    for reason in (*result.not_checked, *result.problems):
        yield NotCheckedItem(part=result.path, reason=reason, source=result.path)
