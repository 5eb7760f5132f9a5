"""What every route shares: the hub's context, who is asking, page rendering, error pages.

The JSON API (``/api/...``) accepts only ``Authorization: Bearer`` API keys,
never cookies, so a web page elsewhere cannot make a signed-in browser call
it. The pages accept only the session cookie, and every form they send must
carry the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ValidationError

from unstalk import __version__
from unstalk.errors import Error
from unstalk.hub.apikeys import KeyCache, KeyUse, authenticate, mark_used
from unstalk.hub.auth import csrf_matches, session_principal
from unstalk.hub.db import Database
from unstalk.hub.errors import CsrfRefused, HubError, InvalidInput, NotSignedIn, RateLimited
from unstalk.hub.passwords import Passwords
from unstalk.hub.principal import Principal
from unstalk.hub.ratelimit import RateLimiter
from unstalk.hub.roles import ROLE_LABELS, Role
from unstalk.hub.settings import HubSettings

SESSION_COOKIE = "unstalk_hub_session"
LOGIN_CSRF_COOKIE = "unstalk_hub_login"
CSRF_FIELD = "csrf_token"
API_PREFIX = "/api"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class HubContext:
    settings: HubSettings
    db: Database
    passwords: Passwords
    limiter: RateLimiter
    clock: Callable[[], datetime]
    templates: Jinja2Templates
    keys: KeyCache = field(default_factory=KeyCache)


def hub_of(request: Request) -> HubContext:
    context: HubContext = request.app.state.hub
    return context


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=PackageLoader("unstalk.hub", "templates"),
        autoescape=select_autoescape(default=True),
    )
    env.globals["version"] = __version__
    env.globals["role_labels"] = ROLE_LABELS
    env.globals["Role"] = Role
    return Jinja2Templates(env=env)


def page(
    request: Request,
    template: str,
    context: Mapping[str, object],
    *,
    user: Principal | None,
    status: int = 200,
) -> HTMLResponse:
    values = {"title": "", **context, "user": user, "csrf_field": CSRF_FIELD}
    return hub_of(request).templates.TemplateResponse(request, template, values, status_code=status)


def signed_in_user(request: Request) -> Principal | None:
    """The signed-in user of a page request, or None."""
    hub = hub_of(request)
    with hub.db.reader() as session:
        return session_principal(session, request.cookies.get(SESSION_COOKIE), now=hub.clock())


def browser_user(request: Request) -> Principal:
    """The signed-in user of a page request; raises :class:`NotSignedIn`."""
    principal = signed_in_user(request)
    if principal is None:
        raise NotSignedIn()
    return principal


def check_same_origin(request: Request) -> None:
    """Browsers say where a request came from; refuse forms posted from other sites."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise CsrfRefused()


def form_user(request: Request, csrf_token: Annotated[str, Form()] = "") -> Principal:
    """The signed-in user of a form submission whose CSRF token is the session's."""
    check_same_origin(request)
    principal = browser_user(request)
    if not csrf_matches(principal, csrf_token):
        raise CsrfRefused()
    return principal


def key_use(hub: HubContext, secret: str) -> KeyUse:
    """The usable key behind ``secret``, once it passed its rate limit; raises
    :class:`NotSignedIn` for an unknown, revoked or expired key.

    Keys come from the process's :class:`KeyCache`, so a look-up with a known key needs no
    database; the last use is written at most once a minute per key and process.
    """
    now = hub.clock()
    use = hub.keys.authenticate(secret, now, lambda s: _load_key(hub, s, now))
    if use is None:
        raise NotSignedIn("This API key is unknown, revoked or expired.")
    hub.limiter.take(use.key_id)
    if use.needs_last_use_update(now):
        with hub.db.writer() as session:
            mark_used(session, use.key_id, now)
        hub.keys.note_used(secret, now)
    return use


def _load_key(hub: HubContext, secret: str, now: datetime) -> KeyUse | None:
    with hub.db.reader() as session:
        return authenticate(session, secret, now=now)


def api_user(request: Request) -> Principal:
    """The owner of the request's API key, once it passed the key's rate limit."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotSignedIn("This API needs a key: send 'Authorization: Bearer uh_...'.")
    return key_use(hub_of(request), secret.strip()).principal


def parse(model: type[M], data: Mapping[str, object]) -> M:
    """Validate form or JSON data into ``model``, with a message a person can act on."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'form'}: {err['msg']}"
            for err in e.errors(include_url=False)
        )
        raise InvalidInput(f"Some of what was sent is not valid: {problems}.") from e


def secure_cookie(request: Request) -> bool:
    return hub_of(request).settings.secure_cookies or request.url.scheme == "https"


def error_response(request: Request, error: Error) -> Response:
    """The one rendering of an :class:`unstalk.errors.Error`: JSON for the API, a page otherwise."""
    status = error.status if isinstance(error, HubError) else 400
    headers = {"retry-after": str(error.retry_after)} if isinstance(error, RateLimited) else {}
    if request.url.path.startswith(API_PREFIX):
        body = {"error": error.message, "advice": error.advice}
        return JSONResponse(body, status_code=status, headers=headers)
    if isinstance(error, NotSignedIn) and request.method in ("GET", "HEAD"):
        return RedirectResponse("/login", status_code=303)
    response = page(
        request,
        "error.html",
        {"title": "That did not work", "message": error.message, "advice": error.advice},
        user=None,
        status=status,
    )
    response.headers.update(headers)
    return response
