"""What families and indicators share: ownership, named organisations, revocations, audit.

Only the source organisation's analysts and admins change an object; everyone
whose organisation may see it (see :mod:`unstalk.hub.visibility`) reads it.
Named organisations (``object_shares``) only mean something for AMBER+STRICT
and RED, so naming them on another label is refused rather than kept unused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from unstalk.feed.model import TLP
from unstalk.hub.audit import record
from unstalk.hub.db import AuditEntry, Family, Indicator, ObjectShare, Organisation
from unstalk.hub.db.intel import RecordStatus, SharedMixin
from unstalk.hub.errors import Conflict, Forbidden, InvalidInput
from unstalk.hub.indicators.schemas import Revocation
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.visibility import NAMED_ONLY, tlp_rank

_CHANGED = "unstalk.indicators.changed"


class Generation:
    """A counter raised after every committed change, so cached indexes know they are stale."""

    value = 0


def mark_changed(session: Session) -> None:
    """Note that this transaction changes families, indicators or shares."""
    session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        Generation.value += 1


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def require_owner(actor: Principal, obj: SharedMixin, action: str) -> None:
    """Analysts and admins of the source organisation may change an object; nobody else."""
    actor.require(Role.ANALYST, action, Scope.WRITE)
    if obj.source_org_id != actor.org_id:
        raise Forbidden(
            f"Only the organisation that shared this object may {action}.",
            advice="Ask its source organisation, or propose a change through a dispute.",
        )


def revoke(
    session: Session, actor: Principal, obj: Family | Indicator, noun: str, reason: str
) -> None:
    """Mark a family or indicator revoked with the reason, as its owner, and audit it.

    ``noun`` names the object in the refusal and the audit action (``family.revoked``).
    """
    require_owner(actor, obj, f"revoke this {noun}")
    if obj.status is RecordStatus.REVOKED:
        raise Conflict(f"This {noun} is revoked already.")
    before = obj.status.value
    obj.status = RecordStatus.REVOKED
    obj.revoked_reason = reason
    details = {"before": {"status": before}, "after": {"status": "revoked"}, "reason": reason}
    record(session, actor, f"{noun}.revoked", obj, details)
    mark_changed(session)


def check_label(actor: Principal, tlp: TLP) -> None:
    """Nobody labels an object above what their own organisation may see."""
    if tlp_rank(tlp) > tlp_rank(actor.clearance):
        raise InvalidInput(
            f"Your organisation's clearance is TLP:{actor.clearance.value.upper()}; "
            f"it cannot share objects labelled TLP:{tlp.value.upper()}."
        )


def set_shares(
    session: Session, obj: SharedMixin, tlp: TLP, org_ids: Iterable[int], *, object_id: int
) -> list[int]:
    """Replace the organisations named on ``obj``; returns them sorted."""
    wanted = sorted(set(org_ids) - {obj.source_org_id})
    if wanted and tlp not in NAMED_ONLY:
        raise InvalidInput(
            "Organisations are named only on AMBER+STRICT and RED objects; "
            f"TLP:{tlp.value.upper()} already reaches every organisation cleared for it."
        )
    known = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted))))
    missing = [org for org in wanted if org not in known]
    if missing:
        raise InvalidInput(f"There is no organisation with id {', '.join(map(str, missing))}.")
    table = obj.__tablename__  # type: ignore[attr-defined]
    session.execute(
        delete(ObjectShare).where(
            ObjectShare.object_type == table, ObjectShare.object_id == object_id
        )
    )
    session.add_all(ObjectShare(object_type=table, object_id=object_id, org_id=o) for o in wanted)
    return wanted


def shares_of(session: Session, table: str, ids: Iterable[int]) -> dict[int, list[int]]:
    """The organisations named on each object (ids), by object id."""
    found: dict[int, list[int]] = {}
    wanted = list(ids)
    if not wanted:
        return found
    rows = session.execute(
        select(ObjectShare.object_id, ObjectShare.org_id)
        .where(ObjectShare.object_type == table, ObjectShare.object_id.in_(wanted))
        .order_by(ObjectShare.org_id)
    )
    for object_id, org_id in rows:
        found.setdefault(object_id, []).append(org_id)
    return found


def revocations_of(
    session: Session, table: str, action: str, revoked: Mapping[int, str]
) -> dict[int, Revocation]:
    """Who revoked each object and when, from the audit log; ``revoked`` maps id to reason."""
    if not revoked:
        return {}
    rows = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.object_type == table,
            AuditEntry.action == action,
            AuditEntry.object_id.in_([str(i) for i in revoked]),
        )
        .order_by(AuditEntry.id)
    )
    entries = {int(entry.object_id): entry for entry in rows}
    result = {}
    for object_id, reason in revoked.items():
        entry = entries.get(object_id)
        by = entry.actor_label if entry else "unknown"
        result[object_id] = Revocation(reason=reason, by=by, at=entry.at if entry else None)
    return result


def org_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))
    )
    return {row[0]: row[1] for row in rows}


def plain(value: object) -> object:
    """A column value as JSON for the audit log."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, object]:
    return {name: plain(getattr(obj, name)) for name in fields}


def changes(
    before: Mapping[str, object], after: Mapping[str, object]
) -> dict[str, dict[str, object]]:
    """``{"before": {...}, "after": {...}}`` with only the fields that changed."""
    changed = [name for name in after if before.get(name) != after[name]]
    return {
        "before": {name: before.get(name) for name in changed},
        "after": {name: after[name] for name in changed},
    }
