"""A report shown in the app, and saved from it as a file: shared by checks and kept cases."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from unstalk.report import safety
from unstalk.report.html import render_html
from unstalk.report.i18n import LANGUAGE_NAMES, translator
from unstalk.report.model import Report, report_json
from unstalk.report.texts import EVIDENCE_WORDS
from unstalk.report.view import localise
from unstalk.web.i18n import N_, AppError

_MEDIA = {
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "json": ("application/json", "json"),
}


def report_context(
    report: Report, *, download_action: str, from_case: bool, lang: str
) -> dict[str, object]:
    """What ``report.html`` needs to show ``report`` in ``lang``, the language of the page."""
    tr = translator(lang)
    return {
        "title": N_("What the check found"),
        "nav": "cases" if from_case else "check",
        "v": localise(report, tr),
        "safety": safety,
        "evidence_words": {k.value: tr.gettext(w) for k, w in EVIDENCE_WORDS.items()},
        "download_action": download_action,
        "from_case": from_case,
    }


async def report_file(report: Report, fmt: str, lang: str) -> Response:
    """``report`` as a file to save: HTML, PDF or JSON, in ``lang``."""
    if fmt not in _MEDIA or lang not in LANGUAGE_NAMES:
        raise AppError(
            N_("This kind of report or language is not available."),
            advice=N_("Go back to the results and choose from the lists."),
        )
    media, suffix = _MEDIA[fmt]
    body = await run_in_threadpool(_render, report, fmt, lang)
    stamp = report.created_at.strftime("%Y%m%d-%H%M")
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="unstalk-report-{stamp}.{suffix}"'},
    )


def _render(report: Report, fmt: str, lang: str) -> bytes:
    if fmt == "json":
        return report_json(report).encode()
    if fmt == "html":
        return render_html(report, lang).encode()
    # reportlab takes a while to import: only when a PDF is asked for.
    from unstalk.report.pdf import render_pdf

    return render_pdf(report, lang)
