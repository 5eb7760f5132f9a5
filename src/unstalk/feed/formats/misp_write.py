"""Writing a feed as a MISP event; :mod:`unstalk.feed.formats.misp` says what is written."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

from unstalk.feed.formats._interchange import (
    TLP_RANK,
    key_uuid,
    public_source,
    strictest,
    utc,
)
from unstalk.feed.formats.misp_common import ANDROID_APP_TEMPLATE, RELATIONS, family_of_id
from unstalk.feed.model import (
    NETWORK_KINDS,
    TLP,
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Role,
    Status,
)

GALAXY_TAG = 'misp-galaxy:stalkerware="{}"'
"""MISP's Stalkerware galaxy (built from Echap's lists), one cluster per family name."""
CATEGORY_TAG = 'malware_classification:malware-category="Spyware"'
_NAMESPACE = uuid.UUID("4488231f-482a-4fca-9a57-52f695600a0e")
_DISTRIBUTION = {TLP.CLEAR: "3", TLP.GREEN: "1"}
"""All communities for TLP:CLEAR, this community for GREEN, else the organisation only ("0")."""

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


def export_misp(feed: Feed, *, date: datetime | None = None) -> bytes:
    """Write the feed as one MISP event (UTF-8 JSON bytes), byte-identical across runs."""
    provenance = feed.provenance
    when = utc(date or (provenance.retrieved if provenance else None))
    # A file's name rather than its path is the same on every machine, so the event uuid is
    # too and importing a newer export updates the event.
    source = public_source(feed)
    event_uuid = _uuid("event", provenance.format if provenance else "", source)
    tlp = strictest(i.tlp for i in feed.indicators)
    writer = _Writer(event_uuid, tlp)
    families = {f.id: f for f in feed.families}
    for ind in feed.indicators:
        families.setdefault(ind.family, family_of_id(ind.family) or _placeholder(ind.family))
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
        relation = RELATIONS.get(ind.kind)
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
    return (ind.kind.value, ind.value, role, TLP_RANK[ind.tlp], ind.status.value)


def _uuid(*key: str) -> str:
    return key_uuid(_NAMESPACE, *key)
