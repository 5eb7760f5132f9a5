"""Look values and files up in the indicator feed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from unstalk.web.i18n import N_
from unstalk.web.results import MAX_VALUES, look_up, parse_values
from unstalk.web.upload import hash_upload
from unstalk.web.views import context_of, render_page, session_of

router = APIRouter(prefix="/lookup")

FILE_PATH = "/lookup/file"
"""Streams its upload: the CSRF middleware lets multipart through here only."""

RESULTS_PATH = "/lookup/results"


def _to_start() -> RedirectResponse:
    """Pages past the start page need its safety notes to have been accepted."""
    return RedirectResponse("/", status_code=303)


def _form_page(request: Request, status: int = 200, **extra: object) -> Response:
    context: dict[str, object] = {
        "title": N_("Look something up"),
        "nav": "lookup",
        "limit_mb": context_of(request).max_upload_bytes // (1024 * 1024),
        "max_values": MAX_VALUES,
        "missing_values": False,
        **extra,
    }
    return render_page(request, "lookup.html", context, status)


@router.get("", response_model=None)
async def form(request: Request) -> Response:
    if not session_of(request).consented:
        return _to_start()
    return _form_page(request)


@router.post("", response_model=None)
async def look_up_values(request: Request) -> Response:
    session = session_of(request)
    if not session.consented:
        return _to_start()
    submitted = (await request.form()).get("values")
    values, notes = parse_values(submitted if isinstance(submitted, str) else "")
    if not values:
        return _form_page(request, 400, missing_values=True)
    session.last_result = look_up(context_of(request).index, values, not_checked=notes)
    return RedirectResponse(RESULTS_PATH, status_code=303)


@router.post("/file", response_model=None)
async def look_up_file(request: Request) -> Response:
    app = context_of(request)
    session = session_of(request)
    if not session.consented:
        return _to_start()
    checked = await hash_upload(
        request,
        limit=app.max_upload_bytes,
        token_ok=lambda token: app.sessions.csrf_ok(session, token),
    )
    session.last_result = look_up(app.index, [checked.sha256], file=checked)
    return RedirectResponse(RESULTS_PATH, status_code=303)


@router.get("/results", response_model=None)
async def results(request: Request) -> Response:
    result = session_of(request).last_result
    if result is None:
        return RedirectResponse("/lookup", status_code=303)
    context = {"title": N_("What the look-up found"), "nav": "lookup", "result": result}
    return render_page(request, "results.html", context)
