"""MISP events: read the one Echap publishes (and MISP's own exports), write one MISP imports.

:func:`export_misp` writes one event, rebuilt from scratch each time: one ``android-app``
object per family (template 92836f23-4730-4eae-82ac-9f00d5299735, version 2) holding the
family ``name``, its packages (``appid``), signing certificates (``certificate``,
``certificate-sha256``), APK hashes (``sha256``) and c2 domains (``domain``), and plain
attributes for what that template cannot carry: other domains, IPs and CIDRs (``ip-dst``),
URLs (``url``) and YARA rules (``yara``). iOS bundle ids, certificate organisations and
certificate name regexes have no MISP type; they travel as ``text`` attributes that only
unstalk reads back. Every attribute's comment says ``family=...; role=...`` so the family and
role survive; the object comment holds the family's id, type and aliases.

The event carries the strictest TLP of its indicators as a tag and a matching distribution;
attributes of a looser TLP carry their own ``tlp:`` tag. Revoked indicators are written as
deleted attributes; only active stalkerware indicators are marked ``to_ids``. UUIDs are UUIDv5
of natural keys and the JSON is sorted, so two runs give the same bytes and re-importing
updates the event instead of duplicating it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import PurePath
from urllib.parse import quote, unquote

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
    Provenance,
    Role,
    Status,
    family_id,
    normalise_value,
)

MAX_INPUT_BYTES = 256 * 1024 * 1024
"""Larger inputs are refused rather than risk exhausting memory."""

ANDROID_APP_TEMPLATE = "92836f23-4730-4eae-82ac-9f00d5299735"
GALAXY_TAG = 'misp-galaxy:stalkerware="{}"'
"""MISP's Stalkerware galaxy (built from Echap's lists), one cluster per family name."""
CATEGORY_TAG = 'malware_classification:malware-category="Spyware"'
_NAMESPACE = uuid.UUID("4488231f-482a-4fca-9a57-52f695600a0e")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TLP_RANK = {tlp: rank for rank, tlp in enumerate(TLP)}
_DISTRIBUTION = {TLP.CLEAR: "3", TLP.GREEN: "1"}
"""All communities for TLP:CLEAR, this community for GREEN, else the organisation only ("0")."""

_RELATIONS: Mapping[IndicatorKind, tuple[str, str, str]] = {
    IndicatorKind.PACKAGE: ("appid", "text", "Other"),
    IndicatorKind.CERT_SHA1: ("certificate", "sha1", "Payload delivery"),
    IndicatorKind.CERT_SHA256: ("certificate-sha256", "sha256", "Payload delivery"),
    IndicatorKind.FILE_SHA256: ("sha256", "sha256", "Payload delivery"),
    IndicatorKind.DOMAIN: ("domain", "domain", "Network activity"),
}
_KIND_OF_RELATION = {relation: kind for kind, (relation, _, _) in _RELATIONS.items()}
_PLAIN: Mapping[IndicatorKind, tuple[str, str]] = {
    IndicatorKind.DOMAIN: ("domain", "Network activity"),
    IndicatorKind.IPV4: ("ip-dst", "Network activity"),
    IndicatorKind.IPV6: ("ip-dst", "Network activity"),
    IndicatorKind.CIDR: ("ip-dst", "Network activity"),
    IndicatorKind.URL: ("url", "Network activity"),
    IndicatorKind.YARA: ("yara", "Payload installation"),
    IndicatorKind.IOS_BUNDLE: ("text", "Other"),
    IndicatorKind.CERT_ORG: ("text", "Other"),
    IndicatorKind.CERT_CNAME_RE: ("text", "Other"),
}
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

JsonObject = Mapping[str, object]


# --- reading -------------------------------------------------------------------------------


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
    files = (InputFile(name=source, sha256=hashlib.sha256(data).hexdigest(), size=len(data)),)
    return Feed(
        families=tuple(reader.families.values()),
        indicators=tuple(reader.indicators.values()),
        provenance=Provenance(format="misp", source=source, files=files),
        notes=reader.notes(),
    )


def _load_event(data: bytes, source: str) -> JsonObject:
    if len(data) > MAX_INPUT_BYTES:
        raise FeedFormatError(
            f"the file is larger than {MAX_INPUT_BYTES // 2**20} MiB", source=source
        )
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise FeedFormatError(
            "the file is not valid JSON, so it cannot be a MISP event",
            source=source,
            advice="Check that the whole file was downloaded and that it is a MISP event export.",
        ) from e
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


class _Reader:
    def __init__(self, source: str, event: JsonObject) -> None:
        self.source = source
        self.families: dict[FamilyId, Family] = {}
        self.indicators: dict[tuple[IndicatorKind, str, FamilyId, Role | None], Indicator] = {}
        self._tlp = _tlp_of(event) or TLP.CLEAR
        info = event.get("info")
        self._event_name = info.strip() if isinstance(info, str) and info.strip() else "unknown"
        self._notes: dict[str, list[str]] = {}

    def notes(self) -> tuple[Note, ...]:
        return tuple(
            Note(
                NoteLevel.WARNING,
                "unsupported-attribute",
                f"MISP attributes of type '{atype}' have no indicator kind and were not read",
                source=self.source,
                values=tuple(values),
            )
            for atype, values in self._notes.items()
        )

    def read_object(self, obj: JsonObject) -> None:
        attrs = _dicts(obj, "Attribute", self.source)
        if obj.get("name") != "android-app":
            for attr in attrs:
                self.read_attribute(attr, None)
            return
        names = [_text(a, "value") for a in attrs if a.get("object_relation") == "name"]
        meta = _meta(_text(obj, "comment"))
        family = self._family(_family_from(names[0], meta) if names and names[0] else None)
        for attr in attrs:
            relation = _text(attr, "object_relation")
            if relation != "name":
                kind = _KIND_OF_RELATION.get(relation or "")
                self.read_attribute(attr, family, kind)

    def read_attribute(
        self, attr: JsonObject, family: FamilyId | None, kind: IndicatorKind | None = None
    ) -> None:
        atype, value = _text(attr, "type") or "", _text(attr, "value") or ""
        meta = _meta(_text(attr, "comment"))
        pairs = [(kind, value)] if kind else _kinds_of(atype, value, meta)
        if not pairs:
            self._notes.setdefault(atype or "(none)", []).append(value)
            return
        if family is None:
            family = self._family(_family_of_id(meta.get("family")))
        to_ids = _flag(attr.get("to_ids"))
        status = Status.REVOKED if _flag(attr.get("deleted")) else Status.ACTIVE
        tlp = _tlp_of(attr) or self._tlp
        for k, raw in pairs:
            norm = normalise_value(k, raw)
            if not norm:
                continue
            role = _role(k, meta, to_ids)
            name = meta.get("name") if k is IndicatorKind.YARA else None
            src = f"{self.source}#{_text(attr, 'uuid') or ''}"
            ind = Indicator(k, norm, family, role, src, tlp, status, name)
            self.indicators.setdefault((k, norm, family, role), ind)

    def _family(self, family: Family | None) -> FamilyId:
        if family is None:
            ftype = FamilyType.STALKERWARE
            family = Family(
                family_id(ftype, self._event_name), self._event_name, ftype, implied=True
            )
        return self.families.setdefault(family.id, family).id


def _family_from(name: str, meta: Mapping[str, str]) -> Family:
    declared = meta.get("type")
    ftype = (
        FamilyType(declared)
        if declared in {t.value for t in FamilyType}
        else FamilyType.STALKERWARE
    )
    fid = meta.get("family")
    if fid is None or not fid.startswith(f"{ftype.value}/"):
        fid = family_id(ftype, name)
    aliases = tuple(unquote(a) for a in meta.get("aliases", "").split(",") if a)
    return Family(FamilyId(fid), name, ftype, aliases, implied=meta.get("implied") == "true")


def _family_of_id(fid: str | None) -> Family | None:
    prefix, _, slug = (fid or "").partition("/")
    if not slug or prefix not in {t.value for t in FamilyType}:
        return None
    return Family(FamilyId(fid or ""), slug, FamilyType(prefix), implied=True)


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
    declared = meta.get("kind")
    if atype == "text" and declared in {k.value for k in IndicatorKind}:
        return [(IndicatorKind(declared), value)]
    return []


def _ip_kind(value: str) -> IndicatorKind:
    if "/" in value:
        return IndicatorKind.CIDR
    return IndicatorKind.IPV6 if ":" in value else IndicatorKind.IPV4


def _role(kind: IndicatorKind, meta: Mapping[str, str], to_ids: bool) -> Role | None:
    declared = meta.get("role")
    if declared in {r.value for r in Role}:
        return Role(declared)
    if kind not in NETWORK_KINDS or declared == "none":
        return None
    # MISP marks with to_ids what should raise detections; a network value kept only as
    # context is most like a vendor's web site, the weakest of our roles.
    return Role.C2 if to_ids else Role.WEBSITE


def _tlp_of(obj: JsonObject) -> TLP | None:
    tags = obj.get("Tag")
    found: list[TLP] = []
    for tag in tags if isinstance(tags, list) else []:
        name = tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str) and name.lower().startswith("tlp:"):
            try:
                found.append(TLP.parse(name))
            except ValueError:
                continue
    return max(found, key=_TLP_RANK.__getitem__, default=None)


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


def _text(obj: JsonObject, key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


# --- writing -------------------------------------------------------------------------------


def export_misp(feed: Feed, *, date: datetime | None = None) -> bytes:
    """Write the feed as one MISP event (UTF-8 JSON bytes), byte-identical across runs."""
    provenance = feed.provenance
    when = _utc(date or (provenance.retrieved if provenance else None))
    source = provenance.source if provenance else ""
    # A URL as is, of a local path only its last part: it names no user and is the same on
    # every machine, so the event uuid is too and importing a newer export updates the event.
    source = source if "://" in source else PurePath(source).name
    event_uuid = _uuid("event", provenance.format if provenance else "", source)
    tlp = _strictest(i.tlp for i in feed.indicators)
    writer = _Writer(event_uuid, tlp)
    families = {f.id: f for f in feed.families}
    for ind in feed.indicators:
        families.setdefault(ind.family, _family_of_id(ind.family) or _placeholder(ind.family))
    by_family: dict[FamilyId, list[Indicator]] = {fid: [] for fid in families}
    for ind in sorted(feed.indicators, key=_sort_key):
        by_family[ind.family].append(ind)
    objects = [writer.android_app(families[fid], by_family[fid]) for fid in sorted(families)]
    event = {
        "uuid": event_uuid,
        "info": f"Stalkerware indicators from {source}" if source else "Stalkerware indicators",
        "date": f"{when:%Y-%m-%d}",
        "timestamp": str(int(when.timestamp())),
        # Unpublished, so whoever imports it reviews it before MISP shares it any further.
        "published": False,
        # MISP's "low" is commodity malware, which commercial stalkerware is.
        "threat_level_id": "3",
        "analysis": "2",
        "distribution": _DISTRIBUTION.get(tlp, "0"),
        "Tag": [{"name": f"tlp:{tlp.value}"}, {"name": CATEGORY_TAG}],
        "Object": objects,
        "Attribute": sorted(writer.plain, key=lambda a: (str(a["type"]), str(a["value"]))),
    }
    # Without indent json uses its C encoder, several times faster on a feed of thousands.
    return (json.dumps({"Event": event}, sort_keys=True, ensure_ascii=False) + "\n").encode()


class _Writer:
    def __init__(self, event_uuid: str, tlp: TLP) -> None:
        self.plain: list[dict[str, object]] = []
        self._event = event_uuid
        self._tlp = tlp

    def android_app(self, family: Family, indicators: list[Indicator]) -> dict[str, object]:
        name = self._attribute("name", "text", "Other", family.name, family.id, "name")
        if not family.implied:
            name["Tag"] = [{"name": GALAXY_TAG.format(family.name)}]
        attrs = [name]
        seen: set[str] = set()
        for ind in indicators:
            attr = self._indicator(ind, family.type)
            if attr["uuid"] in seen:
                continue
            seen.add(str(attr["uuid"]))
            in_object = "object_relation" in attr
            (attrs if in_object else self.plain).append(attr)
        comment = {"family": quote(family.id, safe="/+"), "type": family.type.value}
        if family.aliases:
            comment["aliases"] = ",".join(quote(a, safe=" ") for a in family.aliases)
        if family.implied:
            comment["implied"] = "true"
        return {
            "name": "android-app",
            "meta-category": "file",
            "description": "Indicators related to an Android app",
            "template_uuid": ANDROID_APP_TEMPLATE,
            "template_version": "2",
            "uuid": _uuid("object", self._event, family.id),
            "distribution": "5",
            "sharing_group_id": "0",
            "comment": "; ".join(f"{k}={v}" for k, v in comment.items()),
            "Attribute": attrs,
        }

    def _indicator(self, ind: Indicator, ftype: FamilyType) -> dict[str, object]:
        relation = _RELATIONS.get(ind.kind)
        if relation and (ind.kind is not IndicatorKind.DOMAIN or ind.role is Role.C2):
            rel, atype, category = relation
        else:
            rel, (atype, category) = "", _PLAIN[ind.kind]
        key = (ind.kind.value, ind.value, ind.family, ind.role.value if ind.role else "none")
        attr = self._attribute(rel, atype, category, ind.value, ind.family, *key)
        extra = {"role": key[3]} if ind.kind in NETWORK_KINDS else {}
        if atype == "text" and ind.kind is not IndicatorKind.PACKAGE:
            extra["kind"] = ind.kind.value
        if ind.kind is IndicatorKind.YARA and ind.name:
            extra["name"] = ind.name
        attr["comment"] = "; ".join(
            f"{k}={quote(v, safe='/+')}" for k, v in {"family": ind.family, **extra}.items()
        )
        # Like the STIX export: no detections on watchware, which is never stalkerware.
        alerts = ind.status is Status.ACTIVE and ftype is FamilyType.STALKERWARE
        attr["to_ids"] = alerts and atype != "text"
        attr["deleted"] = ind.status is Status.REVOKED
        if ind.tlp is not self._tlp:
            attr["Tag"] = [{"name": f"tlp:{ind.tlp.value}"}]
        return attr

    def _attribute(
        self, relation: str, atype: str, category: str, value: str, fid: str, *key: str
    ) -> dict[str, object]:
        attr: dict[str, object] = {
            "uuid": _uuid("attribute", self._event, fid, *key),
            "type": atype,
            "category": category,
            "value": value,
            "to_ids": False,
            "deleted": False,
            "disable_correlation": False,
            "distribution": "5",
            "comment": f"family={fid}",
        }
        if relation:
            attr["object_relation"] = relation
        return attr


def _placeholder(fid: FamilyId) -> Family:
    return Family(fid, fid, FamilyType.STALKERWARE, implied=True)


def _sort_key(ind: Indicator) -> tuple[str, str, str, int, str]:
    role = ind.role.value if ind.role else ""
    return (ind.kind.value, ind.value, role, _TLP_RANK[ind.tlp], ind.status.value)


def _strictest(tlps: Iterable[TLP]) -> TLP:
    return max(tlps, key=_TLP_RANK.__getitem__, default=TLP.CLEAR)


def _uuid(*key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(key)))


def _utc(when: datetime | None) -> datetime:
    moment = when or _EPOCH
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
