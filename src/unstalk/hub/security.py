"""Security headers on every answer of the hub (the same policy as the local app)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unstalk.web.security import SECURITY_HEADERS

_RAW_HEADERS = [
    (name.encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()
]
_NAMES = frozenset(name for name, _ in _RAW_HEADERS)


def _add_headers(message: Message) -> None:
    # One pass over the answer's few headers and prepared bytes: the look-ups' hot path.
    # A header of the policy that the answer set itself is replaced, never doubled.
    headers = [
        (name, value) for name, value in message.get("headers", ()) if name.lower() not in _NAMES
    ]
    headers.extend(_RAW_HEADERS)
    message["headers"] = headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_headers(message)
            await send(message)

        await self.app(scope, receive, send_with_headers)
