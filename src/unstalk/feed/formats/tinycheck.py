"""TinyCheck's indicator JSON: read TinyCheck's iocs.json and Echap's file for it, write the latter.

The layout is ``{"iocs": [{"type", "tag", "tlp", "value"}], "to_delete": [{"value"}]}``.
TinyCheck's watchers fetch such a file, add every entry of ``iocs``, then delete every value
listed in ``to_delete`` whatever its type; TinyCheck's own export adds an ``id`` to each entry.

Reading, type by type:

- ``domain``, ``ip4addr``, ``ip6addr`` and ``cidr`` become domain, IPv4, IPv6 and CIDR
  indicators, with no role: TinyCheck does not say whether a domain is C2 or a website.
- ``sha1cert`` is the SHA-1 of a TLS server certificate seen on the wire, not of an app's
  signing certificate. It becomes a ``cert_sha1`` indicator named ``tls-certificate``; it
  cannot match an APK signature by accident (it is another certificate), and the name keeps
  the two apart on export.
- ``freedns`` (free dynamic-DNS providers), ``tld`` (suspicious top-level domains), ``ns``
  (name servers of suspicious registrars) and ``snort`` (whole Snort rules) say "suspicious",
  not "this app": each type becomes one note listing its values, not indicators.
- The ``tag`` is a category (stalkerware, tracker, pegasus, suspect ...). It becomes the
  family, implied, typed watchware for the tag ``watchware`` and stalkerware otherwise. Any
  other tag than those two leaves a warning: ``tracker`` domains are advertising trackers, not
  stalkerware, and ``suspect`` ones are heuristics.
- ``to_delete`` entries become revoked indicators. A value both listed and deleted ends up
  deleted in TinyCheck, so it is read as revoked.

Writing: the tag is ``stalkerware`` or ``watchware`` (the family type), because TinyCheck
shows it in its alerts and may only accept the tags its configuration lists. The family name
and the role go in extra keys ``family`` and ``role``, which TinyCheck ignores and
:func:`parse_tinycheck` reads back. TinyCheck knows TLP 1.0 only: ``clear`` is written
``white`` and ``amber+strict`` as ``red`` (the stricter neighbour), with the exact label in
an extra ``tlp2`` key. Only ``cert_sha1`` indicators named ``tls-certificate`` are written:
the APK signing certificates of Echap's feed would be looked for in TLS traffic in vain.
Revoked indicators go to ``to_delete`` unless their value is still active in the same file,
where deleting it would undo the active entry.

A round trip keeps value, kind, status, TLP, role and family name and type; it loses what a
family says beyond its name and type (aliases, platforms, websites) and each indicator's source.

Compared with Echap's generated indicators-for-tinycheck.json (C2 domains, websites,
distribution and C2 IPv4 of stalkerware apps, with duplicates), ours is sorted and unique,
adds watchware, IPv6, CIDR ranges and the C2 IPs Echap misses under ``c2: ip:``, and leaves
out the two distribution URLs Echap writes as domains, which TinyCheck refuses anyway.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from unstalk.errors import FeedFormatError
from unstalk.feed.formats._common import check_size, family_of
from unstalk.feed.formats._interchange import NoteBook, input_files
from unstalk.feed.model import (
    TLP,
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    NoteLevel,
    Provenance,
    Role,
    Status,
    family_id,
    normalise_value,
)
from unstalk.feed.values import guess_kind, is_hex, is_valid_value

TLS_CERTIFICATE = "tls-certificate"
"""Name of ``cert_sha1`` indicators that hold a TLS server certificate, not a signing one."""

_KINDS = {
    "domain": IndicatorKind.DOMAIN,
    "ip4addr": IndicatorKind.IPV4,
    "ip6addr": IndicatorKind.IPV6,
    "cidr": IndicatorKind.CIDR,
    "sha1cert": IndicatorKind.CERT_SHA1,
}
_TYPES = {kind: name for name, kind in _KINDS.items()}
_TYPE_ORDER = {name: n for n, name in enumerate(_KINDS)}
_UNSUPPORTED = {
    "freedns": "free dynamic-DNS provider domains, under which TinyCheck flags any name",
    "tld": "top-level domains TinyCheck finds suspicious",
    "ns": "name servers TinyCheck finds suspicious in a domain's NS record",
    "snort": "Snort rules TinyCheck runs on the capture",
}
_FAMILY_TAGS = frozenset({FamilyType.STALKERWARE.value, FamilyType.WATCHWARE.value})
_TLP1 = {
    TLP.CLEAR: "white",
    TLP.GREEN: "green",
    TLP.AMBER: "amber",
    TLP.AMBER_STRICT: "red",
    TLP.RED: "red",
}


def _load(data: bytes, source: str) -> dict[str, object]:
    check_size(data, source)
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise FeedFormatError(f"the file is not valid JSON ({e})", source=source) from e
    if not isinstance(doc, dict) or not ({"iocs", "to_delete"} & doc.keys()):
        raise FeedFormatError(
            'the file is not TinyCheck indicators: it needs an "iocs" list',
            source=source,
            advice='TinyCheck indicator files look like {"iocs": [{"type": ...}]}.',
        )
    return doc


def _entries(doc: dict[str, object], key: str, source: str) -> Sequence[object]:
    entries = doc.get(key, [])
    if not isinstance(entries, list):
        raise FeedFormatError(f'"{key}" must be a list', source=source, location=key)
    return entries


def _text(raw: dict[str, object], key: str, where: str, source: str, *, needed: bool) -> str:
    value = raw.get(key)
    if value is None and not needed:
        return ""
    if not isinstance(value, str):
        state = "is missing" if value is None else "must be text"
        raise FeedFormatError(f'"{key}" {state}', source=source, location=where)
    return value


@dataclass(slots=True)
class _Reader:
    source: str
    book: NoteBook
    families: dict[FamilyId, Family] = field(default_factory=dict)
    indicators: dict[tuple[object, ...], Indicator] = field(default_factory=dict)
    category_tags: set[str] = field(default_factory=set)
    untagged: set[tuple[object, ...]] = field(default_factory=set)
    """Deletions that name no family: only kept when no listed entry has their value."""

    def read(self, raw: object, where: str, status: Status) -> None:
        if not isinstance(raw, dict):
            raise FeedFormatError(
                "each entry must be an object", source=self.source, location=where
            )
        needed = status is Status.ACTIVE
        fields = {
            key: _text(raw, key, where, self.source, needed=needed or key == "value")
            for key in ("type", "tag", "tlp", "value")
        }
        kind = self._kind(fields["type"], fields["value"], status)
        tlp = self._tlp(raw.get("tlp2"), fields["tlp"], fields["value"])
        if kind is None or tlp is None:
            return
        found = self._value(kind, fields["value"])
        if found is None:
            return
        kind, value = found
        fid = self._family(raw.get("family"), fields["tag"])
        role = self._role(raw.get("role"), value)
        name = TLS_CERTIFICATE if kind is IndicatorKind.CERT_SHA1 else None
        ind = Indicator(kind, value, fid, role, self.source, tlp, status, name)
        key = (kind, value, fid, role, status)
        self.indicators.setdefault(key, ind)
        if not fields["tag"] and not isinstance(raw.get("family"), str):
            self.untagged.add(key)

    def _kind(self, declared: str, value: str, status: Status) -> IndicatorKind | None:
        if declared in _KINDS:
            return _KINDS[declared]
        if declared in _UNSUPPORTED:
            listed = "deleted" if status is Status.REVOKED else "listed"
            self.book.add(
                NoteLevel.INFO,
                "tinycheck-unsupported-type",
                f"{declared} entries ({_UNSUPPORTED[declared]}) are not app indicators; "
                f"the {listed} values are kept in this note",
                value,
            )
            return None
        if not declared:
            return self._guess(value)
        self.book.add(
            NoteLevel.WARNING,
            "tinycheck-unknown-type",
            f"entries of unknown type {declared!r} were skipped",
            value,
        )
        return None

    def _guess(self, value: str) -> IndicatorKind | None:
        if is_hex(normalise_value(IndicatorKind.CERT_SHA1, value), 40):
            return IndicatorKind.CERT_SHA1
        kind = guess_kind(value)
        if kind in _TYPES:
            return kind
        self.book.add(
            NoteLevel.WARNING,
            "tinycheck-unknown-type",
            "entries without a type that are no domain, IP, range or hash were skipped",
            value,
        )
        return None

    def _tlp(self, exact: object, label: str, value: str) -> TLP | None:
        for text in (exact, label or "clear"):
            if isinstance(text, str):
                try:
                    return TLP.parse(text)
                except ValueError:
                    pass
        self.book.add(
            NoteLevel.WARNING,
            "tinycheck-bad-tlp",
            f"entries with the unknown TLP label {label!r} were skipped",
            value,
        )
        return None

    def _value(self, kind: IndicatorKind, raw: str) -> tuple[IndicatorKind, str] | None:
        value = normalise_value(kind, raw)
        if kind is IndicatorKind.DOMAIN:
            value = value.lstrip(".")
        if is_hex(value, 40) if kind is IndicatorKind.CERT_SHA1 else is_valid_value(kind, value):
            return kind, value
        # TinyCheck reads a bare address as a one-address range, and Echap writes a few
        # distribution IPs and URLs as domains: keep them under the kind they really are.
        actual = guess_kind(raw) if kind is not IndicatorKind.CERT_SHA1 else None
        if actual is None:
            self.book.add(
                NoteLevel.WARNING,
                "tinycheck-invalid-value",
                f"values that are not a valid {_TYPES[kind]} were skipped",
                raw,
            )
            return None
        self.book.add(
            NoteLevel.INFO,
            "tinycheck-type-mismatch",
            f"values listed as {_TYPES[kind]} were read as {actual.value}",
            raw,
        )
        return actual, normalise_value(actual, raw)

    def _family(self, named: object, tag: str) -> FamilyId:
        tag = tag.strip().lower()
        kind = FamilyType.WATCHWARE if tag == FamilyType.WATCHWARE else FamilyType.STALKERWARE
        name = named.strip() if isinstance(named, str) and named.strip() else tag or "unknown"
        if name == tag and tag not in _FAMILY_TAGS and tag not in self.category_tags:
            self.category_tags.add(tag)
            self.book.add(
                NoteLevel.WARNING,
                "tinycheck-category-tag",
                "these TinyCheck tags are categories, not app families; their indicators "
                "are kept under a family of that name, typed stalkerware",
                tag,
            )
        fid = family_id(kind, name)
        self.families.setdefault(fid, Family(fid, name, kind, implied=True))
        return fid

    def _role(self, raw: object, value: str) -> Role | None:
        role = next((r for r in Role if r.value == raw), None)
        if role is None and raw is not None:
            self.book.add(
                NoteLevel.INFO, "tinycheck-bad-role", f"unknown role {raw!r} ignored", value
            )
        return role

    def feed_indicators(self) -> tuple[Indicator, ...]:
        """The indicators read, with every value that is also deleted marked revoked."""
        deleted = {i.value for i in self.indicators.values() if i.status is Status.REVOKED}
        listed = {i.value for i in self.indicators.values() if i.status is Status.ACTIVE}
        out: dict[tuple[object, ...], Indicator] = {}
        for key, ind in self.indicators.items():
            if key in self.untagged and ind.value in listed:
                continue
            if ind.status is Status.ACTIVE and ind.value in deleted:
                self.book.add(
                    NoteLevel.WARNING,
                    "tinycheck-added-and-deleted",
                    "values both listed and deleted; TinyCheck deletes them, so they are revoked",
                    ind.value,
                )
                ind = replace(ind, status=Status.REVOKED)
            out.setdefault((ind.kind, ind.value, ind.family, ind.role, ind.status), ind)
        return tuple(out.values())


def parse_tinycheck(data: bytes, *, source: str) -> Feed:
    """Read TinyCheck's iocs.json, or Echap's indicators-for-tinycheck.json, into a feed."""
    doc = _load(data, source)
    reader = _Reader(source, NoteBook(source))
    for n, raw in enumerate(_entries(doc, "iocs", source)):
        reader.read(raw, f"iocs[{n}]", Status.ACTIVE)
    for n, raw in enumerate(_entries(doc, "to_delete", source)):
        reader.read(raw, f"to_delete[{n}]", Status.REVOKED)
    indicators = reader.feed_indicators()
    used = {i.family for i in indicators}
    return Feed(
        families=tuple(f for fid, f in sorted(reader.families.items()) if fid in used),
        indicators=indicators,
        provenance=Provenance("tinycheck", source, files=input_files(data, source)),
        notes=reader.book.notes(),
    )


def _written_value(ind: Indicator) -> str | None:
    """The value as TinyCheck compares it, or None if TinyCheck cannot use the indicator."""
    if ind.kind is IndicatorKind.CERT_SHA1:
        # TinyCheck compares lower-case fingerprints as plain strings.
        valid = ind.name == TLS_CERTIFICATE and is_hex(ind.value.upper(), 40)
        return ind.value.lower() if valid else None
    if ind.kind in _TYPES and is_valid_value(ind.kind, ind.value):
        return ind.value
    return None


def _entry(feed: Feed, ind: Indicator, value: str) -> dict[str, str]:
    family = family_of(feed, ind.family)
    tag = FamilyType.WATCHWARE if family.type is FamilyType.WATCHWARE else FamilyType.STALKERWARE
    entry = {
        "type": _TYPES[ind.kind],
        "tag": tag.value,
        "tlp": _TLP1[ind.tlp],
        "value": value,
        "family": family.name,
    }
    if ind.role is not None:
        entry["role"] = ind.role.value
    if _TLP1[ind.tlp] != ind.tlp.value and ind.tlp is not TLP.CLEAR:
        entry["tlp2"] = ind.tlp.value
    return entry


def _sorted(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    unique = {tuple(e.items()): e for e in entries}
    return sorted(unique.values(), key=lambda e: (_TYPE_ORDER[e["type"]], e["value"], *e.items()))


def export_tinycheck(feed: Feed) -> bytes:
    """Write the JSON TinyCheck's watchers read, revoked indicators under ``to_delete``."""
    written = [(i, _written_value(i)) for i in feed.indicators]
    live = {v for i, v in written if v is not None and i.status is Status.ACTIVE}
    iocs = [_entry(feed, i, v) for i, v in written if v is not None and i.status is Status.ACTIVE]
    deleted = [
        _entry(feed, i, v)
        for i, v in written
        if v is not None and i.status is Status.REVOKED and v not in live
    ]
    doc = {"iocs": _sorted(iocs), "to_delete": _sorted(deleted)}
    return (json.dumps(doc, indent=1) + "\n").encode("ascii")
