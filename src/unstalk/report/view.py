"""A report said in one language, ready for a renderer (HTML, terminal, PDF).

:func:`localise` turns a :class:`~unstalk.report.model.Report` into a
:class:`ReportView`: every sentence a :class:`~unstalk.report.texts.Said` in the
chosen language (or in English, marked so, when no translation exists), findings
grouped by severity, urgent ones first, and the general safety texts every
report carries.
"""

from __future__ import annotations

from dataclasses import dataclass

from unstalk.models import Severity
from unstalk.report.build import URGENT
from unstalk.report.i18n import Translator
from unstalk.report.model import (
    AppSummary,
    AppVerdict,
    ChecklistItem,
    Evidence,
    NotCheckedItem,
    Report,
    ReportFinding,
)
from unstalk.report.texts import (
    CHECKLIST_WORDS,
    KIND_WORDS,
    OUTCOME_WORDS,
    SEVERITY_HELP,
    SEVERITY_WORDS,
    VERDICT_WORDS,
    Said,
    headline,
    say,
)


@dataclass(frozen=True, slots=True)
class FindingView:
    anchor: str
    severity: Severity
    severity_word: str
    title: Said
    explanation: Said
    meaning: Said
    do: tuple[Said, ...]
    dont: tuple[Said, ...]
    evidence: tuple[Evidence, ...]
    subject: str | None
    time: str | None


@dataclass(frozen=True, slots=True)
class SeverityGroup:
    severity: Severity
    word: str
    help: str
    findings: tuple[FindingView, ...]


@dataclass(frozen=True, slots=True)
class AppView:
    app: AppSummary
    verdict_word: str
    summary: Said


@dataclass(frozen=True, slots=True)
class NotCheckedView:
    item: NotCheckedItem
    reason: Said


@dataclass(frozen=True, slots=True)
class ChecklistView:
    item: ChecklistItem
    title: Said
    how: tuple[Said, ...]
    status_word: str
    note: Said


@dataclass(frozen=True, slots=True)
class ReportView:
    report: Report
    lang: str
    html_lang: str
    kind_word: str
    outcome_word: str
    headline: str
    urgent: tuple[FindingView, ...]
    groups: tuple[SeverityGroup, ...]
    apps: tuple[AppView, ...]
    """Apps with a verdict other than "no evidence", most serious first."""
    quiet_apps: int
    """Apps with no evidence found by these checks."""
    checklist: tuple[ChecklistView, ...]
    checked: tuple[Said, ...]
    not_checked: tuple[NotCheckedView, ...]
    limits: tuple[Said, ...]
    created_at: str


_VERDICT_ORDER = tuple(AppVerdict)


def localise(report: Report, tr: Translator) -> ReportView:
    """``report`` in ``tr``'s language."""
    findings = tuple(_finding(f, i, tr) for i, f in enumerate(report.findings, start=1))
    groups = tuple(
        SeverityGroup(
            severity,
            tr.gettext(SEVERITY_WORDS[severity]),
            tr.gettext(SEVERITY_HELP[severity]),
            tuple(f for f in findings if f.severity is severity),
        )
        for severity in Severity
        if any(f.severity is severity for f in findings)
    )
    flagged = sorted(
        (a for a in report.apps if a.verdict is not AppVerdict.NO_EVIDENCE),
        key=lambda a: _VERDICT_ORDER.index(a.verdict),
    )
    return ReportView(
        report=report,
        lang=tr.lang,
        html_lang=tr.html_lang,
        kind_word=tr.gettext(KIND_WORDS[report.kind]),
        outcome_word=tr.gettext(OUTCOME_WORDS[report.outcome]),
        headline=headline(report.outcome, report.summary, tr)
        if tr.lang != "en"
        else report.headline,
        urgent=tuple(f for f in findings if f.severity in URGENT),
        groups=groups,
        apps=tuple(
            AppView(a, tr.gettext(VERDICT_WORDS[a.verdict]), say(a.summary, tr)) for a in flagged
        ),
        quiet_apps=sum(1 for a in report.apps if a.verdict is AppVerdict.NO_EVIDENCE),
        checklist=tuple(_checklist(item, tr) for item in report.checklist),
        checked=tuple(say(text, tr) for text in report.checked),
        not_checked=tuple(NotCheckedView(n, say(n.reason, tr)) for n in report.not_checked),
        limits=tuple(say(text, tr) for text in report.limits),
        created_at=report.created_at.isoformat(timespec="seconds"),
    )


def _finding(finding: ReportFinding, number: int, tr: Translator) -> FindingView:
    return FindingView(
        anchor=f"finding-{number}",
        severity=finding.severity,
        severity_word=tr.gettext(SEVERITY_WORDS[finding.severity]),
        title=say(finding.title, tr),
        explanation=say(finding.explanation, tr),
        meaning=say(finding.meaning, tr),
        do=tuple(say(text, tr) for text in finding.do),
        dont=tuple(say(text, tr) for text in finding.dont),
        evidence=finding.evidence,
        subject=finding.subject,
        time=finding.time.isoformat(timespec="seconds") if finding.time else None,
    )


def _checklist(item: ChecklistItem, tr: Translator) -> ChecklistView:
    return ChecklistView(
        item=item,
        title=say(item.title, tr),
        how=tuple(say(step, tr) for step in item.how),
        status_word=tr.gettext(CHECKLIST_WORDS[item.status]),
        note=say(item.note, tr),
    )
