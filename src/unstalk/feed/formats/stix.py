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

from unstalk.feed.formats._interchange import MAX_INPUT_BYTES
from unstalk.feed.formats.stix_common import (
    CUSTOM_INDICATOR_TYPE,
    TLP1_MARKING_IDS,
    TLP2_MARKING_IDS,
)
from unstalk.feed.formats.stix_read import parse_stix
from unstalk.feed.formats.stix_write import export_stix

__all__ = [
    "CUSTOM_INDICATOR_TYPE",
    "MAX_INPUT_BYTES",
    "TLP1_MARKING_IDS",
    "TLP2_MARKING_IDS",
    "export_stix",
    "parse_stix",
]
