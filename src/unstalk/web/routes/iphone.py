"""Check an iPhone: plugged in over USB, or a backup folder already on this computer."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from unstalk.web.i18n import N_, Phrase
from unstalk.web.iphone import BACKUP_PLACES, backup_folder, check_backup, check_live, iphone_status
from unstalk.web.views import context_of, render_page, session_of

router = APIRouter(prefix="/check/iphone")

PAGE = "/check/iphone"


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.get("", response_model=None)
async def choose(request: Request) -> Response:
    if not session_of(request).consented:
        return RedirectResponse("/", status_code=303)
    status = await run_in_threadpool(iphone_status, context_of(request).idevice())
    context = {
        "title": N_("Check an iPhone"),
        "nav": "check",
        "status": status,
        "places": BACKUP_PLACES,
    }
    return render_page(request, "iphone.html", context)


@router.post("/live", response_model=None)
async def live(request: Request) -> Response:
    app = context_of(request)
    session = session_of(request)
    if not session.consented:
        return RedirectResponse("/", status_code=303)
    form = await request.form()
    idevice = app.idevice()
    status = await run_in_threadpool(iphone_status, idevice)
    udid = _text(form, "udid")
    if udid not in status.ready:
        # The phone went away (or another one was plugged in) since the page was shown.
        return RedirectResponse(PAGE, status_code=303)
    password = _text(form, "password")
    folder = app.jobs.folder_for(session.id) / f"iphone-{secrets.token_hex(6)}"
    checker = app.checker
    job = app.jobs.submit(
        session.id,
        Phrase.of(N_("the iPhone plugged in")),
        lambda progress: check_live(
            idevice, folder, checker, progress, udid=udid, password=password
        ),
    )
    return RedirectResponse(f"/check/jobs/{job.id}", status_code=303)


@router.post("/backup", response_model=None)
async def backup(request: Request) -> Response:
    app = context_of(request)
    session = session_of(request)
    if not session.consented:
        return RedirectResponse("/", status_code=303)
    form = await request.form()
    folder = backup_folder(_text(form, "folder"))
    password = _text(form, "password")
    checker = app.checker
    job = app.jobs.submit(
        session.id,
        Phrase.of(N_("the iPhone backup in {folder}"), folder=folder.name),
        lambda progress: check_backup(folder, password, checker, progress),
    )
    return RedirectResponse(f"/check/jobs/{job.id}", status_code=303)
