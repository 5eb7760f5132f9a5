"""The Echap feed as coalition objects: TLP:CLEAR, sourced by the coalition's organisation.

Importing again updates what changed and never duplicates: families are matched
by their feed id (``stalkerware/<name>``, a form members cannot give their own
families) and indicators by family, kind and value. An imported indicator that
is no longer in the feed is revoked with a reason saying so, and comes back to
life if a later feed lists it again. A family's classification is set only when
it is first imported: after that, consensus votes own it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from unstalk.feed import model as feed_model
from unstalk.hub.audit import record
from unstalk.hub.db import Family, Indicator, Organisation
from unstalk.hub.db.intel import Classification, RecordStatus
from unstalk.hub.errors import HubError
from unstalk.hub.indicators.schemas import ImportOut
from unstalk.hub.indicators.service import value_sha256
from unstalk.hub.indicators.shared import mark_changed
from unstalk.hub.principal import Principal
from unstalk.hub.roles import OrgKind, Role, Scope

ECHAP_CONFIDENCE = 80
"""Confidence given to Echap indicators: curated and public, but not verified by the hub."""
GONE_REASON = "No longer in the Echap feed (revoked by an import)."
_CLASSIFICATION = {
    feed_model.FamilyType.STALKERWARE: Classification.STALKERWARE,
    feed_model.FamilyType.WATCHWARE: Classification.WATCHWARE,
}
_Key = tuple[int, feed_model.IndicatorKind, str]


@dataclass
class _Counts:
    families_created: int = 0
    families_updated: int = 0
    indicators_created: int = 0
    indicators_updated: int = 0
    indicators_unchanged: int = 0
    indicators_revoked: int = 0


def coalition_org(session: Session) -> Organisation:
    org = session.scalars(
        select(Organisation).where(Organisation.kind == OrgKind.COALITION).order_by(Organisation.id)
    ).first()
    if org is None:
        raise HubError(
            "The hub has no coalition organisation to be the source of the Echap feed.",
            advice="Run 'unstalk hub init' first.",
        )
    return org


def import_echap(
    session: Session, actor: Principal | str, feed: feed_model.Feed, *, source: str
) -> ImportOut:
    """Bring the hub's copy of the Echap feed in line with ``feed``; audited once, with counts.

    ``actor`` is a coalition admin, or a label (``cli``) when run from the command line.
    """
    if isinstance(actor, Principal):
        actor.require(Role.COALITION_ADMIN, "import the Echap feed", Scope.ADMIN)
    org = coalition_org(session)
    counts = _Counts()
    families = _import_families(session, org.id, feed.families, counts)
    _import_indicators(session, org.id, families, feed.indicators, counts)
    result = ImportOut(**vars(counts), source=source)
    record(session, actor, "indicators.imported", None, result.model_dump())
    mark_changed(session)
    return result


def _import_families(
    session: Session, org_id: int, families: Iterable[feed_model.Family], counts: _Counts
) -> dict[str, int]:
    """Create or update each family; returns the hub id of each feed family id."""
    existing = {f.slug: f for f in session.scalars(select(Family).where(Family.slug.contains("/")))}
    imported: dict[str, Family] = {}
    for item in families:
        values = {
            "name": item.name[:200],
            "aliases": list(item.aliases),
            "platforms": [p.value for p in item.platforms],
            "websites": list(item.websites),
        }
        family = existing.get(item.id)
        if family is None:
            family = Family(
                slug=item.id,
                classification=_CLASSIFICATION[item.type],
                tlp=feed_model.TLP.CLEAR,
                source_org_id=org_id,
                status=RecordStatus.ACTIVE,
                revoked_reason="",
                **values,
            )
            session.add(family)
            counts.families_created += 1
        elif any(getattr(family, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(family, name, value)
            counts.families_updated += 1
        imported[item.id] = family
    session.flush()
    return {slug: family.id for slug, family in imported.items()}


def _import_indicators(
    session: Session,
    org_id: int,
    families: dict[str, int],
    indicators: Iterable[feed_model.Indicator],
    counts: _Counts,
) -> None:
    existing: dict[_Key, Indicator] = {
        (i.family_id, i.kind, i.value_sha256): i
        for i in session.scalars(
            select(Indicator).where(
                Indicator.source_org_id == org_id,
                Indicator.family_id.in_(set(families.values())),
                Indicator.created_by.is_(None),
                Indicator.from_sample_id.is_(None),
            )
        )
    }
    seen: set[_Key] = set()
    for item in indicators:
        family_id = families.get(item.family)
        key = (family_id or 0, item.kind, value_sha256(item.value))
        if family_id is None or key in seen:
            continue
        seen.add(key)
        found = existing.get(key)
        if found is None:
            session.add(_new_indicator(org_id, family_id, item, key[2]))
            counts.indicators_created += 1
        elif _refresh(found, item):
            counts.indicators_updated += 1
        else:
            counts.indicators_unchanged += 1
    for key, gone in existing.items():
        if key not in seen and gone.status is RecordStatus.ACTIVE:
            gone.status = RecordStatus.REVOKED
            gone.revoked_reason = GONE_REASON
            counts.indicators_revoked += 1


def _new_indicator(
    org_id: int, family_id: int, item: feed_model.Indicator, digest: str
) -> Indicator:
    return Indicator(
        family_id=family_id,
        kind=item.kind,
        value=item.value,
        value_sha256=digest,
        role=item.role,
        name=item.name,
        confidence=ECHAP_CONFIDENCE,
        tlp=feed_model.TLP.CLEAR,
        source_org_id=org_id,
        status=RecordStatus.ACTIVE,
        revoked_reason="",
    )


def _refresh(found: Indicator, item: feed_model.Indicator) -> bool:
    """Bring one imported indicator in line with the feed; True when something changed."""
    changed = False
    if found.status is RecordStatus.REVOKED and found.revoked_reason == GONE_REASON:
        found.status = RecordStatus.ACTIVE
        found.revoked_reason = ""
        changed = True
    if found.role != item.role or found.name != item.name:
        found.role, found.name = item.role, item.name
        changed = True
    return changed
