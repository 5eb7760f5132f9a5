"""API bodies and answers: one pydantic model per shape, used by the services and FastAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from unstalk.feed.model import TLP
from unstalk.hub.roles import OrgKind, Role, Scope

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
Country = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)


class UserIn(_Body):
    email: Email
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    role: Role = Role.VIEWER
    password: Annotated[str, Field(repr=False)]
    """The first password; at least 12 characters."""


class UserPatch(_Body):
    role: Role | None = None
    active: bool | None = None


class UserOut(_Out):
    id: int
    org_id: int
    email: str
    display_name: str
    role: Role
    active: bool
    last_login_at: datetime | None
    created_at: datetime


class OrgIn(_Body):
    name: Name
    kind: OrgKind
    country: Country
    clearance: TLP = TLP.GREEN
    may_download_samples: bool = False
    admin: UserIn
    """The organisation's first administrator (created with the org admin role)."""


class OrgPatch(_Body):
    kind: OrgKind | None = None
    country: Country | None = None
    clearance: TLP | None = None
    may_download_samples: bool | None = None
    active: bool | None = None


class OrgOut(_Out):
    id: int
    name: str
    kind: OrgKind
    country: str
    clearance: TLP
    may_download_samples: bool
    active: bool
    created_at: datetime


class KeyIn(_Body):
    name: Name
    scopes: frozenset[Scope] = frozenset({Scope.READ})
    expires_at: datetime | None = None


class KeyOut(_Out):
    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(_Body):
    key: KeyOut
    secret: str
    """The key itself: shown this once, never again."""


class AuditOut(_Out):
    id: int
    at: datetime
    actor_label: str
    actor_org_id: int | None
    action: str
    object_type: str
    object_id: str
    details: dict[str, object]


class MeOut(_Body):
    user_id: int
    email: str
    role: Role
    org_id: int
    org_name: str
    clearance: TLP
    may_download_samples: bool
    scopes: list[Scope]
