"""Reading a feed in any supported format, and the table of export formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from unstalk.errors import FeedFormatError
from unstalk.feed.formats import lists, misp, stix, tinycheck
from unstalk.feed.formats.echap import load_echap_dir
from unstalk.feed.model import Feed

MAX_FEED_FILE_BYTES = 256 * 1024 * 1024


def detect_format(data: bytes) -> str:
    """Name the format of a single feed file from its content."""
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            doc = json.loads(data)
        except ValueError as e:
            raise FeedFormatError(f"not valid JSON ({e})") from e
        if isinstance(doc, dict):
            if doc.get("type") == "bundle":
                return "stix2"
            if "iocs" in doc:
                return "tinycheck"
            if "Event" in doc or "Attribute" in doc or "Object" in doc:
                return "misp"
        raise FeedFormatError(
            "this JSON is none of the formats unstalk reads",
            advice="Supported: STIX 2.1 bundle, MISP event, TinyCheck iocs.json, Echap folder.",
        )
    if data.startswith(b"type,indicator,app"):
        return "network-csv"
    raise FeedFormatError(
        "the file's format is not recognised",
        advice="Give an Echap folder (with ioc.yaml), a STIX 2.1 bundle, a MISP event JSON, "
        "a TinyCheck iocs.json or an Echap network.csv.",
    )


_PARSERS: dict[str, Callable[..., Feed]] = {
    "stix2": stix.parse_stix,
    "misp": misp.parse_misp,
    "tinycheck": tinycheck.parse_tinycheck,
    "network-csv": lists.parse_network_csv,
}


def load_feed_path(path: Path) -> Feed:
    """Load a feed from an Echap folder or from one file in any supported format."""
    if path.is_dir():
        return load_echap_dir(path, source=str(path))
    if path.name in {"ioc.yaml", "watchware.yaml"}:
        return load_echap_dir(path.parent, source=str(path.parent))
    try:
        if path.stat().st_size > MAX_FEED_FILE_BYTES:
            raise FeedFormatError("the file is too large to be a feed", source=str(path))
        data = path.read_bytes()
    except OSError as e:
        raise FeedFormatError(f"cannot be read ({e.strerror})", source=str(path)) from e
    try:
        kind = detect_format(data)
    except FeedFormatError as e:
        raise FeedFormatError(e.message, source=str(path), advice=e.advice) from e
    return _PARSERS[kind](data, source=str(path))


@dataclass(frozen=True, slots=True)
class ExportFormat:
    name: str
    description: str
    suffix: str
    write: Callable[[Feed], bytes]


def _hosts_full(feed: Feed) -> bytes:
    return lists.export_hosts(feed, full=True)


EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("stix2", "STIX 2.1 bundle (MVT reads it)", ".stix2", stix.export_stix),
        ExportFormat("misp", "MISP event JSON", ".json", misp.export_misp),
        ExportFormat(
            "hosts", "hosts file blocking C2 names (0.0.0.0 name)", "", lists.export_hosts
        ),
        ExportFormat("hosts-full", "hosts file blocking every listed name", "", _hosts_full),
        ExportFormat(
            "domains", "plain list of domains, one per line", ".txt", lists.export_domains
        ),
        ExportFormat("quad9", "Quad9 block list", ".txt", lists.export_quad9),
        ExportFormat("tinycheck", "TinyCheck iocs JSON", ".json", tinycheck.export_tinycheck),
        ExportFormat("network-csv", "Echap network.csv", ".csv", lists.export_network_csv),
        ExportFormat("samples-csv", "Echap samples.csv", ".csv", lists.export_samples_csv),
    )
}
"""Every export format except Suricata, which needs its persisted SID map (see the CLI)."""
