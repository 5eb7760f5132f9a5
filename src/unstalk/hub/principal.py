"""Who is making a request: a signed-in user, or a user through one of their API keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.feed.model import TLP
from unstalk.hub.db import Organisation, User
from unstalk.hub.errors import Forbidden
from unstalk.hub.roles import Role, Scope, require_role

ALL_SCOPES = frozenset(Scope)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    email: str
    role: Role
    org_id: int
    org_name: str
    clearance: TLP
    may_download_samples: bool
    scopes: frozenset[Scope] = ALL_SCOPES
    """What this request may do: every scope in a browser session, the key's scopes via API."""
    key_id: int | None = None
    csrf_token: str = ""

    def require(self, role: Role, action: str, scope: Scope = Scope.READ) -> None:
        """Raise :class:`Forbidden` unless the user's role and this request's scopes allow it."""
        require_role(self.role, role, action)
        if scope not in self.scopes:
            raise Forbidden(
                f"This API key may not {action}: it lacks the '{scope.value}' scope.",
                advice="Create a key with that scope on the API keys page.",
            )

    @property
    def is_coalition_admin(self) -> bool:
        return self.role is Role.COALITION_ADMIN


def load_principal(
    session: Session,
    user_id: int,
    *,
    scopes: frozenset[Scope] = ALL_SCOPES,
    key_id: int | None = None,
    csrf_token: str = "",
) -> Principal | None:
    """The principal for an active user of an active organisation, else None."""
    row = session.execute(
        select(User, Organisation)
        .join(Organisation, User.org_id == Organisation.id)
        .where(User.id == user_id, User.active.is_(True), Organisation.active.is_(True))
    ).first()
    if row is None:
        return None
    user, org = row
    return Principal(
        user_id=user.id,
        email=user.email,
        role=user.role,
        org_id=org.id,
        org_name=org.name,
        clearance=org.clearance,
        may_download_samples=org.may_download_samples,
        scopes=scopes,
        key_id=key_id,
        csrf_token=csrf_token,
    )
