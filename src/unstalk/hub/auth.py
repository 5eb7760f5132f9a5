"""Sign-in with e-mail and password, lockout after repeated failures, server-side sessions.

The browser's cookie holds a random token; the database keeps only its
SHA-256, so a copy of the database does not let anyone take over a session.
Each session has its own CSRF token that every form must send back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from unstalk.hub.audit import record
from unstalk.hub.db import LoginSession, Organisation, User
from unstalk.hub.passwords import Passwords
from unstalk.hub.principal import Principal, load_principal


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    max_failures: int = 5
    """Failed attempts in a row before the account is locked."""
    lockout: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A token for the cookie when sign-in worked, else None (the reason is in the audit log)."""

    token: str | None
    principal: Principal | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def login(
    session: Session,
    passwords: Passwords,
    email: str,
    password: str,
    *,
    now: datetime,
    policy: LoginPolicy,
) -> LoginResult:
    """Check the credentials and open a session; every attempt is audited.

    A locked account is refused even with the right password, and the answer
    is the same as for a wrong password, so attempts learn nothing about which
    accounts exist or are locked.
    """
    address = normalise_email(email)[:320]
    user = session.scalars(select(User).where(User.email == address)).first()
    org = session.get(Organisation, user.org_id) if user is not None else None
    matches = passwords.verify(user.password_hash if user else None, password)
    if user is None or org is None:
        record(session, address, "login.failed", details={"reason": "unknown account"})
        return LoginResult(None, None)
    reason = _refusal(user, org, matches, now)
    if reason:
        _count_failure(user, now, policy, matches)
        record(session, address, "login.failed", user, {"reason": reason})
        return LoginResult(None, None)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    token, csrf = _open_session(session, user.id, now, policy)
    principal = load_principal(session, user.id, csrf_token=csrf)
    if principal is None:
        return LoginResult(None, None)
    record(session, principal, "login.succeeded", user)
    return LoginResult(token, principal)


def _open_session(
    session: Session, user_id: int, now: datetime, policy: LoginPolicy
) -> tuple[str, str]:
    """A new session for the user: the cookie's token and the session's CSRF token."""
    # Expired sessions of this user are dropped here, so the table does not grow forever.
    session.execute(
        delete(LoginSession).where(LoginSession.user_id == user_id, LoginSession.expires_at <= now)
    )
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            user_id=user_id,
            token_hash=hash_token(token),
            csrf_token=csrf,
            created_at=now,
            expires_at=now + policy.session_lifetime,
        )
    )
    return token, csrf


def _refusal(user: User, org: Organisation, matches: bool, now: datetime) -> str:
    if user.locked_until is not None and user.locked_until > now:
        return "account locked"
    if not matches:
        return "wrong password"
    if not user.active:
        return "account deactivated"
    if not org.active:
        return "organisation deactivated"
    return ""


def _count_failure(user: User, now: datetime, policy: LoginPolicy, matches: bool) -> None:
    if user.locked_until is not None and user.locked_until > now:
        return
    if matches:
        return
    user.failed_logins += 1
    if user.failed_logins >= policy.max_failures:
        user.locked_until = now + policy.lockout
        user.failed_logins = 0


def session_principal(session: Session, token: str | None, *, now: datetime) -> Principal | None:
    """The signed-in user behind a session cookie, or None when it is unknown or expired."""
    if not token or len(token) > 100:
        return None
    row = session.scalars(
        select(LoginSession).where(LoginSession.token_hash == hash_token(token))
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return load_principal(session, row.user_id, csrf_token=row.csrf_token)


def logout(session: Session, token: str | None, principal: Principal) -> None:
    """End the session behind ``token``."""
    if token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))
    record(session, principal, "logout")


def end_sessions_of(session: Session, user_id: int) -> None:
    """Sign a user out everywhere (when deactivated or their role changes)."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


def csrf_matches(principal: Principal, token: str) -> bool:
    return (
        bool(token)
        and bool(principal.csrf_token)
        and secrets.compare_digest(principal.csrf_token, token)
    )
