"""The app factory for ``unstalk serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from unstalk import __version__
from unstalk.android.acquire.adb import Adb
from unstalk.cases import CaseStore
from unstalk.feed.index import FeedIndex
from unstalk.feed.store import FeedStore
from unstalk.feed.summary import summarise
from unstalk.ios.device import Idevice
from unstalk.report.model import Report
from unstalk.web import errors
from unstalk.web.filecheck import Checker
from unstalk.web.iphone import IdeviceFactory
from unstalk.web.jobs import JobRunner
from unstalk.web.phone import AdbFactory
from unstalk.web.routes import android, cases, check, iphone, lookup, pages
from unstalk.web.security import CsrfMiddleware, GuardMiddleware
from unstalk.web.sessions import SessionStore
from unstalk.web.upload import MAX_UPLOAD_BYTES
from unstalk.web.views import AppContext

STATIC_DIR = "static"

ROUTERS = (
    pages.router,
    android.router,
    iphone.router,
    check.router,
    lookup.router,
    cases.router,
)
"""One router per area of the app; a new area adds its router here."""


def create_app(
    store: FeedStore,
    *,
    allowed_hosts: Collection[str] = (),
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    work_root: Path | None = None,
    adb: AdbFactory = Adb,
    case_folder: Path | None = None,
    idevice: IdeviceFactory = Idevice,
) -> FastAPI:
    """Build the advocates' app over the feed in ``store``.

    The feed is loaded and indexed here, once, so every look-up is a lookup in
    memory. ``allowed_hosts`` adds host names accepted in the ``Host`` header
    besides loopback ones (``"*"`` for any): only for an explicit ``--host``.
    Uploaded files wait for their check in a private folder per session under
    ``work_root`` (the system's temporary folder by default), deleted on quick
    exit and when the app stops. ``adb`` makes the client that talks to a
    plugged-in Android phone and ``idevice`` the one for an iPhone (tests give
    ones that replay recorded answers).
    ``case_folder`` turns on the optional case store (off by default): an
    advocate may then keep a case there, encrypted with a passphrase. Cases past
    their retention date are deleted when the app starts.
    """
    feed = store.load()
    location = store.location()
    index = FeedIndex.build(feed)
    jobs: JobRunner[Report] = JobRunner(root=work_root)
    sessions = SessionStore(on_discard=jobs.discard_session)
    context = AppContext(
        sessions=sessions,
        index=index,
        summary=summarise(feed),
        feed_location="the copy bundled with unstalk" if location.bundled else str(location.path),
        max_upload_bytes=max_upload_bytes,
        jobs=jobs,
        checker=Checker(feed, index),
        adb=adb,
        cases=CaseStore(case_folder) if case_folder is not None else None,
        idevice=idevice,
    )
    if context.cases is not None:
        context.cases.delete_expired()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            jobs.shutdown()

    app = FastAPI(
        lifespan=lifespan,
        title="unstalk",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.unstalk = context
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("unstalk.web", STATIC_DIR)]), name="static")
    errors.install(app)
    app.add_middleware(
        CsrfMiddleware, store=context.sessions, streamed_paths={lookup.FILE_PATH, check.FILE_PATH}
    )
    app.add_middleware(GuardMiddleware, allowed_hosts=allowed_hosts)
    return app
