"""Per-browser sessions kept in memory only, and the CSRF tokens tied to them.

The cookie carries nothing but a random id. What a session holds (whether the
safety notes were accepted, the last look-up result) lives in this process's
memory and is gone on quick exit or when the app stops: nothing about a check
is written to disk, which matters on a shared computer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock

from unstalk.cases import CaseContent
from unstalk.web.results import LookupResult

SESSION_COOKIE = "unstalk_session"
CSRF_FIELD = "csrf_token"

_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(slots=True)
class Session:
    """What the app remembers about one browser until quick exit or shutdown."""

    id: str
    consented: bool = False
    last_result: LookupResult | None = field(default=None, repr=False)
    open_case: tuple[str, CaseContent] | None = field(default=None, repr=False)
    """A kept case opened with its passphrase: its id and content, until quick exit."""
    lang: str | None = None
    """The language chosen with the chooser; until then the browser's preference counts."""


class SessionStore:
    """Sessions by id, oldest dropped first once ``limit`` is reached.

    Only ids this store issued are accepted: a cookie set by anything else (for
    example another program on this computer, since cookies are not kept apart
    by port) starts a fresh session instead of joining one.
    """

    def __init__(self, limit: int = 64, *, on_discard: Callable[[str], None] | None = None) -> None:
        self._limit = limit
        self._on_discard = on_discard
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = Lock()
        self._secret = secrets.token_bytes(32)

    def get_or_create(self, session_id: str | None) -> tuple[Session, bool]:
        """Return the session for this cookie value, and whether it was just created."""
        with self._lock:
            if session_id and _SESSION_ID.match(session_id) and session_id in self._sessions:
                self._sessions.move_to_end(session_id)
                return self._sessions[session_id], False
            session = Session(secrets.token_urlsafe(32))
            self._sessions[session.id] = session
            dropped = []
            while len(self._sessions) > self._limit:
                dropped.append(self._sessions.popitem(last=False)[0])
        for old in dropped:
            self._discarded(old)
        return session, True

    def discard(self, session_id: str) -> None:
        """Forget a session and everything it held (its checks and their files too)."""
        with self._lock:
            self._sessions.pop(session_id, None)
        self._discarded(session_id)

    def _discarded(self, session_id: str) -> None:
        # Outside the lock: deleting a session's files may take a moment.
        if self._on_discard is not None:
            self._on_discard(session_id)

    def csrf_token(self, session: Session) -> str:
        """The token forms of this session must send back (signed double submit).

        It is derived from the session id with a key that never leaves this
        process, so a page that can plant a cookie still cannot forge a token.
        """
        return hmac.new(self._secret, session.id.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        """Whether ``token`` is this session's CSRF token."""
        if not token:
            return False
        return hmac.compare_digest(self.csrf_token(session), token)
