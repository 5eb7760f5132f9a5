"""The app factory for ``unstalk hub serve``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from unstalk import __version__
from unstalk.errors import Error
from unstalk.hub.apikeys import KeyCache
from unstalk.hub.db import Database, utcnow
from unstalk.hub.ratelimit import RateLimiter
from unstalk.hub.routers import (
    api_accounts,
    api_consensus,
    api_docs,
    api_indicators,
    api_keys,
    api_releases,
    api_releases_misp,
    api_releases_taxii,
    api_samples,
    ui_auth,
    ui_consensus,
    ui_indicators,
    ui_keys,
    ui_orgs,
    ui_releases,
    ui_samples,
    ui_users,
)
from unstalk.hub.security import SecurityHeadersMiddleware
from unstalk.hub.settings import HubSettings
from unstalk.hub.web import HubContext, error_response, make_templates

ROUTERS = (
    api_indicators.lookup_router,
    ui_auth.router,
    ui_orgs.router,
    ui_users.router,
    ui_keys.router,
    api_docs.router,
    api_accounts.router,
    api_keys.router,
    ui_indicators.router,
    api_indicators.router,
    ui_consensus.router,
    api_consensus.router,
    ui_samples.router,
    api_samples.router,
    ui_releases.router,
    api_releases.router,
    api_releases_taxii.router,
    api_releases_misp.router,
)
"""One router per area of the hub; a new area adds its module and one line here."""


def create_hub_app(
    settings: HubSettings,
    *,
    database: Database | None = None,
    clock: Callable[[], datetime] = utcnow,
    monotonic: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """Build the hub over an initialised database (see :func:`unstalk.hub.bootstrap.init_hub`).

    ``clock`` gives the current UTC time (sessions, lockouts, key expiry) and
    ``monotonic`` drives the API rate limit and how long a checked API key is trusted
    without asking the database again; tests move them forward.
    """
    db = database or Database(settings.database_url)
    app = FastAPI(
        title="unstalk coalition hub",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.hub = HubContext(
        settings=settings,
        db=db,
        passwords=settings.passwords(),
        limiter=RateLimiter(settings.api_rate_per_second, settings.api_burst, clock=monotonic),
        clock=clock,
        templates=make_templates(),
        keys=KeyCache(monotonic=monotonic),
    )

    @app.exception_handler(Error)
    async def on_error(request: Request, error: Exception) -> Response:
        if not isinstance(error, Error):
            raise error
        return error_response(request, error)

    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("unstalk.hub", "static")]), name="static")
    if settings.allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    # Added last, so it wraps everything: refusals by the middleware above get the headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    return app
