"""Template rendering shared by every page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from unstalk import __version__
from unstalk.feed.index import FeedIndex
from unstalk.web import wording
from unstalk.web.sessions import CSRF_FIELD, Session, SessionStore

if TYPE_CHECKING:
    # Only for AppContext's annotations: the check modules import this one's helpers.
    from unstalk.cases import CaseStore
    from unstalk.report.model import Report
    from unstalk.web.filecheck import Checker
    from unstalk.web.iphone import IdeviceFactory
    from unstalk.web.jobs import JobRunner
    from unstalk.web.phone import AdbFactory

NEUTRAL_EXIT_URL = "https://www.bbc.com/weather"
"""Where quick exit sends the browser: an ordinary site that says nothing about this app.

Only the person's browser goes there, and only on quick exit; the app itself
never connects anywhere.
"""

EXIT_PATH = "/exit"

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("unstalk.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(
    exit_path=EXIT_PATH,
    neutral_exit_url=NEUTRAL_EXIT_URL,
    version=__version__,
    csrf_field=CSRF_FIELD,
    severity_titles=wording.SEVERITY_TITLES,
    severity_explanations=wording.SEVERITY_EXPLANATIONS,
    family_types=wording.FAMILY_TYPES,
    kind_labels=wording.KIND_LABELS,
    role_labels=wording.ROLE_LABELS,
)


def render_html(name: str, context: Mapping[str, object], status: int = 200) -> HTMLResponse:
    """Render a template that needs no session (error pages, refusals)."""
    body = _ENV.get_template(name).render(
        {"csrf_token": "", "nav": "", "case_store": False, **context}
    )
    return HTMLResponse(body, status_code=status)


def session_of(request: Request) -> Session:
    """The session the CSRF middleware attached to this request."""
    session = request.scope.get("state", {}).get("session")
    if not isinstance(session, Session):
        raise RuntimeError("the session middleware did not run for this request")
    return session


@dataclass(frozen=True, slots=True)
class AppContext:
    """What every route needs, built once when the app is created."""

    sessions: SessionStore
    index: FeedIndex
    summary: Mapping[str, object]
    feed_location: str
    max_upload_bytes: int
    jobs: JobRunner[Report]
    checker: Checker
    adb: AdbFactory
    idevice: IdeviceFactory
    cases: CaseStore | None
    """The case store, when the app was started with it (``unstalk serve --case-store``)."""


def context_of(request: Request) -> AppContext:
    context = request.app.state.unstalk
    if not isinstance(context, AppContext):
        raise RuntimeError("the app was not built by create_app")
    return context


def render_page(
    request: Request, name: str, context: Mapping[str, object], status: int = 200
) -> HTMLResponse:
    """Render a page for this request's session, with the CSRF token its forms need."""
    app = context_of(request)
    token = app.sessions.csrf_token(session_of(request))
    extra = {"csrf_token": token, "case_store": app.cases is not None}
    return render_html(name, {**context, **extra}, status)
