"""The report as a terminal summary (rich): the answer, findings by severity, gaps and safety.

The summary is shorter than the HTML file (evidence is counted, not listed) and
points to it; the safety texts are the same.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from unstalk.models import Severity
from unstalk.report.i18n import Translator, translator
from unstalk.report.model import Outcome, Report
from unstalk.report.safety import CANNOT_TELL, HELP, SAFETY
from unstalk.report.view import FindingView, ReportView, localise

_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def print_summary(report: Report, console: Console, lang: str = "en") -> None:
    """Print ``report`` for a person at a terminal, in ``lang``."""
    tr = translator(lang)
    view = localise(report, tr)
    _ = tr.gettext
    style = "bold red" if report.outcome is Outcome.FOUND else "bold"
    console.print(f"[{style}]{escape(view.headline)}[/]")
    console.print(f"{escape(view.kind_word)}: {escape(report.subject)}")
    _print_findings(view, console, tr)
    if view.not_checked:
        console.print(f"\n[bold]{escape(_('What could not be checked'))}[/]")
        for item in view.not_checked:
            console.print(f"- {escape(item.item.part)}: {escape(item.reason.text)}")
    console.print(f"\n[bold]{escape(_('What these checks cannot tell you'))}[/]")
    for text in (*(_(t) for t in CANNOT_TELL), *(s.text for s in view.limits)):
        console.print(f"- {escape(text)}")
    console.print(f"\n[bold]{escape(_('Your safety'))}[/]")
    for text in (*SAFETY, *HELP):
        console.print(f"- {escape(_(text))}")


def _print_findings(view: ReportView, console: Console, tr: Translator) -> None:
    _ = tr.gettext
    if not view.groups:
        console.print(
            _(
                "These checks found nothing to report. That does not mean the device is free "
                "of monitoring: see what could not be checked and the limits below."
            )
        )
        return
    table = Table(title=_("What was found"), title_justify="left")
    table.add_column(_("Severity"), no_wrap=True)
    table.add_column(_("About"), overflow="fold")
    table.add_column(_("Finding"))
    for group in view.groups:
        for finding in group.findings:
            table.add_row(
                f"[{_STYLE[finding.severity]}]{escape(finding.severity_word)}[/]",
                escape(finding.subject or _("the whole device")),
                escape(finding.title.text),
            )
    console.print(table)
    urgent = [f for f in view.urgent if f.meaning.text]
    if urgent:
        console.print(f"\n[bold]{escape(_('Look at these first'))}[/]")
        by_advice: dict[str, list[FindingView]] = {}
        for finding in urgent:
            by_advice.setdefault(finding.meaning.text, []).append(finding)
        for findings in by_advice.values():
            _print_advice(findings, console)


def _print_advice(findings: list[FindingView], console: Console) -> None:
    """The titles of findings that share their advice, then the advice once."""
    for finding in findings:
        about = f" ({escape(finding.subject)})" if finding.subject else ""
        console.print(f"[{_STYLE[finding.severity]}]{escape(finding.title.text)}[/]{about}")
    first = findings[0]
    console.print(f"  {escape(first.meaning.text)}")
    for step in first.do:
        console.print(f"  + {escape(step.text)}")
    for step in first.dont:
        console.print(f"  ✗ {escape(step.text)}")
