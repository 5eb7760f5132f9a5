"""API keys: ``uh_`` and a random secret, shown once; the hub keeps only its SHA-256.

Keys carry 256 bits of randomness, so a fast hash is enough: there is no
password to guess. Scopes narrow what a key may do; the owner's role still
applies on top.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import chain

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, UOWTransaction

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
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

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
    return KeyUse(row.id, row.last_used_at, principal, row.expires_at)


def key_principal(session: Session, key: ApiKey) -> Principal | None:
    scopes = frozenset(Scope(value) for value in key.scopes)
    return load_principal(session, key.user_id, scopes=scopes, key_id=key.id)


def needs_last_use_update(key: ApiKey, now: datetime) -> bool:
    return key.last_used_at is None or now - key.last_used_at >= LAST_USE_PRECISION


def mark_used(session: Session, key_id: int, now: datetime) -> None:
    # A statement rather than a change to a loaded object: the flush watcher below then does
    # not take a last-use update for a change of the key, so cached keys stay cached.
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


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


_ACCOUNTS_CHANGED = "unstalk.hub.accounts.changed"


class AccountsGeneration:
    """Raised after every commit that changed a key, a user or an organisation in this process,
    so cached keys are checked again at once (revoked, deactivated, role or clearance changed)."""

    value = 0


@event.listens_for(Session, "before_flush")
def _watch_accounts(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(item, (ApiKey, User, Organisation)) for item in changed):
        session.info[_ACCOUNTS_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _accounts_committed(session: Session) -> None:
    if session.info.pop(_ACCOUNTS_CHANGED, False):
        AccountsGeneration.value += 1


@event.listens_for(Session, "after_rollback")
def _accounts_rolled_back(session: Session) -> None:
    session.info.pop(_ACCOUNTS_CHANGED, None)


@dataclass(slots=True)
class _Cached:
    use: KeyUse
    generation: int
    checked: float


class KeyCache:
    """Usable keys by the SHA-256 of their secret, so most API requests need no database.

    An entry is trusted for ``ttl_seconds`` at most, and not at all once this process
    committed a change to any key, user or organisation: a revocation made through this
    process counts at once, one made through another process (another worker, the CLI)
    within ``ttl_seconds``. Expiry is checked on every use. Unknown secrets are never cached.
    """

    def __init__(
        self,
        *,
        ttl_seconds: float = 1.0,
        max_entries: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._monotonic = monotonic
        self._entries: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def authenticate(
        self, secret: str, now: datetime, load: Callable[[str], KeyUse | None]
    ) -> KeyUse | None:
        """The usable key for ``secret``, from the cache or else from ``load(secret)``."""
        if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
            return None
        digest = key_hash(secret)
        generation = AccountsGeneration.value
        cached = self._entries.get(digest)
        if (
            cached is not None
            and cached.generation == generation
            and self._monotonic() - cached.checked < self.ttl_seconds
        ):
            return None if cached.use.expired(now) else cached.use
        # The generation is read before the database, so a change committed meanwhile
        # leaves this entry already stale.
        checked = self._monotonic()
        use = load(secret)
        with self._lock:
            if use is None:
                self._entries.pop(digest, None)
                return None
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[digest] = _Cached(use, generation, checked)
        return use

    def note_used(self, secret: str, now: datetime) -> None:
        """Remember that the key's last use was just written, so it is not written again soon."""
        cached = self._entries.get(key_hash(secret))
        if cached is not None:
            cached.use = replace(cached.use, last_used_at=now)
