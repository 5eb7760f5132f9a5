"""Families: create, edit and revoke (never delete), each change audited with before and after.

A new family starts unclassified: the coalition classifies it by a consensus
vote. A family's id in feeds (``slug``) never changes once given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.hub.audit import record
from unstalk.hub.db import Family
from unstalk.hub.db.intel import Classification, RecordStatus
from unstalk.hub.errors import Conflict, InvalidInput, NotFound
from unstalk.hub.indicators.schemas import FamilyIn, FamilyOut, FamilyPatch
from unstalk.hub.indicators.shared import (
    changes,
    check_label,
    mark_changed,
    org_names,
    require_owner,
    revocations_of,
    revoke,
    set_shares,
    shares_of,
    snapshot,
)
from unstalk.hub.principal import Principal
from unstalk.hub.roles import Role, Scope
from unstalk.hub.visibility import Viewer, visible

TABLE = "families"
FIELDS = ("slug", "name", "classification", "aliases", "platforms", "websites", "tlp", "status")
_SLUG = re.compile(r"[^a-z0-9]+")


def slug_of(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:100]


def get_family(session: Session, viewer: Viewer, family_id: int) -> Family:
    """The family if ``viewer`` may see it, else :class:`NotFound` (whether it exists or not)."""
    family = session.scalars(visible(select(Family), Family, viewer).where(Family.id == family_id))
    found = family.first()
    if found is None:
        raise NotFound(f"There is no family {family_id} that your organisation may see.")
    return found


def list_families(session: Session, viewer: Viewer) -> Sequence[Family]:
    """Every family ``viewer`` may see, revoked ones included (marked as such)."""
    return session.scalars(visible(select(Family), Family, viewer).order_by(Family.name)).all()


def create_family(session: Session, actor: Principal, data: FamilyIn) -> Family:
    actor.require(Role.ANALYST, "add families", Scope.WRITE)
    check_label(actor, data.tlp)
    slug = data.slug or slug_of(data.name)
    if not slug:
        raise InvalidInput("Give the family a name with letters or digits, or a slug.")
    if session.scalars(select(Family.id).where(Family.slug == slug)).first() is not None:
        raise Conflict(
            f"A family with the id '{slug}' exists already.",
            advice="Give this one another slug, or add indicators to the existing family.",
        )
    family = Family(
        slug=slug,
        name=data.name,
        classification=Classification.UNCLASSIFIED,
        aliases=list(data.aliases),
        platforms=[p.value for p in data.platforms],
        websites=list(data.websites),
        tlp=data.tlp,
        source_org_id=actor.org_id,
        status=RecordStatus.ACTIVE,
        revoked_reason="",
    )
    session.add(family)
    session.flush()
    shared = set_shares(session, family, data.tlp, data.shared_with, object_id=family.id)
    after = {**snapshot(family, FIELDS), "shared_with": shared}
    record(session, actor, "family.created", family, {"after": after})
    mark_changed(session)
    return family


def update_family(session: Session, actor: Principal, family_id: int, patch: FamilyPatch) -> Family:
    family = get_family(session, actor, family_id)
    require_owner(actor, family, "change this family")
    if family.status is RecordStatus.REVOKED:
        raise Conflict("This family is revoked; revoked families stay as they were.")
    before = {**snapshot(family, FIELDS), "shared_with": _shares(session, family)}
    values = patch.model_dump(exclude_unset=True, exclude={"shared_with"})
    if patch.tlp is not None:
        check_label(actor, patch.tlp)
    for name, value in values.items():
        if value is not None:
            setattr(family, name, value)
    named = patch.shared_with if patch.shared_with is not None else before["shared_with"]
    shared = set_shares(session, family, family.tlp, _ids(named), object_id=family.id)
    after = {**snapshot(family, FIELDS), "shared_with": shared}
    record(session, actor, "family.updated", family, changes(before, after))
    mark_changed(session)
    return family


def revoke_family(session: Session, actor: Principal, family_id: int, reason: str) -> Family:
    """Mark the family revoked with the reason; its indicators stop matching with it."""
    family = get_family(session, actor, family_id)
    revoke(session, actor, family, "family", reason)
    return family


def describe_families(session: Session, families: Sequence[Family]) -> list[FamilyOut]:
    """The API's view of each family: source name, named organisations, revocation."""
    ids = [f.id for f in families]
    shares = shares_of(session, TABLE, ids)
    names = org_names(session, (f.source_org_id for f in families))
    revoked = {f.id: f.revoked_reason for f in families if f.status is RecordStatus.REVOKED}
    revocations = revocations_of(session, TABLE, "family.revoked", revoked)
    return [
        FamilyOut(
            id=f.id,
            slug=f.slug,
            name=f.name,
            classification=f.classification,
            aliases=list(f.aliases),
            platforms=list(f.platforms),
            websites=list(f.websites),
            tlp=f.tlp,
            source_org_id=f.source_org_id,
            source_org=names.get(f.source_org_id, ""),
            status=f.status,
            revoked=revocations.get(f.id),
            shared_with=shares.get(f.id, []),
            created_at=f.created_at,
            updated_at=f.updated_at,
        )
        for f in families
    ]


def _shares(session: Session, family: Family) -> list[int]:
    return shares_of(session, TABLE, [family.id]).get(family.id, [])


def _ids(value: object) -> list[int]:
    return [int(v) for v in value] if isinstance(value, list) else []
