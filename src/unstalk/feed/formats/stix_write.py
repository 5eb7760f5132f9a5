"""Writing a feed as a STIX 2.1 bundle; :mod:`unstalk.feed.formats.stix` says what is written."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime

from unstalk.feed.formats._interchange import TLP_RANK, key_uuid, public_source, utc
from unstalk.feed.formats.stix_common import (
    CUSTOM_INDICATOR_TYPE,
    PATTERN_PATHS,
    TLP2_EXTENSION,
    TLP2_MARKING_IDS,
)
from unstalk.feed.model import (
    TLP,
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Status,
)

_NAMESPACE = uuid.UUID("29dbc67d-3a9a-4eba-850e-485d81c3491e")
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"
_EXPORT_PATHS = {kind: path for (_, path), kind in PATTERN_PATHS.items()}


def export_stix(feed: Feed, *, created: datetime | None = None) -> bytes:
    """Write the feed as one STIX 2.1 bundle (UTF-8 JSON bytes), byte-identical across runs."""
    provenance = feed.provenance
    stamp = _stamp(created or (provenance.retrieved if provenance else None))
    identity = _identity(public_source(feed), stamp)
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
        loosest = min((i.tlp for i in indicators), key=TLP_RANK.__getitem__, default=TLP.CLEAR)
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
    return (*_natural_key(ind), TLP_RANK[ind.tlp], ind.status.value)


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
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.value}
        },
    }


def _stix_id(object_type: str, *key: str, prefix: str = "") -> str:
    # The prefix may differ from the type keyed (x-unstalk-indicator): the UUID stays the same.
    return f"{prefix or object_type}--{key_uuid(_NAMESPACE, object_type, *key)}"


def _stamp(when: datetime | None) -> str:
    moment = utc(when)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
