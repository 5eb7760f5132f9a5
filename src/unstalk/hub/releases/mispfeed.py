"""The MISP feed layout: ``manifest.json``, one event per family, and ``hashes.csv``.

A MISP instance subscribes to it as a feed of type "MISP Feed". Each family is
one event (its uuid stable across runs, so MISP updates it rather than adding a
copy), written by the same code as ``unstalk feed export --format misp``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from unstalk.feed.formats.misp_write import export_misp
from unstalk.feed.model import Family, Feed, Indicator
from unstalk.feed.model import Provenance as FeedProvenance
from unstalk.hub.releases.cache import CollectionCache
from unstalk.hub.releases.snapshot import Snapshot, indicator_key, take_snapshot
from unstalk.hub.visibility import Viewer

ORGC = {"name": "unstalk coalition hub", "uuid": "8b0f7a55-3e55-4c4b-9d55-5a9c6f0d3c11"}
"""The creator organisation MISP shows for these events."""
_MANIFEST_KEYS = ("info", "date", "analysis", "threat_level_id", "timestamp", "Tag")
_CACHE: CollectionCache[MispFeed] = CollectionCache()

JsonObject = dict[str, object]


@dataclass(frozen=True, slots=True)
class MispFeed:
    events: dict[str, JsonObject]
    """Event uuid -> ``{"Event": {...}}``."""

    def manifest(self) -> JsonObject:
        out: JsonObject = {}
        for event_uuid, doc in self.events.items():
            event = doc["Event"]
            assert isinstance(event, dict)
            entry: JsonObject = {key: event[key] for key in _MANIFEST_KEYS if key in event}
            out[event_uuid] = {"Orgc": ORGC, **entry}
        return out

    def hashes_csv(self) -> bytes:
        """``md5 of value,event uuid`` per attribute: how MISP finds overlaps without fetching."""
        lines = [
            f"{_md5(value)},{event_uuid}\n"
            for event_uuid, doc in sorted(self.events.items())
            for value in _values(doc["Event"])
        ]
        return "".join(lines).encode("ascii")


def _md5(value: str) -> str:
    return hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()


def _values(event: object) -> list[str]:
    if not isinstance(event, dict):
        return []
    attributes = list(event.get("Attribute", []))
    for obj in event.get("Object", []):
        attributes.extend(obj.get("Attribute", []))
    return sorted(str(a["value"]) for a in attributes if isinstance(a, dict) and "value" in a)


def _family_event(family: Family, indicators: list[Indicator], when: datetime) -> JsonObject:
    provenance = FeedProvenance("hub", f"unstalk hub {family.id}", None, when)
    doc = json.loads(export_misp(Feed((family,), tuple(indicators), provenance=provenance)))
    event = doc["Event"]
    event["uuid"] = str(uuid.UUID(str(event["uuid"])))
    event["info"] = f"{family.type.value.capitalize()} family {family.name}"
    event["Orgc"] = ORGC
    return {"Event": event}


def misp_feed(session: Session, viewer: Viewer, *, now: datetime) -> MispFeed:
    """One event per family ``viewer`` may see, with the indicators they may see."""
    return _CACHE.get(session, viewer, "misp", lambda: _build(session, viewer, now))


def _build(session: Session, viewer: Viewer, now: datetime) -> MispFeed:
    snapshot: Snapshot = take_snapshot(session, viewer, source="unstalk hub MISP feed", when=now)
    by_family: dict[str, list[Indicator]] = {}
    for ind in snapshot.feed.indicators:
        by_family.setdefault(ind.family, []).append(ind)
    events: dict[str, JsonObject] = {}
    for family in snapshot.feed.families:
        indicators = by_family.get(family.id, [])
        changes = [snapshot.families[family.id].changed]
        changes.extend(snapshot.indicators[indicator_key(i)].changed for i in indicators)
        doc = _family_event(family, indicators, max(changes))
        event = doc["Event"]
        assert isinstance(event, dict)
        events[str(event["uuid"])] = doc
    return MispFeed(events)
