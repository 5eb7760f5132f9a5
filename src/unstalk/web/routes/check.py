"""Check a file: upload it, follow the check's progress, read what it found."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from unstalk.report.model import Report
from unstalk.web.filecheck import run_check
from unstalk.web.filekind import identify
from unstalk.web.i18n import N_, Phrase
from unstalk.web.jobs import Job, JobState
from unstalk.web.reportpage import report_context, report_file
from unstalk.web.upload import save_upload
from unstalk.web.views import context_of, language_of, render_page, session_of

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
        "title": N_("Check a phone or a file"),
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
        Phrase.of(N_('the file "{name}"'), name=saved.name),
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
        missing = {"title": N_("Check not found"), "nav": "check"}
        return render_page(request, "job_missing.html", missing, status=404)
    if job.state is JobState.DONE and job.result is not None:
        found = report_context(
            job.result,
            download_action=f"/check/jobs/{job.id}/report",
            from_case=False,
            lang=language_of(request),
        )
        return render_page(request, "report.html", found)
    running = job.state in (JobState.QUEUED, JobState.RUNNING)
    title = N_("Checking") if running else N_("The check could not finish")
    context: dict[str, object] = {
        "title": title,
        "nav": "check",
        "job": job,
        "refresh": REFRESH_SECONDS if running else None,
    }
    return render_page(request, "job.html", context)


@router.get("/jobs/{job_id}/report", response_model=None)
async def download(
    request: Request, job_id: str, format: str = "html", lang: str | None = None
) -> Response:
    """The finished check's report as a file to keep, in the language asked for."""
    if not session_of(request).consented:
        return _to_start()
    job = _job_or_none(request, job_id)
    if job is None or job.result is None:
        missing = {"title": N_("Check not found"), "nav": "check"}
        return render_page(request, "job_missing.html", missing, status=404)
    return await report_file(job.result, format, lang or language_of(request))
