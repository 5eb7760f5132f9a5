"""Reading MISP events into a feed; :mod:`unstalk.feed.formats.misp` says what is read."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from unstalk.errors import FeedFormatError
from unstalk.feed.formats._interchange import (
    TLP_RANK,
    FeedBuilder,
    JsonObject,
    declared_family_id,
    implied_family,
    load_json,
    member,
    read_tlp,
    text,
)
from unstalk.feed.formats.misp_common import RELATIONS, family_of_id
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
    Role,
    Status,
    normalise_value,
)

_KIND_OF_RELATION = {relation: kind for kind, (relation, _, _) in RELATIONS.items()}
_SIMPLE_TYPES: Mapping[str, IndicatorKind] = {
    "domain": IndicatorKind.DOMAIN,
    "hostname": IndicatorKind.DOMAIN,
    "url": IndicatorKind.URL,
    "sha256": IndicatorKind.FILE_SHA256,
    "x509-fingerprint-sha1": IndicatorKind.CERT_SHA1,
    "x509-fingerprint-sha256": IndicatorKind.CERT_SHA256,
    "yara": IndicatorKind.YARA,
}
_IP_TYPES = ("ip-dst", "ip-src", "ip-dst|port", "ip-src|port")


def parse_misp(data: bytes, *, source: str) -> Feed:
    """Read a MISP event (``{"Event": {...}}`` or the bare event) into a feed.

    An ``android-app`` object's family is its ``name``; a plain attribute's family comes from
    an unstalk comment, else from a family named after the event ``info``. Attribute types
    with no indicator kind become notes. Raises :class:`FeedFormatError` when the data is not
    a JSON MISP event.
    """
    event = _load_event(data, source)
    reader = _Reader(source, event)
    objects = _dicts(event, "Object", source)
    # Apps first, so a comment naming a family finds the app's family, not a placeholder.
    for obj in sorted(objects, key=lambda o: o.get("name") != "android-app"):
        reader.read_object(obj)
    for attr in _dicts(event, "Attribute", source):
        reader.read_attribute(attr, None)
    return reader.feed("misp", data)


def _load_event(data: bytes, source: str) -> JsonObject:
    doc = load_json(
        data,
        source,
        what="a MISP event",
        advice="Check that the whole file was downloaded and that it is a MISP event export.",
    )
    event = doc.get("Event", doc) if isinstance(doc, dict) else None
    if not isinstance(event, dict) or not {"Attribute", "Object", "info"} & event.keys():
        raise FeedFormatError(
            'the file is not a MISP event (no "Event" with "info", "Attribute" or "Object")',
            source=source,
        )
    return event


def _dicts(obj: JsonObject, key: str, source: str) -> list[JsonObject]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise FeedFormatError(f'"{key}" is not a list', source=source, location=key)
    return [item for item in value if isinstance(item, dict)]


class _Reader(FeedBuilder):
    def __init__(self, source: str, event: JsonObject) -> None:
        super().__init__(source)
        self._tlp = _tlp_of(event) or TLP.CLEAR
        info = event.get("info")
        self._event_name = info.strip() if isinstance(info, str) and info.strip() else "unknown"

    def read_object(self, obj: JsonObject) -> None:
        attrs = _dicts(obj, "Attribute", self.source)
        if obj.get("name") != "android-app":
            for attr in attrs:
                self.read_attribute(attr, None)
            return
        names = [text(a, "value") for a in attrs if a.get("object_relation") == "name"]
        meta = _meta(text(obj, "comment"))
        family = self._family(_family_from(names[0], meta) if names and names[0] else None)
        for attr in attrs:
            relation = text(attr, "object_relation")
            if relation != "name":
                kind = _KIND_OF_RELATION.get(relation or "")
                self.read_attribute(attr, family, kind)

    def read_attribute(
        self, attr: JsonObject, family: FamilyId | None, kind: IndicatorKind | None = None
    ) -> None:
        atype, value = text(attr, "type") or "", text(attr, "value") or ""
        meta = _meta(text(attr, "comment"))
        pairs = [(kind, value)] if kind else _kinds_of(atype, value, meta)
        if not pairs:
            self._unsupported(atype or "(none)", value)
            return
        if family is None:
            family = self._family(family_of_id(meta.get("family")))
        to_ids = _flag(attr.get("to_ids"))
        status = Status.REVOKED if _flag(attr.get("deleted")) else Status.ACTIVE
        tlp = _tlp_of(attr) or self._tlp
        for k, raw in pairs:
            norm = normalise_value(k, raw)
            if not norm:
                continue
            role = _role(k, meta, to_ids)
            name = meta.get("name") if k is IndicatorKind.YARA else None
            src = f"{self.source}#{text(attr, 'uuid') or ''}"
            self.add_indicator(Indicator(k, norm, family, role, src, tlp, status, name))

    def _unsupported(self, atype: str, value: str) -> None:
        message = f"MISP attributes of type '{atype}' have no indicator kind and were not read"
        self.notebook.add(NoteLevel.WARNING, "unsupported-attribute", message, value)

    def _family(self, family: Family | None) -> FamilyId:
        if family is None:
            family = implied_family(self._event_name)
        return self.add_family(family)


def _family_from(name: str, meta: Mapping[str, str]) -> Family:
    ftype = member(FamilyType, meta.get("type")) or FamilyType.STALKERWARE
    fid = declared_family_id(meta.get("family"), ftype, name)
    aliases = tuple(unquote(a) for a in meta.get("aliases", "").split(",") if a)
    return Family(fid, name, ftype, aliases, implied=meta.get("implied") == "true")


def _kinds_of(atype: str, value: str, meta: Mapping[str, str]) -> list[tuple[IndicatorKind, str]]:
    if atype in _SIMPLE_TYPES:
        return [(_SIMPLE_TYPES[atype], value)]
    if atype in _IP_TYPES:
        ip = value.partition("|")[0]
        return [(_ip_kind(ip), ip)]
    if atype == "hostname|port":
        return [(IndicatorKind.DOMAIN, value.partition("|")[0])]
    if atype == "domain|ip":
        domain, _, ip = value.partition("|")
        return [(IndicatorKind.DOMAIN, domain), (_ip_kind(ip), ip)]
    declared = member(IndicatorKind, meta.get("kind"))
    if atype == "text" and declared is not None:
        return [(declared, value)]
    return []


def _ip_kind(value: str) -> IndicatorKind:
    if "/" in value:
        return IndicatorKind.CIDR
    return IndicatorKind.IPV6 if ":" in value else IndicatorKind.IPV4


def _role(kind: IndicatorKind, meta: Mapping[str, str], to_ids: bool) -> Role | None:
    declared = meta.get("role")
    role = member(Role, declared)
    if role is not None:
        return role
    if kind not in NETWORK_KINDS or declared == "none":
        return None
    # MISP marks with to_ids what should raise detections; a network value kept only as
    # context is most like a vendor's web site, the weakest of our roles.
    return Role.C2 if to_ids else Role.WEBSITE


def _tlp_of(obj: JsonObject) -> TLP | None:
    tags = obj.get("Tag")
    names = [t.get("name") for t in tags if isinstance(t, dict)] if isinstance(tags, list) else []
    found = [
        read_tlp(name)
        for name in names
        if isinstance(name, str) and name.lower().startswith("tlp:")
    ]
    return max((t for t in found if t is not None), key=TLP_RANK.__getitem__, default=None)


def _meta(comment: str | None) -> dict[str, str]:
    """Read ``key=value; key=value`` from an unstalk comment (other comments give nothing)."""
    meta: dict[str, str] = {}
    for part in (comment or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key.isidentifier():
            meta[key] = value if key == "aliases" else unquote(value)
    return meta


def _flag(value: object) -> bool:
    return (
        value is True or value == 1 or (isinstance(value, str) and value.lower() in ("1", "true"))
    )
