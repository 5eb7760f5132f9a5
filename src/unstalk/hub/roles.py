"""Roles, API key scopes and organisation kinds, and the one permission check."""

from __future__ import annotations

from enum import StrEnum

from unstalk.hub.errors import Forbidden


class Role(StrEnum):
    """What a user may do, each role including the ones before it."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    ORG_ADMIN = "org_admin"
    COALITION_ADMIN = "coalition_admin"

    @property
    def rank(self) -> int:
        return _ROLE_ORDER.index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_ROLE_ORDER = (Role.VIEWER, Role.ANALYST, Role.ORG_ADMIN, Role.COALITION_ADMIN)


class Scope(StrEnum):
    """What an API key may be used for; the user's role still applies on top."""

    READ = "read"
    WRITE = "write"
    SAMPLES = "samples"
    VOTE = "vote"
    ADMIN = "admin"


class OrgKind(StrEnum):
    SECURITY_VENDOR = "security_vendor"
    NGO = "ngo"
    SURVIVOR_SUPPORT = "survivor_support"
    ACADEMIC = "academic"
    LAW_ENFORCEMENT = "law_enforcement"
    COALITION = "coalition"


ROLE_LABELS = {
    Role.VIEWER: "Viewer",
    Role.ANALYST: "Analyst",
    Role.ORG_ADMIN: "Organisation admin",
    Role.COALITION_ADMIN: "Coalition admin",
}


def require_role(role: Role, needed: Role, action: str) -> None:
    """Raise :class:`Forbidden` unless ``role`` is ``needed`` or above."""
    if not role.at_least(needed):
        raise Forbidden(f"Only a {ROLE_LABELS[needed].lower()} or above may {action}.")
