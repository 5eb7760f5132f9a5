"""Reading STIX 2.1 bundles into a feed; :mod:`unstalk.feed.formats.stix` says what is read."""

from __future__ import annotations

import re

from unstalk.errors import FeedFormatError
from unstalk.feed.formats._interchange import (
    FeedBuilder,
    JsonObject,
    declared_family_id,
    implied_family,
    load_json,
    member,
    read_tlp,
    strictest,
    text,
)
from unstalk.feed.formats.stix_common import (
    CUSTOM_INDICATOR_TYPE,
    PATTERN_PATHS,
    TLP1_MARKING_IDS,
    TLP2_EXTENSION,
    TLP2_MARKING_IDS,
)
from unstalk.feed.model import (
    NETWORK_KINDS,
    TLP,
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    NoteLevel,
    Platform,
    Role,
    Status,
    normalise_value,
)

_KNOWN_MARKINGS = {v: k for k, v in TLP1_MARKING_IDS.items()} | {
    v: k for k, v in TLP2_MARKING_IDS.items()
}
_COMPARISON = re.compile(
    r"\[\s*(?P<type>[a-z0-9][a-z0-9-]*)\s*:\s*"
    r"(?P<path>(?:[a-z0-9_]+|'[^']*')(?:\s*\.\s*(?:[a-z0-9_]+|'[^']*'))*)"
    r"\s*(?P<op>=|MATCHES)\s*'(?P<value>(?:[^'\\]|\\.)*)'\s*\]",
    re.IGNORECASE | re.DOTALL,
)
_SEGMENT = re.compile(r"[A-Za-z0-9_]+|'[^']*'")
_YARA_NAME = re.compile(r"\brule\s+([A-Za-z_]\w*)")


def parse_stix(data: bytes, *, source: str) -> Feed:
    """Read a STIX 2.1 bundle into a feed.

    Each indicator's family comes from its ``indicates`` relationship to a ``malware`` object.
    Patterns that are not one comparison on a path we know become notes (code
    ``unsupported-pattern``), never errors. Raises :class:`FeedFormatError` when the data is not
    a JSON STIX bundle.
    """
    objects = _load_bundle(data, source)
    reader = _Reader(source)
    reader.read(objects)
    return reader.feed("stix2", data)


def _load_bundle(data: bytes, source: str) -> list[JsonObject]:
    doc = load_json(
        data,
        source,
        what="a STIX bundle",
        advice="Check that the whole file was downloaded and that it is a .stix2/.json file.",
    )
    if not isinstance(doc, dict) or doc.get("type") != "bundle":
        raise FeedFormatError('the file is not a STIX bundle (no "type": "bundle")', source=source)
    objects = doc.get("objects", [])
    if not isinstance(objects, list):
        raise FeedFormatError('"objects" is not a list', source=source, location="objects")
    return [obj for obj in objects if isinstance(obj, dict)]


class _Reader(FeedBuilder):
    """Collects families, indicators and notes from a bundle's objects."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._malware: dict[str, FamilyId] = {}
        self._markings: dict[str, TLP] = dict(_KNOWN_MARKINGS)
        self._links: dict[str, list[str]] = {}

    def read(self, objects: list[JsonObject]) -> None:
        indicators: dict[str, JsonObject] = {}
        for n, obj in enumerate(objects):
            kind, oid = obj.get("type"), text(obj, "id") or f"objects[{n}]"
            if kind == "malware":
                self._add_malware(oid, obj)
            elif kind == "marking-definition":
                self._add_marking(oid, obj)
            elif kind == "relationship":
                self._add_relationship(obj)
            elif kind in ("indicator", CUSTOM_INDICATOR_TYPE):
                indicators.setdefault(oid, obj)
        for oid, obj in indicators.items():
            self._add_indicator(oid, obj)

    def _add_malware(self, oid: str, obj: JsonObject) -> None:
        self._malware[oid] = self.add_family(_family(obj))

    def _add_marking(self, oid: str, obj: JsonObject) -> None:
        tlp = _marking_tlp(obj)
        if tlp is not None:
            self._markings.setdefault(oid, tlp)

    def _add_relationship(self, obj: JsonObject) -> None:
        src, dst = text(obj, "source_ref"), text(obj, "target_ref")
        if obj.get("relationship_type") == "indicates" and src and dst:
            targets = self._links.setdefault(src, [])
            if dst not in targets:
                targets.append(dst)

    def _add_indicator(self, oid: str, obj: JsonObject) -> None:
        parsed = _read_pattern(obj)
        if isinstance(parsed, str):
            # Without a pattern, the object's id is what lets someone find it.
            pattern = text(obj, "pattern") or oid
            self.notebook.add(NoteLevel.WARNING, "unsupported-pattern", parsed, pattern)
            return
        kind, value = parsed
        role = _role(obj, kind)
        tlp = strictest(
            self._markings[m] for m in _texts(obj, "object_marking_refs") if m in self._markings
        )
        status = Status.REVOKED if obj.get("revoked") is True else Status.ACTIVE
        name = text(obj, "name")
        if kind is IndicatorKind.YARA and name is None:
            found = _YARA_NAME.search(value)
            name = found.group(1) if found else None
        for family in self._families_of(oid, obj):
            self.add_indicator(
                Indicator(kind, value, family, role, f"{self.source}#{oid}", tlp, status, name)
            )

    def _families_of(self, oid: str, obj: JsonObject) -> list[FamilyId]:
        found = [self._malware[t] for t in self._links.get(oid, []) if t in self._malware]
        if found:
            return list(dict.fromkeys(found))
        implied = self.add_family(implied_family(text(obj, "name") or "unknown"))
        self.notebook.add(
            NoteLevel.INFO,
            "no-family",
            "indicators with no 'indicates' relationship to a malware object were given a "
            "family named after the indicator (or 'unknown')",
            oid,
        )
        return [implied]


def _family(obj: JsonObject) -> Family:
    name = (text(obj, "name") or "").strip() or "unnamed"
    ftype = _family_type(obj)
    known_platforms = {p.value for p in Platform}
    return Family(
        id=declared_family_id(text(obj, "x_unstalk_family_id"), ftype, name),
        name=name,
        type=ftype,
        aliases=tuple(dict.fromkeys(a for a in _texts(obj, "aliases") if a != name)),
        platforms=tuple(
            Platform(p) for p in _texts(obj, "x_unstalk_platforms") if p in known_platforms
        ),
        websites=_texts(obj, "x_unstalk_websites"),
        vendor_ref=text(obj, "x_unstalk_vendor_ref"),
        implied=obj.get("x_unstalk_implied") is True,
    )


def _family_type(obj: JsonObject) -> FamilyType:
    declared = member(FamilyType, text(obj, "x_unstalk_family_type"))
    if declared is not None:
        return declared
    labels = {label.lower() for label in _texts(obj, "labels")}
    return FamilyType.WATCHWARE if FamilyType.WATCHWARE.value in labels else FamilyType.STALKERWARE


def _marking_tlp(obj: JsonObject) -> TLP | None:
    """TLP of a marking definition: its TLP 2.0 extension, TLP 1.0 definition or its name."""
    ext, definition = obj.get("extensions"), obj.get("definition")
    ext = ext.get(TLP2_EXTENSION) if isinstance(ext, dict) else None
    labels = (
        ext.get("tlp_2_0") if isinstance(ext, dict) else None,
        definition.get("tlp") if isinstance(definition, dict) else None,
        obj.get("name"),
    )
    return next((tlp for tlp in map(read_tlp, labels) if tlp is not None), None)


def _read_pattern(obj: JsonObject) -> tuple[IndicatorKind, str] | str:
    """Return the kind and value of an indicator, or why it cannot be read."""
    pattern = text(obj, "pattern")
    ptype = (text(obj, "pattern_type") or "stix").lower()
    if not pattern or not pattern.strip():
        return "indicator without a pattern"
    if ptype == "yara":
        return IndicatorKind.YARA, normalise_value(IndicatorKind.YARA, pattern)
    if ptype != "stix":
        return f"pattern type '{ptype}' is not read"
    match = _COMPARISON.fullmatch(pattern.strip())
    if match is None:
        return "pattern is not a single comparison (AND, OR, LIKE, several observations ...)"
    path = _normal_path(match.group("type"), match.group("path"))
    kind = PATTERN_PATHS.get((match.group("op").upper(), path))
    if kind is None:
        return f"no indicator kind for {path} {match.group('op')}"
    value = normalise_value(kind, re.sub(r"\\(.)", r"\1", match.group("value"), flags=re.DOTALL))
    if not value:
        return "empty value"
    if kind in (IndicatorKind.IPV4, IndicatorKind.IPV6) and "/" in value:
        kind = IndicatorKind.CIDR
    return kind, value


def _normal_path(object_type: str, path: str) -> str:
    """``file:hashes.'SHA-256'`` and ``file:hashes.sha256`` both become the latter."""
    segments = [s.strip("'").lower() for s in _SEGMENT.findall(path)]
    if len(segments) > 1 and segments[0] in ("hashes", "cert"):
        segments[1] = segments[1].replace("-", "")
    return f"{object_type.lower()}:{'.'.join(segments)}"


def _role(obj: JsonObject, kind: IndicatorKind) -> Role | None:
    declared = member(Role, text(obj, "x_unstalk_role"))
    if declared is not None:
        return declared
    if kind not in NETWORK_KINDS:
        return None
    # A bundle without our role says only that seeing the value indicates the malware; c2 keeps
    # that claim at full strength instead of weakening it to a guess of website or distribution.
    return Role.C2


def _texts(obj: JsonObject, key: str) -> tuple[str, ...]:
    value = obj.get(key)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
