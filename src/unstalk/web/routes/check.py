"""Check a file: upload it, follow the check's progress, read what it found."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from unstalk.errors import UsageError
from unstalk.report import safety
from unstalk.report.html import render_html
from unstalk.report.i18n import translator
from unstalk.report.model import Report, report_json
from unstalk.report.texts import EVIDENCE_WORDS
from unstalk.report.view import localise
from unstalk.web.filecheck import run_check
from unstalk.web.filekind import identify
from unstalk.web.jobs import Job, JobState
from unstalk.web.upload import save_upload
from unstalk.web.views import context_of, render_page, session_of

router = APIRouter(prefix="/check")

FILE_PATH = "/check/file"
"""Streams its upload to disk: the CSRF middleware lets multipart through here."""

REFRESH_SECONDS = 2
"""How often a running check's page reloads itself (no JavaScript needed)."""


def _to_start() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


@router.get("", response_model=None)
async def choose(request: Request) -> Response:
    session = session_of(request)
    if not session.consented:
        return _to_start()
    app = context_of(request)
    context = {
        "title": "Check a phone or a file",
        "nav": "check",
        "limit_mb": app.max_upload_bytes // (1024 * 1024),
        "jobs": app.jobs.of_session(session.id),
    }
    return render_page(request, "check.html", context)


@router.post("/file", response_model=None)
async def check_file(request: Request) -> Response:
    app = context_of(request)
    session = session_of(request)
    if not session.consented:
        return _to_start()
    folder = app.jobs.folder_for(session.id)
    saved = await save_upload(
        request,
        limit=app.max_upload_bytes,
        token_ok=lambda token: app.sessions.csrf_ok(session, token),
        destination=folder / f"upload-{secrets.token_hex(8)}",
    )
    try:
        kind = identify(saved.path, name=saved.name)
    except BaseException:
        saved.path.unlink(missing_ok=True)
        raise
    job = app.jobs.submit(
        session.id,
        f'the file "{saved.name}"',
        lambda progress: run_check(kind, saved, app.checker, progress),
    )
    return RedirectResponse(f"/check/jobs/{job.id}", status_code=303)


def _job_or_none(request: Request, job_id: str) -> Job[Report] | None:
    return context_of(request).jobs.get(session_of(request).id, job_id)


@router.get("/jobs/{job_id}", response_model=None)
async def job_page(request: Request, job_id: str) -> Response:
    if not session_of(request).consented:
        return _to_start()
    job = _job_or_none(request, job_id)
    if job is None:
        missing = {"title": "Check not found", "nav": "check"}
        return render_page(request, "job_missing.html", missing, status=404)
    if job.state is JobState.DONE and job.result is not None:
        tr = translator("en")
        found: dict[str, object] = {
            "title": "What the check found",
            "nav": "check",
            "job": job,
            "v": localise(job.result, tr),
            "safety": safety,
            "evidence_words": {k.value: tr.gettext(w) for k, w in EVIDENCE_WORDS.items()},
            "languages": LANGUAGE_NAMES.items(),
        }
        return render_page(request, "report.html", found)
    running = job.state in (JobState.QUEUED, JobState.RUNNING)
    title = "Checking" if running else "The check could not finish"
    context: dict[str, object] = {
        "title": title,
        "nav": "check",
        "job": job,
        "refresh": REFRESH_SECONDS if running else None,
    }
    return render_page(request, "job.html", context)


LANGUAGE_NAMES = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "de": "Deutsch",
    "pt_BR": "Português (Brasil)",
}
"""The report languages, each named in its own language."""

_MEDIA = {
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "json": ("application/json", "json"),
}


@router.get("/jobs/{job_id}/report", response_model=None)
async def download(
    request: Request, job_id: str, format: str = "html", lang: str = "en"
) -> Response:
    """The finished check's report as a file to keep, in the language asked for."""
    if not session_of(request).consented:
        return _to_start()
    job = _job_or_none(request, job_id)
    if job is None or job.result is None:
        missing = {"title": "Check not found", "nav": "check"}
        return render_page(request, "job_missing.html", missing, status=404)
    if format not in _MEDIA or lang not in LANGUAGE_NAMES:
        raise UsageError(
            "This kind of report or language is not available.",
            advice="Go back to the results and choose from the lists.",
        )
    media, suffix = _MEDIA[format]
    body = await run_in_threadpool(_render, job.result, format, lang)
    stamp = job.result.created_at.strftime("%Y%m%d-%H%M")
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
