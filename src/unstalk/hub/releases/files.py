"""The files of one release: every export format, the Echap layout, contents and checksums.

Pure functions of a feed (and the previous release's contents), so what is
signed can be rebuilt and compared in tests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from unstalk.feed.formats.suricata import dump_sid_map, export_suricata, load_sid_map
from unstalk.feed.io import EXPORT_FORMATS
from unstalk.feed.model import Feed
from unstalk.hub.releases.echap_write import export_echap

CONTENTS_FILE = "contents.json"
"""What the release holds (families and indicator keys), to compute the next changelog."""
CHANGELOG_FILE = "changelog.json"
SURICATA_FILE = "suricata.rules"

IndicatorRef = tuple[str, str, str, str]
"""(family id, kind, value, role or "")."""


def export_file_name(fmt: str) -> str:
    """The file name of an export format inside a release (``hosts`` has no suffix of its own)."""
    if fmt == "suricata":
        return SURICATA_FILE
    return f"{fmt}{EXPORT_FORMATS[fmt].suffix or '.txt'}"


def render_exports(feed: Feed, sid_map: bytes | None) -> tuple[dict[str, bytes], bytes, list[str]]:
    """Every export format and the Echap files, the updated Suricata SID map, and the values
    the Echap files had to leave out."""
    echap, left_out = export_echap(feed)
    files = dict(echap)
    for name, fmt in EXPORT_FORMATS.items():
        files[export_file_name(name)] = fmt.write(feed)
    rules, sids = export_suricata(feed, load_sid_map(sid_map))
    files[SURICATA_FILE] = rules
    return files, dump_sid_map(sids), left_out


def contents_of(feed: Feed, left_out_of_echap: list[str]) -> dict[str, object]:
    families = sorted(
        ({"id": f.id, "name": f.name, "type": f.type.value} for f in feed.listed_families()),
        key=lambda f: f["id"],
    )
    indicators = sorted(
        {(i.family, i.kind.value, i.value, i.role.value if i.role else "") for i in feed.active()}
    )
    return {
        "families": families,
        "indicators": [list(ref) for ref in indicators],
        "left_out_of_echap_files": left_out_of_echap,
    }


def _refs(contents: Mapping[str, object]) -> tuple[dict[str, str], set[IndicatorRef]]:
    families: dict[str, str] = {}
    raw_families = contents.get("families")
    for fam in raw_families if isinstance(raw_families, list) else []:
        if isinstance(fam, dict):
            families[str(fam.get("id"))] = str(fam.get("name"))
    indicators: set[IndicatorRef] = set()
    raw_indicators = contents.get("indicators")
    for ref in raw_indicators if isinstance(raw_indicators, list) else []:
        if isinstance(ref, list) and len(ref) == 4:
            indicators.add((str(ref[0]), str(ref[1]), str(ref[2]), str(ref[3])))
    return families, indicators


def _indicator_dicts(refs: set[IndicatorRef]) -> list[dict[str, str]]:
    return [
        {"family": fam, "kind": kind, "value": value, "role": role}
        for fam, kind, value, role in sorted(refs)
    ]


def changelog(
    previous_version: str | None,
    previous: Mapping[str, object] | None,
    current: Mapping[str, object],
) -> dict[str, object]:
    """Families and indicators added and removed since the previous release."""
    old_families, old_indicators = _refs(previous or {})
    new_families, new_indicators = _refs(current)
    return {
        "previous_version": previous_version,
        "families_added": [
            {"id": fid, "name": new_families[fid]}
            for fid in sorted(new_families.keys() - old_families.keys())
        ],
        "families_removed": [
            {"id": fid, "name": old_families[fid]}
            for fid in sorted(old_families.keys() - new_families.keys())
        ],
        "indicators_added": _indicator_dicts(new_indicators - old_indicators),
        "indicators_removed": _indicator_dicts(old_indicators - new_indicators),
    }


def json_bytes(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def sha256sums(files: Mapping[str, bytes]) -> bytes:
    """``sha256sum`` output for ``files``, in name order: what the release key signs."""
    lines = (f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files))
    return "".join(lines).encode("ascii")
