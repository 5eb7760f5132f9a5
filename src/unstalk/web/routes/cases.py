"""Finish a session (delete everything, or keep the case encrypted) and reopen kept cases."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from unstalk.cases import CaseContent, CaseError, CaseStore
from unstalk.cases.store import MIN_PASSPHRASE, RETENTION_DAYS
from unstalk.report.i18n import translator
from unstalk.report.model import Report
from unstalk.report.view import localise
from unstalk.web.i18n import N_, AppError, Phrase
from unstalk.web.jobs import JobState
from unstalk.web.reportpage import report_context, report_file
from unstalk.web.sessions import SESSION_COOKIE
from unstalk.web.views import context_of, language_of, render_page, session_of

router = APIRouter()

MAX_NOTES = 20_000
"""Characters of notes kept with a case."""


def _to_start() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


def _finished_reports(request: Request) -> list[tuple[Phrase, Report]]:
    jobs = context_of(request).jobs.of_session(session_of(request).id)
    return [
        (job.subject, job.result)
        for job in jobs
        if job.state is JobState.DONE and job.result is not None
    ]


def _end_page(request: Request, status: int = 200, **extra: object) -> Response:
    context: dict[str, object] = {
        "title": N_("Finish"),
        "nav": "end",
        "reports": _finished_reports(request),
        "store": context_of(request).cases is not None,
        "retention": RETENTION_DAYS,
        "min_passphrase": MIN_PASSPHRASE,
        "problem": None,
        **extra,
    }
    return render_page(request, "end.html", context, status)


@router.get("/end", response_model=None)
async def end(request: Request) -> Response:
    if not session_of(request).consented:
        return _to_start()
    return _end_page(request)


@router.post("/end/delete", response_model=None)
async def delete_everything(request: Request) -> Response:
    """Forget the session: its checks, their files and the results."""
    context_of(request).sessions.discard(session_of(request).id)
    response = RedirectResponse("/ended", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/ended", response_model=None)
async def ended(request: Request) -> Response:
    return render_page(request, "ended.html", {"title": N_("Everything was deleted"), "nav": ""})


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/end/keep", response_model=None)
async def keep(request: Request) -> Response:
    """Encrypt the session's reports and notes into a new case, then forget the session."""
    app = context_of(request)
    session = session_of(request)
    if not session.consented:
        return _to_start()
    store = _store(request)
    form = await request.form()
    passphrase, again = _text(form, "passphrase"), _text(form, "passphrase_again")
    reports = tuple(report for _, report in _finished_reports(request))
    if not reports:
        return _end_page(request, 400, problem=N_("There is no finished check to keep."))
    if passphrase != again:
        return _end_page(request, 400, problem=N_("The two passphrases are not the same."))
    days = _text(form, "keep_days")
    content = CaseContent(notes=_text(form, "notes")[:MAX_NOTES], reports=reports)
    try:
        case_id = await run_in_threadpool(
            store.save, content, passphrase, keep_days=int(days) if days.isdigit() else -1
        )
    except CaseError as e:
        message, _, advice = e.diagnostics().partition("\n")
        return _end_page(request, 400, problem=f"{message} {advice}".strip())
    app.jobs.discard_session(session.id)
    context = {"title": N_("The case is kept"), "nav": "end", "case_id": case_id, "days": days}
    return render_page(request, "case_kept.html", context)


def _store(request: Request) -> CaseStore:
    store = context_of(request).cases
    if store is None:
        raise AppError(
            N_("Keeping cases is turned off in this app."),
            advice=N_("Whoever starts unstalk can turn it on with 'unstalk serve --case-store'."),
        )
    return store


@router.get("/cases", response_model=None)
async def cases(request: Request) -> Response:
    if not session_of(request).consented:
        return _to_start()
    store = _store(request)
    return _cases_page(request, store)


@router.post("/cases/open", response_model=None)
async def open_case(request: Request) -> Response:
    session = session_of(request)
    if not session.consented:
        return _to_start()
    store = _store(request)
    form = await request.form()
    case_id = _text(form, "case_id")
    try:
        content = await run_in_threadpool(store.open, case_id, _text(form, "passphrase"))
    except CaseError as e:
        message, _, advice = e.diagnostics().partition("\n")
        return _cases_page(request, store, 400, problem=f"{message} {advice}".strip())
    session.open_case = (case_id, content)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _opened(request: Request, case_id: str) -> CaseContent | None:
    opened = session_of(request).open_case
    return opened[1] if opened is not None and opened[0] == case_id else None


@router.get("/cases/{case_id}", response_model=None)
async def case_page(request: Request, case_id: str) -> Response:
    content = _opened(request, case_id)
    if content is None:
        return RedirectResponse("/cases", status_code=303)
    tr = translator(language_of(request))
    context = {
        "title": N_("Kept case"),
        "nav": "cases",
        "case_id": case_id,
        "case": content,
        "headlines": [localise(report, tr).headline for report in content.reports],
    }
    return render_page(request, "case.html", context)


@router.get("/cases/{case_id}/reports/{number}", response_model=None)
async def case_report(request: Request, case_id: str, number: int) -> Response:
    content = _opened(request, case_id)
    if content is None or not 0 <= number < len(content.reports):
        return RedirectResponse("/cases", status_code=303)
    action = f"/cases/{case_id}/reports/{number}/file"
    context = report_context(
        content.reports[number], download_action=action, from_case=True, lang=language_of(request)
    )
    return render_page(request, "report.html", context)


@router.get("/cases/{case_id}/reports/{number}/file", response_model=None)
async def case_report_file(
    request: Request, case_id: str, number: int, format: str = "html", lang: str | None = None
) -> Response:
    content = _opened(request, case_id)
    if content is None or not 0 <= number < len(content.reports):
        return RedirectResponse("/cases", status_code=303)
    return await report_file(content.reports[number], format, lang or language_of(request))


@router.post("/cases/{case_id}/delete", response_model=None)
async def delete_case(request: Request, case_id: str) -> Response:
    session = session_of(request)
    if not session.consented:
        return _to_start()
    store = _store(request)
    form = await request.form()
    if _text(form, "confirm") != "yes":
        problem = Phrase.of(
            N_("Tick the box to confirm that case {case_id} should be deleted."), case_id=case_id
        )
        return _cases_page(request, store, 400, problem=problem)
    store.delete(case_id)
    if _opened(request, case_id) is not None:
        session.open_case = None
    return _cases_page(request, store, deleted=case_id)


def _cases_page(request: Request, store: CaseStore, status: int = 200, **extra: object) -> Response:
    context: dict[str, object] = {
        "title": N_("Kept cases"),
        "nav": "cases",
        "cases": store.cases(),
        "problem": None,
        "deleted": None,
        **extra,
    }
    return render_page(request, "cases.html", context, status)
