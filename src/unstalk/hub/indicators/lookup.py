"""Look-ups over what an organisation may see, from an index cached per organisation.

Building the index of a feed's worth of indicators takes tens of milliseconds;
a look-up in it takes microseconds. So each hub process keeps one
:class:`VisibleIndex` per (organisation, clearance) and rebuilds it when
something changed: at once after a change committed by this process, and
within :attr:`IndexCache.recheck_seconds` after one committed by another
process (another worker, the CLI), found by a cheap summary of the tables.

Only active indicators of active families enter the index, and only those
whose indicator and family both pass :func:`unstalk.hub.visibility.visible`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unstalk.feed import model as feed_model
from unstalk.feed.detect import detect_kinds, lookup
from unstalk.feed.index import FeedIndex
from unstalk.hub.db import Database, Family, Indicator, ObjectShare, Organisation
from unstalk.hub.db.intel import Classification, RecordStatus
from unstalk.hub.indicators.schemas import ExportItem, ExportOut, LookupMatch, LookupOut
from unstalk.hub.indicators.shared import Generation
from unstalk.hub.visibility import Viewer, visible

_SEVERITY_TYPE = {Classification.STALKERWARE: feed_model.FamilyType.STALKERWARE}
"""Only a family classified as stalkerware ranks as stalkerware; any other ranks as watchware
(low severity), so an unclassified family never reads as stalkerware."""


@dataclass(slots=True)
class VisibleIndex:
    """The active indicators one organisation may see, indexed as the feed is."""

    organisation: str
    clearance: feed_model.TLP
    index: FeedIndex
    info: dict[feed_model.Indicator, ExportItem]
    _export: bytes | None = field(default=None, repr=False)

    def lookup(self, value: str) -> LookupOut:
        """Every indicator ``value`` matches, as ``unstalk feed match`` finds them."""
        matches = [
            _match(value, m.indicator, m.severity.value, self.info[m.indicator])
            for m in lookup(self.index, value)
        ]
        return LookupOut(value=value, kinds=list(detect_kinds(value)), matches=matches)

    def export_json(self) -> bytes:
        """Every indexed indicator as JSON (:class:`ExportOut`), made once per index."""
        if self._export is None:
            items = sorted(self.info.values(), key=lambda item: item.id)
            out = ExportOut(
                organisation=self.organisation, clearance=self.clearance, indicators=items
            )
            self._export = out.model_dump_json().encode()
        return self._export


def _match(
    value: str, indicator: feed_model.Indicator, severity: str, item: ExportItem
) -> LookupMatch:
    return LookupMatch(
        value=value,
        family=item.family,
        family_id=item.family_id,
        family_type=item.family_type,
        kind=item.kind,
        role=item.role,
        indicator=indicator.value,
        severity=severity,
        source=item.source,
        indicator_id=item.id,
        tlp=item.tlp,
        confidence=item.confidence,
        first_seen=item.first_seen,
        last_seen=item.last_seen,
    )


_COLUMNS = (
    Indicator.id,
    Indicator.kind,
    Indicator.value,
    Indicator.role,
    Indicator.name,
    Indicator.tlp,
    Indicator.confidence,
    Indicator.first_seen,
    Indicator.last_seen,
    Family.slug,
    Family.name.label("family"),
    Family.classification,
    Organisation.name.label("source"),
)


def build_visible_index(session: Session, viewer: Viewer) -> VisibleIndex:
    """Index the active indicators of active families that ``viewer`` may see."""
    query = (
        select(*_COLUMNS)
        .join(Family, Family.id == Indicator.family_id)
        .join(Organisation, Organisation.id == Indicator.source_org_id)
        .where(Indicator.status == RecordStatus.ACTIVE, Family.status == RecordStatus.ACTIVE)
    )
    query = visible(visible(query, Indicator, viewer), Family, viewer)
    families: dict[str, feed_model.Family] = {}
    info: dict[feed_model.Indicator, ExportItem] = {}
    for row in session.execute(query):
        family_id = feed_model.FamilyId(row.slug)
        if row.slug not in families:
            kind = _SEVERITY_TYPE.get(row.classification, feed_model.FamilyType.WATCHWARE)
            families[row.slug] = feed_model.Family(id=family_id, name=row.family, type=kind)
        indicator = feed_model.Indicator(
            kind=row.kind,
            value=row.value,
            family=family_id,
            role=row.role,
            source=f"hub:{row.id}",
            tlp=row.tlp,
            name=row.name,
        )
        # Rows come from the hub's own database, already validated on the way in.
        info[indicator] = ExportItem.model_construct(
            id=row.id,
            family_id=row.slug,
            family=row.family,
            family_type=row.classification,
            kind=row.kind,
            value=row.value,
            role=row.role,
            name=row.name,
            tlp=row.tlp,
            confidence=row.confidence,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            source=row.source,
        )
    feed = feed_model.Feed(families=tuple(families.values()), indicators=tuple(info))
    org = session.get(Organisation, viewer.org_id)
    return VisibleIndex(
        organisation=org.name if org else "",
        clearance=viewer.clearance,
        index=FeedIndex(feed, feed.indicators),
        info=info,
    )


def table_stamp(session: Session) -> tuple[Hashable, ...]:
    """A summary that changes whenever a family, indicator or share is added or changed."""
    row = session.execute(
        select(
            select(func.count(Indicator.id)).scalar_subquery(),
            select(func.max(Indicator.updated_at)).scalar_subquery(),
            select(func.count(Family.id)).scalar_subquery(),
            select(func.max(Family.updated_at)).scalar_subquery(),
            select(func.count(ObjectShare.id)).scalar_subquery(),
            select(func.max(ObjectShare.id)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


@dataclass(slots=True)
class _Entry:
    generation: int
    stamp: tuple[Hashable, ...]
    checked: float
    index: VisibleIndex


class IndexCache:
    """One :class:`VisibleIndex` per (organisation, clearance), rebuilt when data changed."""

    def __init__(
        self,
        db: Database,
        *,
        recheck_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.recheck_seconds = recheck_seconds
        self._monotonic = monotonic
        self._entries: dict[tuple[int, feed_model.TLP], _Entry] = {}
        self._lock = threading.Lock()

    def fresh(self, viewer: Viewer) -> VisibleIndex | None:
        """The index when it is known current without asking the database, else None."""
        entry = self._entries.get((viewer.org_id, viewer.clearance))
        if entry is None or entry.generation != Generation.value:
            return None
        return entry.index if self._monotonic() - entry.checked < self.recheck_seconds else None

    def get(self, viewer: Viewer) -> VisibleIndex:
        """The current index for ``viewer``; may query the database (call it off the event loop)."""
        found = self.fresh(viewer)
        if found is not None:
            return found
        key = (viewer.org_id, viewer.clearance)
        generation = Generation.value
        now = self._monotonic()
        with self._lock, self.db.reader() as session:
            stamp = table_stamp(session)
            entry = self._entries.get(key)
            if entry and entry.generation == generation and entry.stamp == stamp:
                entry.checked = now
                return entry.index
            index = build_visible_index(session, viewer)
            self._entries[key] = _Entry(generation, stamp, now, index)
            return index
