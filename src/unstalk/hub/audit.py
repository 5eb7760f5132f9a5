"""The audit log: one call records every change, sign-in, download and vote.

The app only ever inserts into ``audit_log``; nothing in the hub updates or
deletes an entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, event, inspect, select
from sqlalchemy.orm import Mapper, Session

from unstalk.hub.db import AuditEntry, Base, utcnow
from unstalk.hub.errors import HubError
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope

SYSTEM = "system"


class AuditLogImmutable(HubError):
    status = 500


def _refuse_change(_mapper: Mapper[AuditEntry], _connection: Connection, entry: AuditEntry) -> None:
    raise AuditLogImmutable(f"Audit entry {entry.id} cannot be changed or deleted.")


event.listen(AuditEntry, "before_update", _refuse_change)
event.listen(AuditEntry, "before_delete", _refuse_change)


def record(
    session: Session,
    actor: Principal | str,
    action: str,
    obj: Base | None = None,
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Add one entry; ``actor`` is the principal, or a label when nobody is signed in."""
    object_type = object_id = ""
    if obj is not None:
        if inspect(obj).identity is None:
            session.flush()
        identity = inspect(obj).identity or ()
        object_type = obj.__tablename__
        object_id = ":".join(str(part) for part in identity)
    entry = AuditEntry(
        at=utcnow(),
        actor_user_id=actor.user_id if isinstance(actor, Principal) else None,
        actor_org_id=actor.org_id if isinstance(actor, Principal) else None,
        actor_label=actor.email if isinstance(actor, Principal) else actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=dict(details or {}),
    )
    if isinstance(actor, Principal) and actor.key_id is not None:
        entry.details = {**entry.details, "api_key_id": actor.key_id}
    session.add(entry)
    return entry


def list_entries(
    session: Session, viewer: Principal, *, limit: int = 100, before_id: int | None = None
) -> Sequence[AuditEntry]:
    """Newest first: everything for a coalition admin, their organisation's for an org admin."""
    viewer.require(Role.ORG_ADMIN, "read the audit log", Scope.ADMIN)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 500)))
    if not viewer.is_coalition_admin:
        query = query.where(AuditEntry.actor_org_id == viewer.org_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return session.scalars(query).all()
