"""TAXII 2.1 collections: one per TLP label, holding the STIX 2.1 objects of that label.

A collection is listed to an organisation only when its clearance reaches the
label, and its objects go through the same visibility rule as every page, so
AMBER+STRICT and RED objects reach only their source and the organisations
named on them. The objects are those of ``unstalk feed export --format stix2``.

``date_added`` is when a family or one of its indicators of that label last
changed: the family's objects travel together, so a client polling with
``added_after`` gets a changed family whole. Revoked indicators stay in the
collection with ``"revoked": true``, so that clients learn of the revocation.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from unstalk.feed.formats.stix_write import export_stix
from unstalk.feed.model import TLP, Family, Feed, Indicator
from unstalk.feed.model import Provenance as FeedProvenance
from unstalk.hub.errors import InvalidInput, NotFound
from unstalk.hub.releases.cache import CollectionCache
from unstalk.hub.releases.snapshot import Snapshot, indicator_key, take_snapshot
from unstalk.hub.visibility import Viewer, labels_within

MEDIA_TAXII = "application/taxii+json;version=2.1"
MEDIA_STIX = "application/stix+json;version=2.1"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_NAMESPACE = uuid.UUID("5d1f4f0e-31b4-4c67-9f0a-0cbe37a0f7d1")

JsonObject = dict[str, object]


def collection_id(label: TLP) -> str:
    return str(uuid.uuid5(_NAMESPACE, label.value))


def collection_info(label: TLP) -> JsonObject:
    name = label.value.upper()
    return {
        "id": collection_id(label),
        "title": f"TLP:{name} stalkerware indicators",
        "description": f"Families and indicators labelled TLP:{name} that your organisation may "
        "see, as STIX 2.1 objects.",
        "alias": label.value.replace("+", "-"),
        "can_read": True,
        "can_write": False,
        "media_types": [MEDIA_STIX],
    }


def collections_for(viewer: Viewer) -> list[JsonObject]:
    return [collection_info(label) for label in labels_within(viewer.clearance)]


def find_collection(viewer: Viewer, cid: str) -> TLP:
    """The label of collection ``cid``; unknown and out-of-clearance answer the same."""
    for label in labels_within(viewer.clearance):
        if collection_id(label) == cid:
            return label
    raise NotFound("There is no such collection, or your organisation may not read it.")


@dataclass(frozen=True, slots=True)
class Stamped:
    added: datetime
    obj: JsonObject


_CACHE: CollectionCache[list[Stamped]] = CollectionCache()


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Stamped]
    more: bool
    next: str | None


def _group_feed(family: Family, indicators: list[Indicator], when: datetime) -> Feed:
    return Feed((family,), tuple(indicators), provenance=FeedProvenance("hub", "", None, when))


def _stamped_objects(snapshot: Snapshot, label: TLP) -> list[Stamped]:
    feed = snapshot.feed
    by_family: dict[str, list[Indicator]] = {}
    for ind in feed.indicators:
        if snapshot.indicators[indicator_key(ind)].tlp is label:
            by_family.setdefault(ind.family, []).append(ind)
    seen: dict[str, Stamped] = {}
    for family in feed.families:
        own = snapshot.families[family.id]
        indicators = by_family.get(family.id, [])
        if own.tlp is not label and not indicators:
            continue
        changes = [
            own.changed,
            *(snapshot.indicators[indicator_key(i)].changed for i in indicators),
        ]
        added = max(changes)
        bundle = json.loads(export_stix(_group_feed(family, indicators, added)))
        for obj in bundle["objects"]:
            key = str(obj["id"])
            # Identity and marking definitions are shared: first added is kept.
            if key not in seen or seen[key].added > added:
                seen[key] = Stamped(added, obj)
    return sorted(seen.values(), key=lambda s: (s.added, str(s.obj["id"])))


def _parse_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise InvalidInput(
            f"added_after {text!r} is not a timestamp like 2026-03-01T12:00:00Z."
        ) from e
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _offset(token: str | None) -> int:
    if token is None or token == "":
        return 0
    if not token.isdigit() or len(token) > 9:
        raise InvalidInput("The 'next' value was not given by this server.")
    return int(token)


def object_page(
    session: Session,
    viewer: Viewer,
    label: TLP,
    *,
    added_after: str | None,
    limit: int | None,
    next_token: str | None,
    types: Sequence[str] = (),
    now: datetime,
) -> Page:
    """One page of the collection's objects, oldest first."""

    def build() -> list[Stamped]:
        snapshot = take_snapshot(
            session, viewer, source="unstalk hub TAXII", when=now, revoked=True
        )
        return _stamped_objects(snapshot, label)

    items = _CACHE.get(session, viewer, label.value, build)
    if added_after:
        after = _parse_time(added_after)
        items = [s for s in items if s.added > after]
    if types:
        items = [s for s in items if s.obj.get("type") in types]
    size = DEFAULT_LIMIT if limit is None else max(1, min(limit, MAX_LIMIT))
    start = _offset(next_token)
    page = items[start : start + size]
    more = start + size < len(items)
    return Page(page, more, str(start + size) if more else None)


def timestamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def envelope(page: Page) -> JsonObject:
    body: JsonObject = {"more": page.more, "objects": [s.obj for s in page.items]}
    if page.next is not None:
        body["next"] = page.next
    return body


def manifest(page: Page) -> JsonObject:
    records = [
        {
            "id": s.obj["id"],
            "date_added": timestamp(s.added),
            "version": s.obj.get("modified", s.obj.get("created")),
            "media_type": MEDIA_STIX,
        }
        for s in page.items
    ]
    body: JsonObject = {"more": page.more, "objects": records}
    if page.next is not None:
        body["next"] = page.next
    return body
