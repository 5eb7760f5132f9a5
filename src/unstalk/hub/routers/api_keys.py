"""JSON API: the caller's API keys, and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from unstalk.hub.apikeys import create_key, list_keys, revoke_key
from unstalk.hub.audit import list_entries
from unstalk.hub.principal import Principal
from unstalk.hub.schemas import AuditOut, KeyCreated, KeyIn, KeyOut
from unstalk.hub.web import api_user, hub_of

router = APIRouter(prefix="/api/v1", tags=["keys and audit"])
ApiUser = Annotated[Principal, Depends(api_user)]


@router.get("/keys")
def keys(request: Request, user: ApiUser) -> list[KeyOut]:
    with hub_of(request).db.reader() as session:
        return [KeyOut.model_validate(key) for key in list_keys(session, user)]


@router.post("/keys", status_code=201)
def keys_create(request: Request, user: ApiUser, body: KeyIn) -> KeyCreated:
    """A new key for the caller; the answer holds the secret, which is never shown again."""
    hub = hub_of(request)
    with hub.db.writer() as session:
        key, secret = create_key(
            session, user, body.name, body.scopes, expires_at=body.expires_at, now=hub.clock()
        )
        return KeyCreated(key=KeyOut.model_validate(key), secret=secret)


@router.delete("/keys/{key_id}")
def keys_revoke(request: Request, user: ApiUser, key_id: int) -> KeyOut:
    hub = hub_of(request)
    with hub.db.writer() as session:
        return KeyOut.model_validate(revoke_key(session, user, key_id, now=hub.clock()))


@router.get("/audit")
def audit(
    request: Request,
    user: ApiUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: int | None = None,
) -> list[AuditOut]:
    """Newest first; page back with ``before`` set to the smallest id received."""
    with hub_of(request).db.reader() as session:
        entries = list_entries(session, user, limit=limit, before_id=before)
        return [AuditOut.model_validate(entry) for entry in entries]
