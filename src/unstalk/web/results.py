"""Turn look-up input into results grouped for an advocate to read.

Pure functions over a :class:`~unstalk.feed.index.FeedIndex`: no request, no
template. The web routes call them and render what they return.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from unstalk.feed.detect import detect_kinds, lookup
from unstalk.feed.index import FeedIndex, Match
from unstalk.feed.model import FamilyType, IndicatorKind, Role
from unstalk.models import Severity
from unstalk.web.i18n import N_, Phrase

MAX_VALUES = 1000
"""Values looked up from one form; the rest are reported as not checked."""

MAX_VALUE_LENGTH = 2048
"""Longer lines are not a value someone copied from a phone's settings."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One value that matched one indicator, with the evidence behind it."""

    entered: str
    family_name: str
    family_type: FamilyType
    kind: IndicatorKind
    role: Role | None
    indicator: str
    source: str
    severity: Severity
    sample_app: str | None = None
    """For a known sample's file hash: the app name the sample list gives."""


@dataclass(frozen=True, slots=True)
class SeverityGroup:
    severity: Severity
    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file the person uploaded: only its name, size and fingerprint are kept."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A value found in no indicator, and every kind it was looked up as."""

    value: str
    looked_up_as: tuple[IndicatorKind, ...]


@dataclass(frozen=True, slots=True)
class LookupResult:
    checked: tuple[str, ...]
    """Every value that was looked up, in the order given."""
    groups: tuple[SeverityGroup, ...]
    """Matches, most urgent tier first; tiers without matches are left out."""
    unmatched: tuple[Unmatched, ...]
    withdrawn: tuple[Hit, ...] = ()
    """Values that match only indicators the feed has since withdrawn."""
    not_checked: tuple[Phrase, ...] = ()
    """Lines that were not looked up (too long, or past the limit), with the reason."""
    file: CheckedFile | None = None

    @property
    def matched(self) -> tuple[str, ...]:
        seen = {hit.entered for group in self.groups for hit in group.hits}
        return tuple(value for value in self.checked if value in seen)


def parse_values(text: str) -> tuple[tuple[str, ...], tuple[Phrase, ...]]:
    """Split a textarea into distinct values, one per line.

    Returns the values to look up and plain notes about lines left out.
    """
    values: list[str] = []
    notes: list[Phrase] = []
    seen: set[str] = set()
    for line in text.splitlines():
        value = line.strip()
        if not value or value in seen:
            continue
        seen.add(value)
        if len(value) > MAX_VALUE_LENGTH:
            too_long = N_("A line of {length} characters was too long to be one value.")
            notes.append(Phrase.of(too_long, length=len(value)))
        elif len(values) >= MAX_VALUES:
            notes.append(
                Phrase.of(N_("Only the first {limit} values were checked."), limit=MAX_VALUES)
            )
            break
        else:
            values.append(value)
    return tuple(values), tuple(notes)


def _hit(entered: str, match: Match) -> Hit:
    is_file = match.indicator.kind is IndicatorKind.FILE_SHA256
    sample_app = match.indicator.name if is_file else None
    return Hit(
        entered=entered,
        family_name=match.family.name,
        family_type=match.family.type,
        kind=match.indicator.kind,
        role=match.indicator.role,
        indicator=match.indicator.value,
        source=match.indicator.source or N_("the feed"),
        severity=match.severity,
        sample_app=sample_app,
    )


def _group(hits: Iterable[Hit]) -> tuple[SeverityGroup, ...]:
    by_tier: dict[Severity, list[Hit]] = {}
    for hit in hits:
        by_tier.setdefault(hit.severity, []).append(hit)
    return tuple(
        SeverityGroup(tier, tuple(sorted(by_tier[tier], key=lambda h: (h.family_name, h.entered))))
        for tier in sorted(by_tier, key=lambda s: s.rank)
    )


def look_up(
    index: FeedIndex,
    values: Iterable[str],
    *,
    not_checked: tuple[Phrase, ...] = (),
    file: CheckedFile | None = None,
) -> LookupResult:
    """Look every value up in the index and in its withdrawn indicators."""
    checked = tuple(values)
    hits: list[Hit] = []
    withdrawn: list[Hit] = []
    unmatched: list[Unmatched] = []
    for value in checked:
        matches = lookup(index, value)
        if matches:
            hits.extend(_hit(value, m) for m in matches)
            continue
        unmatched.append(Unmatched(value, detect_kinds(value)))
        withdrawn.extend(_hit(value, m) for m in lookup(index.revoked, value))
    return LookupResult(
        checked=checked,
        groups=_group(hits),
        unmatched=tuple(unmatched),
        withdrawn=tuple(withdrawn),
        not_checked=not_checked,
        file=file,
    )
