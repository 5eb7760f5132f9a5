"""What the STIX and MISP formats share: JSON input guards, TLP order, ids, families, notes.

Both are JSON exchange formats for threat intelligence, so reading them meets the same
problems (oversized or broken JSON, values of the wrong type, our own facts declared in
free text) and writing them has the same duties (deterministic ids and timestamps, no local
path leaking into a shared file).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import PurePath
from typing import TypeVar

from unstalk.errors import FeedFormatError
from unstalk.feed.model import (
    TLP,
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    InputFile,
    Note,
    NoteLevel,
    Provenance,
    Role,
    family_id,
)

MAX_INPUT_BYTES = 256 * 1024 * 1024
"""Larger inputs are refused rather than risk exhausting memory."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TLP_RANK = {tlp: rank for rank, tlp in enumerate(TLP)}

JsonObject = Mapping[str, object]
_E = TypeVar("_E", bound=StrEnum)


def load_json(data: bytes, source: str, *, what: str, advice: str) -> object:
    """Parse input that should be ``what`` (e.g. "a STIX bundle"), refusing oversized data."""
    if len(data) > MAX_INPUT_BYTES:
        raise FeedFormatError(
            f"the file is larger than {MAX_INPUT_BYTES // 2**20} MiB", source=source
        )
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        raise FeedFormatError(
            f"the file is not valid JSON, so it cannot be {what}", source=source, advice=advice
        ) from e


def input_files(data: bytes, source: str) -> tuple[InputFile, ...]:
    return (InputFile(name=source, sha256=hashlib.sha256(data).hexdigest(), size=len(data)),)


def text(obj: JsonObject, key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def member(enum: type[_E], declared: str | None) -> _E | None:
    """The member of ``enum`` spelled ``declared``, or None for anything else."""
    return enum(declared) if declared in {m.value for m in enum} else None


def declared_family_id(declared: str | None, ftype: FamilyType, name: str) -> FamilyId:
    """Keep a declared family id only when it agrees with the family's type."""
    if declared is None or not declared.startswith(f"{ftype.value}/"):
        return family_id(ftype, name)
    return FamilyId(declared)


def implied_family(name: str) -> Family:
    """The family given to indicators whose file names none."""
    ftype = FamilyType.STALKERWARE
    return Family(family_id(ftype, name), name, ftype, implied=True)


def read_tlp(label: object) -> TLP | None:
    """The TLP a label names in TLP 1.0 or 2.0 spelling, or None for anything else."""
    if not isinstance(label, str):
        return None
    try:
        return TLP.parse(label)
    except ValueError:
        return None


def strictest(tlps: Iterable[TLP]) -> TLP:
    return max(tlps, key=TLP_RANK.__getitem__, default=TLP.CLEAR)


def key_uuid(namespace: uuid.UUID, *key: str) -> str:
    """The same UUID for the same natural key, so re-imports update instead of duplicating."""
    return str(uuid.uuid5(namespace, "|".join(key)))


def utc(when: datetime | None) -> datetime:
    """``when`` in UTC (naive means UTC); the epoch, never the clock, when it is unknown."""
    moment = when or EPOCH
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def public_source(feed: Feed) -> str:
    """A URL or label as is; of a local path only the last part, which names no user."""
    source = feed.provenance.source if feed.provenance else ""
    return source if "://" in source else PurePath(source).name


class FeedBuilder:
    """Families, indicators and notes as a reader meets them; the first of each key is kept."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.families: dict[FamilyId, Family] = {}
        self.indicators: dict[tuple[IndicatorKind, str, FamilyId, Role | None], Indicator] = {}
        self.notebook = NoteBook(source)

    def add_family(self, family: Family) -> FamilyId:
        return self.families.setdefault(family.id, family).id

    def add_indicator(self, indicator: Indicator) -> None:
        key = (indicator.kind, indicator.value, indicator.family, indicator.role)
        self.indicators.setdefault(key, indicator)

    def feed(self, format_name: str, data: bytes) -> Feed:
        """The feed read from ``data``, its provenance naming ``format_name``."""
        files = input_files(data, self.source)
        return Feed(
            families=tuple(self.families.values()),
            indicators=tuple(self.indicators.values()),
            provenance=Provenance(format=format_name, source=self.source, files=files),
            notes=self.notebook.notes(),
        )


class NoteBook:
    """Gathers the values that share one note, in the order they were first met."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._values: dict[tuple[NoteLevel, str, str], list[str]] = {}

    def add(self, level: NoteLevel, code: str, message: str, value: str) -> None:
        self._values.setdefault((level, code, message), []).append(value)

    def notes(self) -> tuple[Note, ...]:
        return tuple(
            Note(level, code, message, source=self._source, values=tuple(values))
            for (level, code, message), values in self._values.items()
        )
