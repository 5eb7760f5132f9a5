"""Middleware that every request passes: host check, security headers, session and CSRF.

Order (outermost first): :class:`GuardMiddleware` refuses foreign ``Host``
headers, stamps the security headers on every response and turns unexpected
failures into a plain page; :class:`CsrfMiddleware` attaches the session and
refuses any state-changing request without the session's token.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Collection
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unstalk.web.i18n import N_, negotiate
from unstalk.web.sessions import CSRF_FIELD, SESSION_COOKIE, Session, SessionStore
from unstalk.web.views import render_html

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    # A shared computer must not keep copies of what was looked up.
    "cache-control": "no-store",
    "pragma": "no-cache",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}

ANY_HOST = "*"
"""In ``allowed_hosts``: accept every Host header (the app was bound to all interfaces)."""

MAX_FORM_BYTES = 1024 * 1024
"""Largest url-encoded form body accepted; file uploads are streamed instead."""

MAX_FORM_FIELDS = 100

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPE = "application/x-www-form-urlencoded"


class Refused(Exception):
    """A request the middleware answers itself, with a plain page."""

    def __init__(self, status: int, template: str, title: str) -> None:
        super().__init__(title)
        self.status = status
        self.template = template
        self.title = title

    @classmethod
    def csrf(cls) -> Refused:
        return cls(403, "forbidden.html", N_("This form has expired"))

    @classmethod
    def too_large(cls) -> Refused:
        return cls(413, "too_large.html", N_("Too much at once"))


def host_name(header: str) -> str:
    """The host part of a ``Host`` header, without port or IPv6 brackets, lower case."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else ""
    name, _, port = value.rpartition(":")
    return name if name and port.isdigit() else value


def is_loopback(name: str) -> bool:
    """Whether a host name or address always means this computer."""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(header: str | None, allowed_hosts: Collection[str]) -> bool:
    """Loopback names always; other names only when the app was started for them.

    A web page elsewhere can make its own domain resolve to 127.0.0.1 (DNS
    rebinding) and then read this app; its requests still carry its own name
    in ``Host``, which is what this refuses.
    """
    if ANY_HOST in allowed_hosts:
        return True
    if not header:
        return False
    name = host_name(header)
    return is_loopback(name) or name in allowed_hosts


async def _send_response(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    await response(scope, receive, send)


class GuardMiddleware:
    def __init__(self, app: ASGIApp, allowed_hosts: Collection[str] = ()) -> None:
        self.app = app
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        headers = Headers(scope=scope)
        lang = negotiate(headers.get("accept-language"))
        if not host_allowed(headers.get("host"), self.allowed_hosts):
            title = N_("Address not accepted")
            page = render_html("refused_host.html", {"title": title}, 400, lang=lang)
            await _send_response(page, scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Whatever failed, the person sees a plain page, never a traceback.
            log.exception("unexpected error while answering %s", scope.get("path"))
            if started:
                raise
            context = {"title": N_("Something went wrong"), "message": ""}
            page = render_html("error.html", context, 500, lang=_chosen(scope) or lang)
            await _send_response(page, scope, receive, send_with_headers)


def _chosen(scope: Scope) -> str | None:
    """The language chosen in the request's session, once the session middleware ran."""
    session = scope.get("state", {}).get("session")
    return session.lang if isinstance(session, Session) else None


class CsrfMiddleware:
    """Attach the session; refuse state-changing requests without the session's token.

    URL-encoded forms are checked here. ``multipart/form-data`` is accepted
    only on ``streamed_paths``, whose handlers read the token from the stream
    before any file data (see :mod:`unstalk.web.upload`), so a large upload is
    never buffered just to find the token.
    """

    def __init__(
        self, app: ASGIApp, store: SessionStore, streamed_paths: Collection[str] = ()
    ) -> None:
        self.app = app
        self.store = store
        self.streamed_paths = frozenset(streamed_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = cookie_parser(headers.get("cookie", ""))
        session, created = self.store.get_or_create(cookies.get(SESSION_COOKIE))
        scope.setdefault("state", {})["session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and created:
                response_headers = MutableHeaders(scope=message)
                already = response_headers.getlist("set-cookie")
                if not any(c.startswith(f"{SESSION_COOKIE}=") for c in already):
                    response_headers.append(
                        "set-cookie",
                        f"{SESSION_COOKIE}={session.id}; Path=/; HttpOnly; SameSite=Strict",
                    )
            await send(message)

        if scope["method"] in _SAFE_METHODS:
            await self.app(scope, receive, send_with_cookie)
            return
        try:
            receive = await self._checked_receive(scope, headers, receive)
        except Refused as refusal:
            lang = session.lang or negotiate(headers.get("accept-language"))
            # The token lets the header's language chooser work on the refusal page too.
            context = {"title": refusal.title, "csrf_token": self.store.csrf_token(session)}
            page = render_html(refusal.template, context, refusal.status, lang=lang)
            await _send_response(page, scope, receive, send_with_cookie)
            return
        await self.app(scope, receive, send_with_cookie)

    async def _checked_receive(self, scope: Scope, headers: Headers, receive: Receive) -> Receive:
        """A receive callable replaying the checked body; raises :class:`Refused`."""
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            raise Refused.csrf()
        content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        if content_type == "multipart/form-data" and scope["path"] in self.streamed_paths:
            return receive
        if content_type != _FORM_TYPE:
            raise Refused.csrf()
        body = await _read_body(receive, MAX_FORM_BYTES)
        try:
            fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FORM_FIELDS)
        except ValueError as e:
            raise Refused.too_large() from e
        if not self.store.csrf_ok(scope["state"]["session"], (fields.get(CSRF_FIELD) or [""])[0]):
            raise Refused.csrf()
        return _replay(body, receive)


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; raises :class:`Refused` past ``limit`` or on disconnect."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Refused.csrf()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refused.too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
