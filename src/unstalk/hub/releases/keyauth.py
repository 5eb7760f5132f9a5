"""API keys sent the ways feed tools send them: a Bearer token, or a Basic password.

TAXII clients and MISP feed subscriptions often can send only HTTP Basic
credentials or a fixed header, so these endpoints take the hub API key either
way (the Basic user name is ignored). The key's rate limit and last use apply
as on the JSON API.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import Request

from unstalk.hub.apikeys import authenticate, mark_used
from unstalk.hub.errors import NotSignedIn
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.web import hub_of


def has_credentials(request: Request) -> bool:
    return bool(request.headers.get("authorization", "").strip())


def _secret(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


def key_user(request: Request, action: str) -> Principal:
    """The owner of the API key sent as a Bearer token or a Basic password."""
    secret = _secret(request)
    if not secret:
        raise NotSignedIn("Send a hub API key, as a Bearer token or as a Basic password.")
    hub = hub_of(request)
    now = hub.clock()
    with hub.db.reader() as session:
        use = authenticate(session, secret, now=now)
    if use is None:
        raise NotSignedIn("This API key is unknown, revoked or expired.")
    hub.limiter.take(use.key_id)
    if use.needs_last_use_update(now):
        with hub.db.writer() as session:
            mark_used(session, use.key_id, now)
    principal = use.principal
    principal.require(Role.VIEWER, action, Scope.READ)
    return principal
