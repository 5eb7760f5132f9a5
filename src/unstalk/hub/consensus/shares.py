"""TLP pieces proposals and disputes share: the family they are about, and who they name."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.feed.model import TLP
from unstalk.hub.db import Family, ObjectShare, Organisation
from unstalk.hub.db.base import Base
from unstalk.hub.errors import InvalidInput, NotFound
from unstalk.hub.visibility import NAMED_ONLY, Viewer, tlp_rank, visible


def visible_family(session: Session, viewer: Viewer, family_id: int) -> Family:
    query = visible(select(Family).where(Family.id == family_id), Family, viewer)
    family = session.scalars(query).first()
    if family is None:
        raise NotFound(f"There is no family number {family_id} that your organisation may see.")
    return family


def family_name_for(session: Session, viewer: Viewer, family_id: int) -> str:
    """The family's name, or an empty string when the viewer's organisation may not see it."""
    query = visible(select(Family.name).where(Family.id == family_id), Family, viewer)
    return session.scalars(query).first() or ""


def check_label(label: TLP, family_label: TLP, what: str) -> None:
    """A proposal or dispute names its family, so it may not reach further than the family."""
    if tlp_rank(label) < tlp_rank(family_label):
        raise InvalidInput(
            f"This {what} would be TLP:{label.value.upper()}, but its family is "
            f"TLP:{family_label.value.upper()}.",
            advice=f"Choose TLP:{family_label.value.upper()} or a more restricted label.",
        )


def share_with(session: Session, obj: Base, org_ids: Iterable[int]) -> None:
    """Name organisations on an AMBER+STRICT or RED object; refused for other labels."""
    wanted = sorted(set(org_ids))
    if not wanted:
        return
    label: TLP = obj.tlp  # type: ignore[attr-defined]
    if label not in NAMED_ONLY:
        raise InvalidInput(
            "Organisations are named only on AMBER+STRICT or RED objects; "
            f"TLP:{label.value.upper()} already reaches every organisation cleared for it."
        )
    known = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted))).all())
    missing = [str(org_id) for org_id in wanted if org_id not in known]
    if missing:
        raise InvalidInput(f"There is no organisation number {', '.join(missing)}.")
    object_id: int = obj.id  # type: ignore[attr-defined]
    for org_id in wanted:
        session.add(ObjectShare(object_type=obj.__tablename__, object_id=object_id, org_id=org_id))
