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

from unstalk.feed.formats._interchange import MAX_INPUT_BYTES
from unstalk.feed.formats.misp_common import ANDROID_APP_TEMPLATE
from unstalk.feed.formats.misp_read import parse_misp
from unstalk.feed.formats.misp_write import CATEGORY_TAG, GALAXY_TAG, export_misp

__all__ = [
    "ANDROID_APP_TEMPLATE",
    "CATEGORY_TAG",
    "GALAXY_TAG",
    "MAX_INPUT_BYTES",
    "export_misp",
    "parse_misp",
]
