"""API keys: ``uh_`` and a random secret, shown once; the hub keeps only its SHA-256.

Keys carry 256 bits of randomness, so a fast hash is enough: there is no
password to guess. Scopes narrow what a key may do; the owner's role still
applies on top.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.hub.audit import record
from unstalk.hub.db import ApiKey, Organisation, User
from unstalk.hub.errors import InvalidInput, NotFound
from unstalk.hub.principal import Principal, load_principal
from unstalk.hub.roles import Role, Scope

KEY_PREFIX = "uh_"
LAST_USE_PRECISION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key, not on every request."""

SCOPE_MIN_ROLE = {
    Scope.READ: Role.VIEWER,
    Scope.WRITE: Role.ANALYST,
    Scope.SAMPLES: Role.ANALYST,
    Scope.VOTE: Role.ANALYST,
    Scope.ADMIN: Role.ORG_ADMIN,
}


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session,
    owner: Principal,
    name: str,
    scopes: frozenset[Scope],
    *,
    expires_at: datetime | None,
    now: datetime,
) -> tuple[ApiKey, str]:
    """A new key for ``owner`` and its secret (never stored, never shown again)."""
    if not name.strip():
        raise InvalidInput("Give the key a name, so you can tell it apart later.")
    if not scopes:
        raise InvalidInput("Choose at least one scope for the key.")
    for scope in scopes:
        if not owner.role.at_least(SCOPE_MIN_ROLE[scope]):
            raise InvalidInput(f"Your role does not allow keys with the '{scope.value}' scope.")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("The expiry date is in the past.")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        user_id=owner.user_id,
        name=name.strip()[:200],
        prefix=secret[:10],
        key_hash=key_hash(secret),
        scopes=sorted(scope.value for scope in scopes),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(key)
    record(session, owner, "api_key.created", key, {"scopes": key.scopes, "name": key.name})
    return key, secret


def find_key(session: Session, secret: str, *, now: datetime) -> ApiKey | None:
    """The usable key for ``secret``: not revoked, not expired; None otherwise."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash(secret))).first()
    if key is None or key.revoked_at is not None:
        return None
    if key.expires_at is not None and key.expires_at <= now:
        return None
    return key


@dataclass(frozen=True, slots=True)
class KeyUse:
    """A usable key's id, its last use and its owner, as one query finds them."""

    key_id: int
    last_used_at: datetime | None
    principal: Principal

    def needs_last_use_update(self, now: datetime) -> bool:
        return self.last_used_at is None or now - self.last_used_at >= LAST_USE_PRECISION


_KEY_USE = (
    select(
        ApiKey.id,
        ApiKey.scopes,
        ApiKey.expires_at,
        ApiKey.last_used_at,
        User.id.label("user_id"),
        User.email,
        User.role,
        Organisation.id.label("org_id"),
        Organisation.name,
        Organisation.clearance,
        Organisation.may_download_samples,
    )
    .join(User, User.id == ApiKey.user_id)
    .join(Organisation, Organisation.id == User.org_id)
    .where(ApiKey.revoked_at.is_(None), User.active.is_(True), Organisation.active.is_(True))
)


def authenticate(session: Session, secret: str, *, now: datetime) -> KeyUse | None:
    """What :func:`find_key` and :func:`key_principal` find together, in one query.

    Every API request pays for this, so it reads columns rather than whole objects.
    """
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    row = session.execute(_KEY_USE.where(ApiKey.key_hash == key_hash(secret))).first()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    principal = Principal(
        user_id=row.user_id,
        email=row.email,
        role=row.role,
        org_id=row.org_id,
        org_name=row.name,
        clearance=row.clearance,
        may_download_samples=row.may_download_samples,
        scopes=frozenset(Scope(value) for value in row.scopes),
        key_id=row.id,
    )
    return KeyUse(row.id, row.last_used_at, principal)


def key_principal(session: Session, key: ApiKey) -> Principal | None:
    scopes = frozenset(Scope(value) for value in key.scopes)
    return load_principal(session, key.user_id, scopes=scopes, key_id=key.id)


def needs_last_use_update(key: ApiKey, now: datetime) -> bool:
    return key.last_used_at is None or now - key.last_used_at >= LAST_USE_PRECISION


def mark_used(session: Session, key_id: int, now: datetime) -> None:
    key = session.get(ApiKey, key_id)
    if key is not None:
        key.last_used_at = now


def list_keys(session: Session, owner: Principal) -> Sequence[ApiKey]:
    """The owner's own keys, newest first (an admin manages their own keys only)."""
    return session.scalars(
        select(ApiKey).where(ApiKey.user_id == owner.user_id).order_by(ApiKey.id.desc())
    ).all()


def revoke_key(session: Session, owner: Principal, key_id: int, *, now: datetime) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != owner.user_id:
        raise NotFound("There is no such API key among yours.")
    if key.revoked_at is None:
        key.revoked_at = now
        record(session, owner, "api_key.revoked", key, {"name": key.name})
    return key
