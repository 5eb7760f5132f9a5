"""The app factory for ``unstalk serve``."""

from __future__ import annotations

from collections.abc import Collection

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from unstalk import __version__
from unstalk.feed.index import FeedIndex
from unstalk.feed.store import FeedStore
from unstalk.feed.summary import summarise
from unstalk.web import errors
from unstalk.web.routes import lookup, pages
from unstalk.web.security import CsrfMiddleware, GuardMiddleware
from unstalk.web.sessions import SessionStore
from unstalk.web.upload import MAX_UPLOAD_BYTES
from unstalk.web.views import AppContext

STATIC_DIR = "static"

ROUTERS = (pages.router, lookup.router)
"""One router per area of the app; a new area adds its router here."""


def create_app(
    store: FeedStore,
    *,
    allowed_hosts: Collection[str] = (),
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
) -> FastAPI:
    """Build the advocates' app over the feed in ``store``.

    The feed is loaded and indexed here, once, so every look-up is a lookup in
    memory. ``allowed_hosts`` adds host names accepted in the ``Host`` header
    besides loopback ones (``"*"`` for any): only for an explicit ``--host``.
    """
    feed = store.load()
    location = store.location()
    context = AppContext(
        sessions=SessionStore(),
        index=FeedIndex.build(feed),
        summary=summarise(feed),
        feed_location="the copy bundled with unstalk" if location.bundled else str(location.path),
        max_upload_bytes=max_upload_bytes,
    )
    app = FastAPI(
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
    app.add_middleware(CsrfMiddleware, store=context.sessions, streamed_paths={lookup.FILE_PATH})
    app.add_middleware(GuardMiddleware, allowed_hosts=allowed_hosts)
    return app
