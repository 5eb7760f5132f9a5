"""Check an Android phone plugged into this computer: connect it, then follow the check."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from unstalk.web.i18n import N_, Phrase
from unstalk.web.phone import check_phone, phone_status
from unstalk.web.views import context_of, render_page, session_of

router = APIRouter(prefix="/check/android")

PAGE = "/check/android"


@router.get("", response_model=None)
async def connect(request: Request) -> Response:
    """The steps to connect the phone, and what adb sees right now."""
    if not session_of(request).consented:
        return RedirectResponse("/", status_code=303)
    app = context_of(request)
    status = await run_in_threadpool(phone_status, app.adb())
    context = {"title": N_("Check an Android phone"), "nav": "check", "status": status}
    return render_page(request, "android.html", context)


@router.post("", response_model=None)
async def start(request: Request) -> Response:
    app = context_of(request)
    session = session_of(request)
    if not session.consented:
        return RedirectResponse("/", status_code=303)
    form = await request.form()
    serial = form.get("serial")
    status = await run_in_threadpool(phone_status, app.adb())
    chosen = next((e for e in status.ready if e.serial == serial), None)
    if chosen is None:
        # The phone went away (or another one was plugged in) since the page was shown.
        return RedirectResponse(PAGE, status_code=303)
    pull_apks = form.get("pull_apks") == "yes"
    folder = app.jobs.folder_for(session.id) / f"android-{secrets.token_hex(6)}"
    adb = app.adb()
    checker = app.checker
    job = app.jobs.submit(
        session.id,
        Phrase.of(N_("the phone {name}"), name=chosen.name),
        lambda progress: check_phone(
            adb, folder, checker, progress, serial=chosen.serial, pull_apks=pull_apks
        ),
    )
    return RedirectResponse(f"/check/jobs/{job.id}", status_code=303)
