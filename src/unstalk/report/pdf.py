"""The report as a PDF, made with reportlab alone (pure pip install, no system library).

The PDF says what the HTML report says, in the same order and the same words
(the same catalog sentences): the answer in short, findings grouped by severity
with what they mean, what to do, what not to do and their evidence, the apps
judged, what could not be checked, the limits, the safety section, and the tool,
feed and file hashes. Its metadata carry the title, the language and the
subject (the headline), and its date is when the report was made. It is made in
reportlab's ``invariant`` mode, so the same report in the same language always
gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence

from reportlab.lib.pagesizes import A4
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    ListFlowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError

from unstalk.errors import ReportError
from unstalk.report.i18n import N_, Translator, translator
from unstalk.report.model import Report
from unstalk.report.pdf_style import (
    GRID,
    HEADER_FILL,
    MARGIN,
    markup,
    numbered_canvas,
    plain,
    severity_style,
    styles,
)
from unstalk.report.safety import BEFORE_YOU_ACT, CANNOT_TELL, HELP, NOTHING_TO_REPORT, SAFETY
from unstalk.report.texts import EVIDENCE_WORDS, Said
from unstalk.report.view import FindingView, ReportView, localise

TITLE = N_("Stalkerware check report")
MADE_WITH = N_(
    "Made with unstalk, free software that helps people find stalkerware. It runs on this "
    "computer and sends nothing anywhere."
)
MAX_CELL = 1500
"""Characters: a table row must fit on one page."""


def render_pdf(report: Report, lang: str = "en") -> bytes:
    """``report`` as PDF bytes in ``lang`` (see :data:`unstalk.report.i18n.LANGUAGES`)."""
    tr = translator(lang)
    view = localise(report, tr)
    title = tr.gettext(TITLE)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=plain(f"{title}: {view.kind_word}"),
        author="unstalk",
        subject=plain(view.headline),
        creator=f"unstalk {report.tool_version}",
        lang=tr.html_lang,
        displayDocTitle=True,
        invariant=True,
        initialFontName=styles()["body"].fontName,
    )
    footer = f"unstalk {report.tool_version} · {title} · {report.subject}"[:110]
    try:
        canvas = numbered_canvas(footer, report.created_at)
        document.build(list(_story(view, tr)), canvasmaker=canvas)
    except (LayoutError, ValueError, IndexError, KeyError) as e:
        raise ReportError(
            f"The PDF report could not be laid out ({str(e)[:200]}).",
            advice="Write the HTML report instead (--format html): it holds the same content.",
        ) from e
    return buffer.getvalue()


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(markup(text), styles()[style])


def _cell(text: str, style: str = "cell") -> Paragraph:
    """A table cell, cut short when longer than a page could hold (the JSON has it all)."""
    shown = text if len(text) <= MAX_CELL else text[:MAX_CELL] + " …"
    return _p(shown, style)


def _said(value: Said, style: str = "body") -> Paragraph:
    return _p(value.text, style)


def _bullets(items: Iterable[Paragraph], *, numbered: bool = False) -> ListFlowable:
    kind = "1" if numbered else "bullet"
    return ListFlowable(
        list(items),
        bulletType=kind,
        start="1" if numbered else "•",
        bulletFontName=styles()["body"].fontName,
        bulletFontSize=8,
        leftIndent=14,
    )


def _story(view: ReportView, tr: Translator) -> Iterator[Flowable]:
    _ = tr.gettext
    report = view.report
    yield _p(_(TITLE), "title")
    yield _p(f"{view.kind_word}: {report.subject}", "meta")
    made = _("Report made on %(when)s (UTC) by unstalk %(version)s.")
    yield _p(made % {"when": view.created_at, "version": report.tool_version}, "meta")
    yield from _summary(view, tr)
    yield from _findings(view, tr)
    yield from _apps(view, tr)
    yield from _checklist(view, tr)
    yield _p(_("What was checked"), "h2")
    yield _bullets(_said(item) for item in view.checked) if view.checked else Spacer(1, 2)
    yield from _not_checked(view, tr)
    yield _p(_("What these checks cannot tell you"), "h2")
    yield _bullets([*(_p(_(text)) for text in CANNOT_TELL), *(_said(s) for s in view.limits)])
    yield from _safety(tr)
    yield from _versions(view, tr)
    yield Spacer(1, 8)
    yield _p(_(MADE_WITH), "meta")


def _summary(view: ReportView, tr: Translator) -> Iterator[Flowable]:
    _ = tr.gettext
    yield _p(_("The answer in short"), "h2")
    yield _p(view.headline, "headline")
    yield _p(f"{_('Outcome:')} {view.outcome_word}")
    if view.urgent:
        yield _p(_("Look at these first"), "h3")
        yield _bullets(_p(_urgent_line(f)) for f in view.urgent)
    yield _p(f"{_('Before you act:')} {_(BEFORE_YOU_ACT)}", "warning")


def _urgent_line(finding: FindingView) -> str:
    about = f" ({finding.subject})" if finding.subject else ""
    return f"{finding.title.text}{about}: {finding.severity_word}"


def _findings(view: ReportView, tr: Translator) -> Iterator[Flowable]:
    _ = tr.gettext
    yield _p(_("What was found"), "h2")
    if not view.groups:
        yield _p(_(NOTHING_TO_REPORT))
    for group in view.groups:
        text = markup(f"{group.word} ({len(group.findings)})")
        heading = Paragraph(text, severity_style("h3", group.severity))
        yield KeepTogether([heading, _p(group.help)])
        for finding in group.findings:
            yield from _finding(finding, tr)


def _finding(finding: FindingView, tr: Translator) -> Iterator[Flowable]:
    _ = tr.gettext
    title = markup(f"{finding.severity_word}: {finding.title.text}")
    head: list[Flowable] = [Paragraph(title, severity_style("h4", finding.severity))]
    about = f"{_('About:')} {finding.subject or _('the whole device')}"
    if finding.time:
        about += f" · {_('When:')} {finding.time}"
    head.append(_p(about, "meta"))
    head.append(_said(finding.explanation))
    yield KeepTogether(head)
    if finding.meaning.text:
        yield KeepTogether([_p(_("What it means for you"), "h5"), _said(finding.meaning)])
    if finding.do:
        yield _p(_("What to do"), "h5")
        yield _bullets((_said(s) for s in finding.do), numbered=True)
    if finding.dont:
        yield _p(_("What not to do"), "h5")
        yield _bullets(_said(s) for s in finding.dont)
    if finding.evidence:
        yield _p(_("Evidence"), "h5")
        yield _evidence_table(finding, tr)


def _evidence_table(finding: FindingView, tr: Translator) -> Table:
    _ = tr.gettext
    header = [_("Kind"), _("What was seen"), _("Source file"), _("Where in it"), _("Indicator")]
    rows = []
    for item in finding.evidence:
        indicator = item.indicator or ""
        if item.indicator and item.family:
            indicator += f" ({item.family})"
        kind = _(EVIDENCE_WORDS[item.kind])
        rows.append([kind, item.value, item.source, item.location, indicator])
    return _table(header, rows, (0.13, 0.30, 0.2, 0.15, 0.22))


def _table(
    header: Sequence[str] | None, rows: Sequence[Sequence[str]], widths: Sequence[float]
) -> Table:
    """A table of wrapped cells; with a header row repeated on every page it spans."""
    usable = A4[0] - 2 * MARGIN
    cells = [] if header is None else [[_cell(text, "cell-head") for text in header]]
    cells.extend([_cell(text) for text in row] for row in rows)
    repeat = 0 if header is None else 1
    table = Table(cells, colWidths=[usable * w for w in widths], repeatRows=repeat)
    font = styles()["cell"].fontName
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                # Otherwise the table names Helvetica, a font that is not embedded.
                ("FONT", (0, 0), (-1, -1), font, 7.5),
            ]
        )
    )
    if header is not None:
        table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL)]))
    return table


def _apps(view: ReportView, tr: Translator) -> Iterator[Flowable]:
    if not view.apps and not view.quiet_apps:
        return
    _ = tr.gettext
    yield _p(_("Apps judged against the coalition's criteria"), "h2")
    if view.apps:
        rows = []
        for item in view.apps:
            app = item.app
            name = app.id + (f"\n{app.name}" if app.name else "")
            name += f" ({app.version})" if app.version else ""
            rows.append([name, item.verdict_word, item.summary.text])
        yield _table([_("App"), _("Verdict"), _("Why")], rows, (0.3, 0.22, 0.48))
    if view.quiet_apps:
        quiet = tr.ngettext(
            "%(num)d other app: no evidence found by these checks.",
            "%(num)d other apps: no evidence found by these checks.",
            view.quiet_apps,
        )
        yield _p(quiet % {"num": view.quiet_apps})


def _checklist(view: ReportView, tr: Translator) -> Iterator[Flowable]:
    if not view.checklist:
        return
    yield _p(tr.gettext("Things to check by hand"), "h2")
    for item in view.checklist:
        yield _p(f"{item.title.text} ({item.status_word})", "h4")
        if item.how:
            yield _bullets((_said(step) for step in item.how), numbered=True)
        if item.note.text:
            yield _said(item.note)


def _not_checked(view: ReportView, tr: Translator) -> Iterator[Flowable]:
    _ = tr.gettext
    yield _p(_("What could not be checked"), "h2")
    if not view.not_checked:
        yield _p(_("Every part the check looks at could be read."))
        return
    yield _p(
        _(
            "These parts could not be read in full. Nothing found in them is not the same as "
            "nothing there."
        )
    )
    rows = []
    for entry in view.not_checked:
        part = entry.item.part
        if entry.item.complete_miss:
            part += f" ({_('not read at all')})"
        rows.append([part, entry.reason.text, entry.item.source])
    yield _table([_("Part"), _("Why"), _("Source file")], rows, (0.22, 0.5, 0.28))


def _safety(tr: Translator) -> Iterator[Flowable]:
    _ = tr.gettext
    yield _p(_("Your safety"), "h2")
    yield _bullets(_p(_(text)) for text in SAFETY)
    yield _p(_("Where to find help"), "h3")
    yield _bullets(_p(_(text)) for text in HELP)


def _versions(view: ReportView, tr: Translator) -> Iterator[Flowable]:
    _ = tr.gettext
    report = view.report
    yield _p(_("Tool, data and evidence"), "h2")
    facts = [
        [_("Tool"), f"unstalk {report.tool_version}"],
        [_("Report format"), report.schema_id],
        [_("Report made"), view.created_at],
        [_("Indicator feed"), _feed_text(view, tr)],
    ]
    acquisition = report.acquisition
    if acquisition is not None:
        source = acquisition.source + (f" ({acquisition.format})" if acquisition.format else "")
        facts.append([_("Data read from"), source])
        if acquisition.acquired_at is not None:
            facts.append([_("Data taken"), acquisition.acquired_at.isoformat()])
    if report.case is not None:
        if report.case.id:
            facts.append([_("Case"), report.case.id])
        if report.case.examiner:
            facts.append([_("Examiner"), report.case.examiner])
    yield _table(None, facts, (0.25, 0.75))
    if acquisition is not None and acquisition.files:
        yield Spacer(1, 6)
        yield _p(_("Files read, with their SHA-256"), "h3")
        rows = [[path, digest] for path, digest in sorted(acquisition.files.items())]
        yield _table([_("File"), "SHA-256"], rows, (0.42, 0.58))


def _feed_text(view: ReportView, tr: Translator) -> str:
    feed = view.report.feed
    if feed is None:
        return tr.gettext("not recorded")
    text = feed.name
    if feed.version:
        text += f", {tr.gettext('version')} {feed.version}"
    if feed.sha256:
        text += f", SHA-256 {feed.sha256}"
    return text
