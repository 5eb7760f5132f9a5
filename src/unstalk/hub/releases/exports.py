"""The whole feed a member may see, in any export format, for the export API."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from unstalk.feed.formats.suricata import export_suricata, load_sid_map
from unstalk.feed.io import EXPORT_FORMATS
from unstalk.hub.audit import record
from unstalk.hub.errors import NotFound
from unstalk.hub.principal import Principal
from unstalk.hub.releases.snapshot import take_snapshot
from unstalk.hub.roles import Role, Scope

EXPORT_MEDIA_TYPES = {
    "stix2": "application/stix+json;version=2.1",
    "misp": "application/json",
    "tinycheck": "application/json",
    "network-csv": "text/csv; charset=utf-8",
    "samples-csv": "text/csv; charset=utf-8",
}
"""Formats not named here are plain text."""
FORMATS = (*sorted(EXPORT_FORMATS), "suricata")


def export_visible(
    session: Session,
    viewer: Principal,
    fmt: str,
    *,
    now: datetime,
    sid_map: Path | None = None,
) -> bytes:
    """Every active, classified family and indicator ``viewer`` may see, written as ``fmt``.

    Suricata SIDs come from the releases' map when given (read only), so a rule
    keeps the SID the public release gave it.
    """
    viewer.require(Role.VIEWER, "export the feed", Scope.READ)
    if fmt not in FORMATS:
        raise NotFound(f"There is no export format {fmt!r}. Known: {', '.join(FORMATS)}.")
    snapshot = take_snapshot(
        session, viewer, source=f"unstalk hub export for {viewer.org_name}", when=now
    )
    if fmt == "suricata":
        previous = sid_map.read_bytes() if sid_map is not None and sid_map.is_file() else None
        content, _ = export_suricata(snapshot.feed, load_sid_map(previous))
    else:
        content = EXPORT_FORMATS[fmt].write(snapshot.feed)
    details = {"format": fmt, "indicators": len(snapshot.feed.indicators)}
    record(session, viewer, "feed.exported", None, details)
    return content
