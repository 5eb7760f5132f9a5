"""The hub's families and indicators, as one reader may see them, turned into a feed.

Only families the coalition classified (stalkerware or watchware) are published:
an unclassified family has had no vote yet, and "not stalkerware" must not end up
in block lists. An indicator is published at the stricter of its own label and
its family's, because it carries its family's name with it; a family above
TLP:CLEAR is published only with indicators, since export formats label a
family by the labels of its indicators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from unstalk.feed.model import (
    TLP,
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    Platform,
    Status,
)
from unstalk.feed.model import Provenance as FeedProvenance
from unstalk.hub.db import Family as FamilyRow
from unstalk.hub.db import Indicator as IndicatorRow
from unstalk.hub.db.intel import Classification, RecordStatus
from unstalk.hub.visibility import Viewer, tlp_rank, visible

Ts = TypeVarTuple("Ts")

PUBLISHED = {
    Classification.STALKERWARE: FamilyType.STALKERWARE,
    Classification.WATCHWARE: FamilyType.WATCHWARE,
}
"""The classifications that reach feeds, and the feed's family type for each."""


@dataclass(frozen=True, slots=True)
class PublicViewer:
    """Anyone at all: sees TLP:CLEAR only, and is the source of nothing."""

    org_id: int = 0
    clearance: TLP = TLP.CLEAR


PUBLIC = PublicViewer()


@dataclass(frozen=True, slots=True)
class Entry:
    """One published object with its label and when it last changed (for TAXII's added_after)."""

    tlp: TLP
    changed: datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    feed: Feed
    families: dict[FamilyId, Entry] = field(default_factory=dict)
    indicators: dict[tuple[str, str, str, str], Entry] = field(default_factory=dict)
    """Keyed by :func:`indicator_key`."""


def indicator_key(ind: Indicator) -> tuple[str, str, str, str]:
    return (ind.family, ind.kind.value, ind.value, ind.role.value if ind.role else "")


def stricter(a: TLP, b: TLP) -> TLP:
    return a if tlp_rank(a) >= tlp_rank(b) else b


def feed_family_id(row: FamilyRow) -> FamilyId:
    """``<type>/<slug>``; imported families' slugs already carry a type, which a vote may
    since have changed, so the current classification replaces it."""
    prefix, sep, rest = row.slug.partition("/")
    base = rest if sep and prefix in {t.value for t in FamilyType} else row.slug
    return FamilyId(f"{PUBLISHED[row.classification].value}/{base}")


def _family(row: FamilyRow) -> Family:
    platforms = tuple(Platform(p) for p in row.platforms if p in Platform.__members__.values())
    return Family(
        id=feed_family_id(row),
        name=row.name,
        type=PUBLISHED[row.classification],
        aliases=tuple(row.aliases),
        platforms=platforms,
        websites=tuple(row.websites),
    )


def _published(columns: Select[*Ts], viewer: Viewer) -> Select[*Ts]:
    query = columns.where(
        FamilyRow.status == RecordStatus.ACTIVE,
        FamilyRow.classification.in_(list(PUBLISHED)),
    )
    return visible(query, FamilyRow, viewer)


def _families(session: Session, viewer: Viewer) -> Sequence[FamilyRow]:
    query = _published(select(FamilyRow), viewer).order_by(FamilyRow.slug)
    return session.scalars(query).all()


def _indicators(
    session: Session, viewer: Viewer, statuses: list[RecordStatus]
) -> Sequence[IndicatorRow]:
    # A sub-query rather than a list of ids: a hub may hold more families than SQLite
    # accepts parameters in one statement.
    families = _published(select(FamilyRow.id), viewer).scalar_subquery()
    query = select(IndicatorRow).where(
        IndicatorRow.status.in_(statuses), IndicatorRow.family_id.in_(families)
    )
    return session.scalars(visible(query, IndicatorRow, viewer).order_by(IndicatorRow.id)).all()


def take_snapshot(
    session: Session,
    viewer: Viewer,
    *,
    source: str,
    when: datetime,
    version: str | None = None,
    revoked: bool = False,
) -> Snapshot:
    """The active, classified families and indicators ``viewer`` may see, as a :class:`Feed`.

    With ``revoked``, revoked indicators come too (marked so), for readers who
    must learn that an indicator they hold was withdrawn.
    """
    statuses = [RecordStatus.ACTIVE, *([RecordStatus.REVOKED] if revoked else [])]
    rows = {row.id: row for row in _families(session, viewer)}
    families = {row.id: _family(row) for row in rows.values()}
    family_entries = {families[i].id: Entry(r.tlp, r.updated_at) for i, r in rows.items()}
    indicators: list[Indicator] = []
    entries: dict[tuple[str, str, str, str], Entry] = {}
    for row in _indicators(session, viewer, statuses):
        family = rows[row.family_id]
        label = stricter(row.tlp, family.tlp)
        ind = Indicator(
            kind=row.kind,
            value=row.value,
            family=families[row.family_id].id,
            role=row.role,
            source=source,
            tlp=label,
            name=row.name,
            status=Status.REVOKED if row.status is RecordStatus.REVOKED else Status.ACTIVE,
        )
        indicators.append(ind)
        entries[indicator_key(ind)] = Entry(label, row.updated_at)
    # Export formats label a family by its indicators' labels, so a family above TLP:CLEAR
    # with no indicator would come out as CLEAR: it is left out instead.
    with_indicators = {ind.family for ind in indicators}
    kept = [f for i, f in families.items() if rows[i].tlp is TLP.CLEAR or f.id in with_indicators]
    feed = Feed(
        families=tuple(kept),
        indicators=tuple(indicators),
        provenance=FeedProvenance("hub", source, version, when),
    )
    return Snapshot(feed, family_entries, entries)
