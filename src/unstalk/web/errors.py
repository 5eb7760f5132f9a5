"""One place that turns errors into plain pages, never tracebacks."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from unstalk.errors import Error, UsageError
from unstalk.web.security import Refused
from unstalk.web.upload import UploadTooLarge
from unstalk.web.views import render_html

_HTTP_TITLES = {
    404: ("Page not found", "There is no page at this address in unstalk."),
    405: ("Page not found", "This page cannot be opened this way."),
}


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
    message, _, advice = exc.diagnostics().partition("\n")
    context = {"title": "That did not work", "message": message, "advice": advice}
    return render_html("error.html", context, status_of(exc))


async def refused(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, Refused):
        raise exc
    return render_html(exc.template, {"title": exc.title}, exc.status)


async def http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        raise exc
    title, message = _HTTP_TITLES.get(
        exc.status_code, ("That did not work", "The app could not answer this request.")
    )
    context = {"title": title, "message": message, "advice": "Go back to the start page."}
    return render_html("error.html", context, exc.status_code)


async def invalid_request(request: Request, exc: Exception) -> Response:
    context = {
        "title": "That did not work",
        "message": "The form did not arrive as expected.",
        "advice": "Go back, reload the page and try again.",
    }
    return render_html("error.html", context, 400)


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(Error, unstalk_error)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
