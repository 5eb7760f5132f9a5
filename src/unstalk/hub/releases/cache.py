"""A small cache of what TAXII and the MISP feed serve, so paging does not rebuild it each time.

The key holds everything an answer depends on: the database, the reader's
organisation and clearance, what was built (a collection's label, the MISP
feed), and a fingerprint of the shared tables (row counts, newest change and
highest id of families and indicators, and of the shares naming
organisations). Every edit sets
``updated_at`` or changes a count or an id, so an entry is never used after
what it was built from has changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unstalk.hub.db import Family, Indicator, ObjectShare
from unstalk.hub.visibility import Viewer

T = TypeVar("T")
MAX_ENTRIES = 32


def fingerprint(session: Session) -> tuple[object, ...]:
    """What changes whenever a family, an indicator or a share is added, edited or removed."""
    parts: list[object] = [str(session.get_bind().engine.url)]
    for table in (Family, Indicator):
        row = session.execute(
            select(func.count(), func.max(table.updated_at), func.max(table.id))
        ).one()
        parts.extend(row)
    shares = session.execute(select(func.count(), func.max(ObjectShare.id))).one()
    parts.extend(shares)
    return tuple(parts)


class CollectionCache(Generic[T]):
    """The last few collections built, least recently used dropped first."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[tuple[object, ...], T] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, session: Session, viewer: Viewer, what: str, build: Callable[[], T]) -> T:
        """The value ``build`` makes for ``viewer``, built again only when the tables changed."""
        key = (viewer.org_id, viewer.clearance, what, *fingerprint(session))
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = build()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value
