"""STIX 2.1 bundles: read the ones MVT and Echap publish, write one they and other tools read.

:func:`export_stix` writes an ``identity`` for the producer, one ``malware`` per family
(``is_family``, aliases, ``malware_types: ["spyware"]``, the family type in ``labels``), one
indicator per indicator with an ``indicates`` relationship to its family, and the official TLP
2.0 marking definitions. Our own facts ride in ``x_unstalk_*`` properties so a round trip loses
nothing. Patterns are spelled the way MVT matches them (``[app:id='x']``, ``[app:cert.sha1='X']``,
``[file:hashes.sha256='x']``, ``[domain-name:value='x']`` ..., no spaces around ``=`` for older
MVT versions); kinds MVT has no path for use custom paths on its ``app`` object
(``app:x_unstalk_ios_bundle_id``, ``app:cert.x_unstalk_organization``,
``app:cert.x_unstalk_subject_cn MATCHES '<regex>'``) and YARA rules ``pattern_type: "yara"``.
``app:id`` breaks STIX's three-character minimum for property names; MVT needs it.

MVT reads every ``indicator`` object whatever its ``pattern_type`` or ``revoked``, and stops
loading the whole file on a pattern that does not split in two at ``=``. So only indicators MVT
can read and should alert on (active, of a stalkerware family, one ``=``, no quote or backslash
in the value) get the standard type; the others (YARA rules, regexes, such values, revoked
ones, and watchware, which must never read as stalkerware) are ``x-unstalk-indicator`` objects
with the same properties, which MVT skips and :func:`parse_stix` reads like any other.

Ids are UUIDv5 of natural keys; timestamps come from the caller or the feed's retrieval time
(the Unix epoch when neither is known, never the clock); objects and keys are sorted.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import PurePath

from unstalk.errors import FeedFormatError
from unstalk.feed.model import (
    NETWORK_KINDS,
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
    Platform,
    Provenance,
    Role,
    Status,
    family_id,
    normalise_value,
)

MAX_INPUT_BYTES = 256 * 1024 * 1024
"""Larger inputs are refused rather than risk exhausting memory."""

CUSTOM_INDICATOR_TYPE = "x-unstalk-indicator"
_NAMESPACE = uuid.UUID("29dbc67d-3a9a-4eba-850e-485d81c3491e")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TLP2_MARKING_IDS: Mapping[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
"""Marking definitions published by OASIS for TLP 2.0 (cti-stix-common-objects)."""
TLP1_MARKING_IDS: Mapping[TLP, str] = {
    TLP.CLEAR: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    TLP.GREEN: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    TLP.AMBER: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    TLP.RED: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
"""TLP 1.0 marking definitions predefined by the STIX 2.1 specification."""
_TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"
_KNOWN_MARKINGS = {v: k for k, v in TLP1_MARKING_IDS.items()} | {
    v: k for k, v in TLP2_MARKING_IDS.items()
}
_TLP_RANK = {tlp: rank for rank, tlp in enumerate(TLP)}

_PATHS: Mapping[tuple[str, str], IndicatorKind] = {
    ("=", "app:id"): IndicatorKind.PACKAGE,
    ("=", "app:x_unstalk_ios_bundle_id"): IndicatorKind.IOS_BUNDLE,
    ("=", "app:cert.sha1"): IndicatorKind.CERT_SHA1,
    ("=", "app:cert.sha256"): IndicatorKind.CERT_SHA256,
    ("=", "app:cert.x_unstalk_organization"): IndicatorKind.CERT_ORG,
    ("MATCHES", "app:cert.x_unstalk_subject_cn"): IndicatorKind.CERT_CNAME_RE,
    ("=", "file:hashes.sha256"): IndicatorKind.FILE_SHA256,
    ("=", "domain-name:value"): IndicatorKind.DOMAIN,
    ("=", "ipv4-addr:value"): IndicatorKind.IPV4,
    ("=", "ipv6-addr:value"): IndicatorKind.IPV6,
    ("=", "url:value"): IndicatorKind.URL,
}
_EXPORT_PATHS = {kind: path for (_, path), kind in _PATHS.items()}
_COMPARISON = re.compile(
    r"\[\s*(?P<type>[a-z0-9][a-z0-9-]*)\s*:\s*"
    r"(?P<path>(?:[a-z0-9_]+|'[^']*')(?:\s*\.\s*(?:[a-z0-9_]+|'[^']*'))*)"
    r"\s*(?P<op>=|MATCHES)\s*'(?P<value>(?:[^'\\]|\\.)*)'\s*\]",
    re.IGNORECASE | re.DOTALL,
)
_SEGMENT = re.compile(r"[A-Za-z0-9_]+|'[^']*'")
_YARA_NAME = re.compile(r"\brule\s+([A-Za-z_]\w*)")

JsonObject = Mapping[str, object]


# --- reading -------------------------------------------------------------------------------


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
    files = (InputFile(name=source, sha256=hashlib.sha256(data).hexdigest(), size=len(data)),)
    return Feed(
        families=tuple(reader.families.values()),
        indicators=tuple(reader.indicators.values()),
        provenance=Provenance(format="stix2", source=source, files=files),
        notes=reader.notes(),
    )


def _load_bundle(data: bytes, source: str) -> list[JsonObject]:
    if len(data) > MAX_INPUT_BYTES:
        raise FeedFormatError(
            f"the file is larger than {MAX_INPUT_BYTES // 2**20} MiB", source=source
        )
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise FeedFormatError(
            "the file is not valid JSON, so it cannot be a STIX bundle",
            source=source,
            advice="Check that the whole file was downloaded and that it is a .stix2/.json file.",
        ) from e
    if not isinstance(doc, dict) or doc.get("type") != "bundle":
        raise FeedFormatError('the file is not a STIX bundle (no "type": "bundle")', source=source)
    objects = doc.get("objects", [])
    if not isinstance(objects, list):
        raise FeedFormatError('"objects" is not a list', source=source, location="objects")
    return [obj for obj in objects if isinstance(obj, dict)]


class _Reader:
    """Collects families, indicators and notes from a bundle's objects."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.families: dict[FamilyId, Family] = {}
        self.indicators: dict[tuple[IndicatorKind, str, FamilyId, Role | None], Indicator] = {}
        self._malware: dict[str, FamilyId] = {}
        self._markings: dict[str, TLP] = dict(_KNOWN_MARKINGS)
        self._links: dict[str, list[str]] = {}
        self._notes: dict[tuple[NoteLevel, str, str], list[str]] = {}

    def read(self, objects: list[JsonObject]) -> None:
        indicators: dict[str, JsonObject] = {}
        for n, obj in enumerate(objects):
            kind, oid = obj.get("type"), _text(obj, "id") or f"objects[{n}]"
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

    def notes(self) -> tuple[Note, ...]:
        return tuple(
            Note(level, code, message, source=self.source, values=tuple(values))
            for (level, code, message), values in self._notes.items()
        )

    def _note(self, level: NoteLevel, code: str, message: str, value: str) -> None:
        self._notes.setdefault((level, code, message), []).append(value)

    def _add_malware(self, oid: str, obj: JsonObject) -> None:
        family = _family(obj)
        self.families.setdefault(family.id, family)
        self._malware[oid] = family.id

    def _add_marking(self, oid: str, obj: JsonObject) -> None:
        tlp = _marking_tlp(obj)
        if tlp is not None:
            self._markings.setdefault(oid, tlp)

    def _add_relationship(self, obj: JsonObject) -> None:
        src, dst = _text(obj, "source_ref"), _text(obj, "target_ref")
        if obj.get("relationship_type") == "indicates" and src and dst:
            targets = self._links.setdefault(src, [])
            if dst not in targets:
                targets.append(dst)

    def _add_indicator(self, oid: str, obj: JsonObject) -> None:
        parsed = _read_pattern(obj)
        if isinstance(parsed, str):
            # Without a pattern, the object's id is what lets someone find it.
            pattern = _text(obj, "pattern") or oid
            self._note(NoteLevel.WARNING, "unsupported-pattern", parsed, pattern)
            return
        kind, value = parsed
        role = _role(obj, kind)
        tlp = _strictest(
            self._markings[m] for m in _texts(obj, "object_marking_refs") if m in self._markings
        )
        status = Status.REVOKED if obj.get("revoked") is True else Status.ACTIVE
        name = _text(obj, "name")
        if kind is IndicatorKind.YARA and name is None:
            found = _YARA_NAME.search(value)
            name = found.group(1) if found else None
        for family in self._families_of(oid, obj):
            key = (kind, value, family, role)
            self.indicators.setdefault(
                key,
                Indicator(kind, value, family, role, f"{self.source}#{oid}", tlp, status, name),
            )

    def _families_of(self, oid: str, obj: JsonObject) -> list[FamilyId]:
        found = [self._malware[t] for t in self._links.get(oid, []) if t in self._malware]
        if found:
            return list(dict.fromkeys(found))
        name = _text(obj, "name") or "unknown"
        implied = Family(
            family_id(FamilyType.STALKERWARE, name), name, FamilyType.STALKERWARE, implied=True
        )
        self.families.setdefault(implied.id, implied)
        self._note(
            NoteLevel.INFO,
            "no-family",
            "indicators with no 'indicates' relationship to a malware object were given a "
            "family named after the indicator (or 'unknown')",
            oid,
        )
        return [implied.id]


def _family(obj: JsonObject) -> Family:
    name = (_text(obj, "name") or "").strip() or "unnamed"
    ftype = _family_type(obj)
    fid = _text(obj, "x_unstalk_family_id")
    if fid is None or not fid.startswith(f"{ftype.value}/"):
        fid = family_id(ftype, name)
    known_platforms = {p.value for p in Platform}
    return Family(
        id=FamilyId(fid),
        name=name,
        type=ftype,
        aliases=tuple(dict.fromkeys(a for a in _texts(obj, "aliases") if a != name)),
        platforms=tuple(
            Platform(p) for p in _texts(obj, "x_unstalk_platforms") if p in known_platforms
        ),
        websites=_texts(obj, "x_unstalk_websites"),
        vendor_ref=_text(obj, "x_unstalk_vendor_ref"),
        implied=obj.get("x_unstalk_implied") is True,
    )


def _family_type(obj: JsonObject) -> FamilyType:
    declared = _text(obj, "x_unstalk_family_type")
    if declared in {t.value for t in FamilyType}:
        return FamilyType(declared)
    labels = {label.lower() for label in _texts(obj, "labels")}
    return FamilyType.WATCHWARE if FamilyType.WATCHWARE.value in labels else FamilyType.STALKERWARE


def _marking_tlp(obj: JsonObject) -> TLP | None:
    """TLP of a marking definition: its TLP 2.0 extension, TLP 1.0 definition or its name."""
    ext, definition = obj.get("extensions"), obj.get("definition")
    ext = ext.get(_TLP2_EXTENSION) if isinstance(ext, dict) else None
    labels = (
        ext.get("tlp_2_0") if isinstance(ext, dict) else None,
        definition.get("tlp") if isinstance(definition, dict) else None,
        obj.get("name"),
    )
    for label in labels:
        if isinstance(label, str):
            try:
                return TLP.parse(label)
            except ValueError:
                continue
    return None


def _read_pattern(obj: JsonObject) -> tuple[IndicatorKind, str] | str:
    """Return the kind and value of an indicator, or why it cannot be read."""
    pattern = _text(obj, "pattern")
    ptype = (_text(obj, "pattern_type") or "stix").lower()
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
    kind = _PATHS.get((match.group("op").upper(), path))
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
    declared = _text(obj, "x_unstalk_role")
    if declared in {r.value for r in Role}:
        return Role(declared)
    if kind not in NETWORK_KINDS:
        return None
    # A bundle without our role says only that seeing the value indicates the malware; c2 keeps
    # that claim at full strength instead of weakening it to a guess of website or distribution.
    return Role.C2


def _strictest(tlps: Iterable[TLP]) -> TLP:
    return max(tlps, key=_TLP_RANK.__getitem__, default=TLP.CLEAR)


def _text(obj: JsonObject, key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _texts(obj: JsonObject, key: str) -> tuple[str, ...]:
    value = obj.get(key)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


# --- writing -------------------------------------------------------------------------------


def export_stix(feed: Feed, *, created: datetime | None = None) -> bytes:
    """Write the feed as one STIX 2.1 bundle (UTF-8 JSON bytes), byte-identical across runs."""
    provenance = feed.provenance
    stamp = _stamp(created or (provenance.retrieved if provenance else None))
    identity = _identity(_public_source(feed), stamp)
    writer = _Writer(stamp, str(identity["id"]))
    families = {f.id: f for f in feed.families}
    grouped: dict[FamilyId, dict[tuple[str, ...], Indicator]] = {fid: {} for fid in families}
    for ind in sorted(feed.indicators, key=_sort_key):
        if ind.family not in families:
            families[ind.family] = _implied_family(ind.family)
        grouped.setdefault(ind.family, {}).setdefault(_natural_key(ind), ind)
    body: list[dict[str, object]] = []
    for fid in sorted(grouped):
        body.extend(writer.family(families[fid], list(grouped[fid].values())))
    markings = [_tlp2_marking(tlp) for tlp in TLP if tlp in writer.used_tlps]
    objects = [identity, *markings, *body]
    digest = hashlib.sha256("\n".join(str(o["id"]) for o in objects).encode()).hexdigest()
    # One object per line keeps diffs readable; json's C encoder only runs without indent.
    lines = ",\n".join(json.dumps(o, sort_keys=True, ensure_ascii=False) for o in objects)
    bundle_id = json.dumps(_stix_id("bundle", digest))
    return f'{{"id": {bundle_id}, "objects": [\n{lines}\n], "type": "bundle"}}\n'.encode()


class _Writer:
    def __init__(self, stamp: str, identity_id: str) -> None:
        self.used_tlps: set[TLP] = {TLP.CLEAR}
        self._common = {
            "spec_version": "2.1",
            "created": stamp,
            "modified": stamp,
            "created_by_ref": identity_id,
        }
        self._stamp = stamp

    def _marking(self, tlp: TLP) -> dict[str, object]:
        self.used_tlps.add(tlp)
        return {"object_marking_refs": [TLP2_MARKING_IDS[tlp]]}

    def family(self, family: Family, indicators: list[Indicator]) -> list[dict[str, object]]:
        loosest = min((i.tlp for i in indicators), key=_TLP_RANK.__getitem__, default=TLP.CLEAR)
        malware: dict[str, object] = {
            "type": "malware",
            "id": _stix_id("malware", family.id),
            **self._common,
            **self._marking(loosest),
            "name": family.name,
            "description": f"{family.type.value.capitalize()} family {family.name}",
            "is_family": True,
            "malware_types": ["spyware"],
            "labels": [family.type.value],
            "x_unstalk_family_id": family.id,
            "x_unstalk_family_type": family.type.value,
            "x_unstalk_implied": family.implied,
        }
        optional = {
            "aliases": list(family.aliases),
            "x_unstalk_platforms": [p.value for p in family.platforms],
            "x_unstalk_websites": list(family.websites),
            "x_unstalk_vendor_ref": family.vendor_ref,
        }
        malware.update((k, v) for k, v in optional.items() if v)
        out = [malware]
        for ind in indicators:
            out.extend(self._indicator(ind, family, str(malware["id"])))
        return out

    def _indicator(
        self, ind: Indicator, family: Family, malware_id: str
    ) -> list[dict[str, object]]:
        pattern_type, pattern = _pattern(ind)
        # MVT keeps quotes and backslashes of a value, so it would look for a different value.
        mvt_reads = pattern_type == "stix" and pattern.count("=") == 1
        mvt_reads = mvt_reads and not any(c in ind.value for c in "'\\")
        alerts = ind.status is Status.ACTIVE and family.type is FamilyType.STALKERWARE
        otype = "indicator" if mvt_reads and alerts else CUSTOM_INDICATOR_TYPE
        obj: dict[str, object] = {
            "type": otype,
            "id": _stix_id("indicator", *_natural_key(ind), prefix=otype),
            **self._common,
            **self._marking(ind.tlp),
            "indicator_types": ["malicious-activity" if alerts else "anomalous-activity"],
            "pattern": pattern,
            "pattern_type": pattern_type,
            "valid_from": self._stamp,
            "description": f"{_label(ind)} of {family.name} ({family.type.value})",
        }
        if pattern_type == "stix":
            obj["pattern_version"] = "2.1"
        if ind.role is not None:
            obj["x_unstalk_role"] = ind.role.value
        if ind.name:
            obj["name"] = ind.name
        if ind.status is Status.REVOKED:
            obj["revoked"] = True
        link = {
            "type": "relationship",
            "id": _stix_id("relationship", *_natural_key(ind), malware_id),
            **self._common,
            **self._marking(ind.tlp),
            "relationship_type": "indicates",
            "source_ref": obj["id"],
            "target_ref": malware_id,
        }
        return [obj, link]


def _pattern(ind: Indicator) -> tuple[str, str]:
    if ind.kind is IndicatorKind.YARA:
        return "yara", ind.value
    kind = ind.kind
    if kind is IndicatorKind.CIDR:
        kind = IndicatorKind.IPV6 if ":" in ind.value else IndicatorKind.IPV4
    literal = ind.value.replace("\\", "\\\\").replace("'", "\\'")
    if kind is IndicatorKind.CERT_CNAME_RE:
        return "stix", f"[{_EXPORT_PATHS[kind]} MATCHES '{literal}']"
    return "stix", f"[{_EXPORT_PATHS[kind]}='{literal}']"


def _label(ind: Indicator) -> str:
    kind = ind.kind.value.replace("_", " ")
    return f"{ind.role.value} {kind}" if ind.role else kind


def _natural_key(ind: Indicator) -> tuple[str, str, str, str]:
    # The role is part of the key: Echap lists some domains both as c2 and as website.
    return (ind.kind.value, ind.value, ind.family, ind.role.value if ind.role else "")


def _sort_key(ind: Indicator) -> tuple[str, str, str, str, int, str]:
    return (*_natural_key(ind), _TLP_RANK[ind.tlp], ind.status.value)


def _implied_family(fid: FamilyId) -> Family:
    prefix, _, slug = fid.partition("/")
    ftype = FamilyType.WATCHWARE if prefix == FamilyType.WATCHWARE.value else FamilyType.STALKERWARE
    return Family(fid, slug or fid, ftype, implied=True)


def _identity(source: str, stamp: str) -> dict[str, object]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": _stix_id("identity", "unstalk"),
        "created": stamp,
        "modified": stamp,
        "name": "unstalk",
        "identity_class": "system",
        "description": f"unstalk export of the indicator feed from {source or 'an unnamed source'}",
        "object_marking_refs": [TLP2_MARKING_IDS[TLP.CLEAR]],
    }


def _tlp2_marking(tlp: TLP) -> dict[str, object]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[tlp],
        "created": _TLP2_CREATED,
        "name": f"TLP:{tlp.value.upper()}",
        "extensions": {
            _TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.value}
        },
    }


def _public_source(feed: Feed) -> str:
    """A URL or label as is; of a local path only the last part, which names no user."""
    source = feed.provenance.source if feed.provenance else ""
    return source if "://" in source else PurePath(source).name


def _stix_id(object_type: str, *key: str, prefix: str = "") -> str:
    # The prefix may differ from the type keyed (x-unstalk-indicator): the UUID stays the same.
    return f"{prefix or object_type}--{uuid.uuid5(_NAMESPACE, '|'.join((object_type, *key)))}"


def _stamp(when: datetime | None) -> str:
    moment = when or _EPOCH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
