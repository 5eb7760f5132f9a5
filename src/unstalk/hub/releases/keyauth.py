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

from unstalk.hub.errors import NotSignedIn
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.web import hub_of, key_use


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
    principal = key_use(hub_of(request), secret).principal
    principal.require(Role.VIEWER, action, Scope.READ)
    return principal
