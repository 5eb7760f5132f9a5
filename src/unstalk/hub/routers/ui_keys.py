"""Pages: a user's own API keys (the secret shown once) and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from unstalk.hub.apikeys import SCOPE_MIN_ROLE, create_key, list_keys, revoke_key
from unstalk.hub.audit import list_entries
from unstalk.hub.errors import InvalidInput
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Scope
from unstalk.hub.schemas import KeyIn
from unstalk.hub.web import browser_user, form_user, hub_of, page, parse

router = APIRouter(include_in_schema=False)

MAX_KEY_DAYS = 3650


def _keys_page(request: Request, user: Principal, secret: str = "") -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        keys = list_keys(session, user)
        scopes = [scope for scope in Scope if user.role.at_least(SCOPE_MIN_ROLE[scope])]
        context = {"title": "API keys", "keys": keys, "scopes": scopes, "new_secret": secret}
        return page(request, "keys.html", context, user=user, status=201 if secret else 200)


@router.get("/keys")
def keys_page(request: Request, user: Annotated[Principal, Depends(browser_user)]) -> HTMLResponse:
    return _keys_page(request, user)


@router.post("/keys")
def keys_create(
    request: Request,
    user: Annotated[Principal, Depends(form_user)],
    name: Annotated[str, Form()] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    expires_days: Annotated[str, Form()] = "",
) -> HTMLResponse:
    hub = hub_of(request)
    now = hub.clock()
    data = parse(KeyIn, {"name": name, "scopes": scopes or []})
    days = expires_days.strip()
    if days and not (days.isdigit() and 0 < int(days) <= MAX_KEY_DAYS):
        raise InvalidInput(f"The key's lifetime must be a number of days from 1 to {MAX_KEY_DAYS}.")
    expires_at = now + timedelta(days=int(days)) if days else None
    with hub.db.writer() as session:
        _, secret = create_key(
            session, user, data.name, data.scopes, expires_at=expires_at, now=now
        )
    # Answered directly rather than through a redirect, so the secret is never stored anywhere.
    return _keys_page(request, user, secret)


@router.post("/keys/{key_id}/revoke")
def keys_revoke(
    request: Request, key_id: int, user: Annotated[Principal, Depends(form_user)]
) -> Response:
    hub = hub_of(request)
    with hub.db.writer() as session:
        revoke_key(session, user, key_id, now=hub.clock())
    return RedirectResponse("/keys", status_code=303)


@router.get("/audit")
def audit_page(
    request: Request,
    user: Annotated[Principal, Depends(browser_user)],
    before: int | None = None,
) -> HTMLResponse:
    with hub_of(request).db.reader() as session:
        entries = list_entries(session, user, limit=100, before_id=before)
        context = {"title": "Audit log", "entries": entries}
        return page(request, "audit.html", context, user=user)
