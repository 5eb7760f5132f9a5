"""One place that turns errors into plain pages, never tracebacks."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from unstalk.errors import Error, UsageError
from unstalk.web.i18n import N_, AppError, web_translator
from unstalk.web.security import Refused
from unstalk.web.upload import UploadTooLarge
from unstalk.web.views import language_of, render_page

_HTTP_TITLES = {
    404: (N_("Page not found"), N_("There is no page at this address in unstalk.")),
    405: (N_("Page not found"), N_("This page cannot be opened this way.")),
}
_DID_NOT_WORK = N_("That did not work")


def status_of(error: Error) -> int:
    """HTTP status for an unstalk error: the person's input, or something on this computer."""
    if isinstance(error, UploadTooLarge):
        return 413
    if isinstance(error, UsageError):
        return 400
    return 500


async def unstalk_error(request: Request, exc: Exception) -> Response:
    """Show :meth:`unstalk.errors.Error.diagnostics`: what happened, then what to do."""
    if not isinstance(exc, Error):
        raise exc
    if isinstance(exc, AppError):
        message, advice = exc.said(web_translator(language_of(request)))
    else:
        # Errors raised deep inside the checks are worded in English only.
        message, _, advice = exc.diagnostics().partition("\n")
    context = {"title": _DID_NOT_WORK, "message": message, "advice": advice}
    return render_page(request, "error.html", context, status_of(exc))


async def refused(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, Refused):
        raise exc
    return render_page(request, exc.template, {"title": exc.title}, exc.status)


async def http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        raise exc
    title, message = _HTTP_TITLES.get(
        exc.status_code, (_DID_NOT_WORK, N_("The app could not answer this request."))
    )
    tr = web_translator(language_of(request))
    context = {
        "title": title,
        "message": tr.gettext(message),
        "advice": tr.gettext(N_("Go back to the start page.")),
    }
    return render_page(request, "error.html", context, exc.status_code)


async def invalid_request(request: Request, exc: Exception) -> Response:
    tr = web_translator(language_of(request))
    context = {
        "title": _DID_NOT_WORK,
        "message": tr.gettext(N_("The form did not arrive as expected.")),
        "advice": tr.gettext(N_("Go back, reload the page and try again.")),
    }
    return render_page(request, "error.html", context, 400)


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(Error, unstalk_error)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
