"""The start page (safety notes and consent), the feed's description, and quick exit."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from unstalk.feed.model import IndicatorKind, Role
from unstalk.web.i18n import LANGUAGES, N_
from unstalk.web.sessions import SESSION_COOKIE
from unstalk.web.views import (
    EXIT_PATH,
    LANG_PATH,
    NEUTRAL_EXIT_URL,
    context_of,
    render_page,
    session_of,
)

router = APIRouter()

ECHAP_ATTRIBUTION = "Stalkerware Indicators of Compromise, by Echap (https://echap.eu.org)"
ECHAP_SOURCE = "https://github.com/AssoEchap/stalkerware-indicators"
CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"
CONSENT_VALUE = "yes"


@router.get("/", response_class=HTMLResponse)
async def start(request: Request) -> HTMLResponse:
    context = {"title": N_("Before you start"), "nav": "start", "missing_consent": False}
    return render_page(request, "start.html", context)


@router.post("/start", response_model=None)
async def accept(request: Request) -> Response:
    form = await request.form()
    if form.get("consent") != CONSENT_VALUE:
        context = {"title": N_("Before you start"), "nav": "start", "missing_consent": True}
        return render_page(request, "start.html", context, status=400)
    session_of(request).consented = True
    return RedirectResponse("/check", status_code=303)


@router.get("/about", response_class=HTMLResponse)
async def about(request: Request) -> HTMLResponse:
    app = context_of(request)
    summary = app.summary
    rows = summary.get("indicators", [])
    indicator_rows = [
        {
            "kind": IndicatorKind(row["kind"]),
            "role": Role(row["role"]) if row["role"] else None,
            "count": row["count"],
        }
        for row in (rows if isinstance(rows, list) else [])
    ]
    context = {
        "title": N_("About the indicators"),
        "nav": "about",
        "summary": summary,
        "indicator_rows": indicator_rows,
        "feed_location": app.feed_location,
        "attribution": ECHAP_ATTRIBUTION,
        "source_url": ECHAP_SOURCE,
        "licence_url": CC_BY_4,
    }
    return render_page(request, "about.html", context)


def _local_path(value: object) -> str:
    """Where to go back to: a path of this app only, never another site."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


@router.post(LANG_PATH, response_model=None)
async def choose_language(request: Request) -> Response:
    """Remember the language chosen in the header for this session, then show the same page."""
    form = await request.form()
    chosen = form.get("lang")
    if isinstance(chosen, str) and chosen in LANGUAGES:
        session_of(request).lang = chosen
    return RedirectResponse(_local_path(form.get("next")), status_code=303)


@router.get(EXIT_PATH)
async def quick_exit(request: Request) -> RedirectResponse:
    """Forget the session, ask the browser to drop this site's data, and leave."""
    context_of(request).sessions.discard(session_of(request).id)
    response = RedirectResponse(NEUTRAL_EXIT_URL, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    response.headers["clear-site-data"] = '"cache", "cookies", "storage"'
    return response
