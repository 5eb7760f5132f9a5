"""Template rendering shared by every page, in the language of the page (see i18n.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from unstalk import __version__
from unstalk.feed.index import FeedIndex
from unstalk.report.i18n import Translator, translator
from unstalk.web import wording
from unstalk.web.i18n import LANGUAGE_NAMES, Phrase, negotiate, web_translator
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

LANG_PATH = "/language"
"""Where the language chooser in every page's header posts to."""


def _translated(tr: Translator) -> Callable[[object], str]:
    # A plain str, so autoescape still escapes it: the texts may hold what a phone reported.
    def translate(value: object) -> str:
        if isinstance(value, Phrase):
            return value.say(tr)
        return tr.gettext(str(value)) if value else ""

    return translate


@cache
def _environment(lang: str) -> jinja2.Environment:
    """The templates in ``lang``: one environment per language, so renders never share state."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("unstalk.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    tr = web_translator(lang)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        tr.gettext, tr.ngettext, newstyle=True
    )
    env.filters["t"] = _translated(tr)
    env.filters["rt"] = _translated(translator(lang))
    env.globals.update(
        exit_path=EXIT_PATH,
        lang_path=LANG_PATH,
        neutral_exit_url=NEUTRAL_EXIT_URL,
        version=__version__,
        csrf_field=CSRF_FIELD,
        lang=tr.lang,
        html_lang=tr.html_lang,
        language_names=LANGUAGE_NAMES,
        severity_titles=wording.SEVERITY_TITLES,
        severity_explanations=wording.SEVERITY_EXPLANATIONS,
        family_types=wording.FAMILY_TYPES,
        kind_labels=wording.KIND_LABELS,
        role_labels=wording.ROLE_LABELS,
    )
    return env


def render_html(
    name: str, context: Mapping[str, object], status: int = 200, *, lang: str = "en"
) -> HTMLResponse:
    """Render a template in ``lang``; without a session (refusals) the header has no forms."""
    body = (
        _environment(lang)
        .get_template(name)
        .render({"csrf_token": "", "nav": "", "case_store": False, "here": "/", **context})
    )
    return HTMLResponse(body, status_code=status)


def language_of(request: Request) -> str:
    """The language chosen in this session, else the browser's best among the app's."""
    session = request.scope.get("state", {}).get("session")
    if isinstance(session, Session) and session.lang is not None:
        return session.lang
    return negotiate(request.headers.get("accept-language"))


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
    # The chooser sends the person back here; a page answering a form has no address to reload.
    here = request.url.path if request.method == "GET" else "/"
    extra = {"csrf_token": token, "case_store": app.cases is not None, "here": here}
    return render_html(name, {**context, **extra}, status, lang=language_of(request))
