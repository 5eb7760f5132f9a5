"""What Echap's files, the block lists, TinyCheck and Suricata formats share.

The input guard (one size limit for every feed file they read), the family an exported
indicator names, and the table-driven notes of the Echap loader and ``feed lint``.
"""

from __future__ import annotations

from collections.abc import Mapping

from unstalk.errors import FeedFormatError
from unstalk.feed.model import Family, FamilyId, FamilyType, Feed, Note, NoteLevel

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Largest feed file the parsers accept; real feeds are well under a megabyte."""


def check_size(data: bytes, source: str) -> None:
    """Refuse input too large to be a feed file before spending memory on it."""
    if len(data) > MAX_INPUT_BYTES:
        raise FeedFormatError(
            f"the file is too large: {len(data)} bytes, more than the {MAX_INPUT_BYTES} "
            "a feed file may be",
            source=source,
            advice="Check that this is the feed file you meant to load.",
        )


def family_of(feed: Feed, fid: FamilyId) -> Family:
    """Return the family an indicator points to, or one made up from its id if the feed lacks it."""
    try:
        return feed.family(fid)
    except KeyError:
        prefix, _, slug = fid.partition("/")
        kind = FamilyType.WATCHWARE if prefix == FamilyType.WATCHWARE else FamilyType.STALKERWARE
        return Family(id=fid, name=slug or fid, type=kind, implied=True)


class NoteTable:
    """Builds notes from a table of ``code: (level, message template)``.

    Keeping every message in one table lets a reader see all that a parser can report.
    """

    def __init__(self, messages: Mapping[str, tuple[NoteLevel, str]]) -> None:
        self._messages = messages

    def __call__(
        self, code: str, source: str, *values: str, level: NoteLevel | None = None, **fields: object
    ) -> Note:
        default, text = self._messages[code]
        return Note(level or default, code, text.format(**fields), source, values)
