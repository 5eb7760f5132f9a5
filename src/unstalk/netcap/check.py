"""Check one capture file: read it, extract names and flows, detect, say what could not be seen.

:func:`check_capture` glues the streaming reader, the extractor and the
detector; :func:`result_dict` gives the JSON shape of its result (``schema``
names the version; fields are only ever added within a version).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from unstalk.errors import CaptureError
from unstalk.feed.allowlist import AllowList
from unstalk.feed.index import FeedIndex
from unstalk.feed.model import FamilyType
from unstalk.models import JsonValue as JsonValue
from unstalk.models import Severity
from unstalk.netcap.detect import detect
from unstalk.netcap.findings import IndicatorRef, NetworkFinding, Observation, Observations
from unstalk.netcap.model import CaptureSummary, FlowKey
from unstalk.netcap.scan import scan_capture

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

SCHEMA = "unstalk.network-check/1"
NOTHING_FOUND = "No known stalkerware traffic found by these checks."
MIN_USEFUL_SPAN = 300.0
"""Seconds: a shorter capture gets a limit saying apps may not have reported yet."""
SHARE_FROM_BYTES = 32 * 1024 * 1024
"""Captures at least this big may be read by several processes (smaller ones gain nothing)."""
MAX_JOBS = 4
"""More processes than this gain little: each still walks every record of the capture."""

Progress = Callable[[int], None]
"""Called with the number of file bytes just read (compressed bytes for a gzip file)."""


def default_jobs() -> int:
    """Processes to share a big capture between: the CPUs, at most :data:`MAX_JOBS`."""
    return min(os.cpu_count() or 1, MAX_JOBS)


@dataclass(frozen=True, slots=True)
class NetworkCheckResult:
    """Everything one capture's check found, and what it could not see."""

    path: str
    summary: CaptureSummary
    findings: tuple[NetworkFinding, ...]
    """Most severe first."""
    limits: tuple[str, ...]
    flows: int
    dns: int
    tls: int
    http: int
    names: int
    addresses: int
    allowlist: str | None = None
    """The allow-list that may have lowered heuristic findings (never feed matches)."""
    malformed: tuple[tuple[str, int], ...] = ()
    """Payloads (DNS, TLS, QUIC, HTTP) that could not be decoded, by ``protocol.reason``."""

    @property
    def feed_matches(self) -> tuple[NetworkFinding, ...]:
        return tuple(f for f in self.findings if f.is_feed_match)

    @property
    def headline(self) -> str:
        """One sentence for the top of a report; never says the phone is clean."""
        stalkerware = _families(self.feed_matches, FamilyType.STALKERWARE)
        watchware = _families(self.feed_matches, FamilyType.WATCHWARE)
        if stalkerware:
            return f"Traffic to known stalkerware servers found: {', '.join(stalkerware)}."
        if watchware:
            return (
                "No known stalkerware traffic found by these checks, but traffic to known "
                f"monitoring apps (watchware): {', '.join(watchware)}."
            )
        review = sum(1 for f in self.findings if f.severity is not Severity.INFO)
        if review:
            return f"{NOTHING_FOUND} {review} thing(s) to review below."
        return NOTHING_FOUND


def _families(findings: tuple[NetworkFinding, ...], family_type: FamilyType) -> list[str]:
    """Family names, in finding order, without repeats."""
    return list(
        dict.fromkeys(
            f.indicator.family
            for f in findings
            if f.indicator is not None and f.indicator.family_type is family_type
        )
    )


def check_capture(
    path: Path,
    index: FeedIndex,
    *,
    allowlist: AllowList | None = None,
    allowlist_label: str | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
) -> NetworkCheckResult:
    """Check one capture file against the feed index and the heuristics.

    ``jobs``: processes that may share the reading of a big capture (the result is
    the same with any number). Raises :class:`~unstalk.errors.CaptureError` when the
    file cannot be opened or is not a capture; a file damaged part-way is checked up
    to the damage and says so in ``limits``.
    """
    try:
        raw = path.open("rb", buffering=0)
    except OSError as e:
        raise CaptureError(
            f"{path}: cannot open the capture file ({e.strerror or e}).",
            advice="Check the file name and that you are allowed to read it.",
        ) from e
    shared = jobs if _size(raw) >= SHARE_FROM_BYTES else 1
    with _CountingReader(raw, progress) as stream:
        scan = scan_capture(stream, path=str(path), jobs=shared, source=str(path))
    summary, extraction = scan.summary, scan.extraction
    observations = Observations(extraction.flows, extraction.dns, extraction.tls, extraction.http)
    detection = detect(observations, index, allowlist=allowlist)
    malformed = tuple(sorted(extraction.malformed.items(), key=lambda item: (-item[1], item[0])))
    return NetworkCheckResult(
        path=str(path),
        summary=summary,
        findings=detection.findings,
        limits=(*_capture_limits(summary, malformed), *detection.limits),
        flows=len(observations.flows),
        dns=len(observations.dns),
        tls=len(observations.tls),
        http=len(observations.http),
        names=detection.names,
        addresses=detection.addresses,
        allowlist=allowlist_label if allowlist is not None else None,
        malformed=malformed,
    )


def _size(raw: io.FileIO) -> int:
    try:
        return os.fstat(raw.fileno()).st_size
    except OSError:
        return 0


class _CountingReader(io.BufferedReader):
    """Reports each read's size, so a progress bar can follow a big file."""

    def __init__(self, raw: io.RawIOBase | io.FileIO, progress: Progress | None) -> None:
        super().__init__(raw, buffer_size=1 << 20)
        self._progress = progress

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        if self._progress is not None and data:
            self._progress(len(data))
        return data

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        count = super().readinto(buffer)
        if self._progress is not None and count:
            self._progress(count)
        return count


def _capture_limits(summary: CaptureSummary, malformed: tuple[tuple[str, int], ...]) -> list[str]:
    limits: list[str] = []
    if summary.packets == 0:
        limits.append("The capture holds no packets: nothing could be checked.")
    if summary.truncated:
        reason = f" ({summary.truncated_reason})" if summary.truncated_reason else ""
        limits.append(
            f"The file ends early{reason}: only the packets before that point were checked."
        )
    if summary.skipped.total:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in summary.skipped.counts)
        limits.append(
            f"{summary.skipped.total} packet(s) could not be decoded and were not checked "
            f"({reasons})."
        )
    if summary.partial_packets:
        limits.append(
            f"{summary.partial_packets} packet(s) were cut short by the capture tool (snap "
            "length): names in the missing bytes could not be read."
        )
    if malformed:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in malformed)
        limits.append(
            f"{sum(n for _, n in malformed)} DNS, TLS, QUIC or HTTP message(s) could not be "
            f"decoded, so names in them were not read ({reasons})."
        )
    first, last = summary.first_timestamp, summary.last_timestamp
    if summary.packets and first is not None and last is not None:
        span = last - first
        if span < MIN_USEFUL_SPAN:
            limits.append(
                f"The capture covers only {span:.0f} seconds: stalkerware may report every few "
                "minutes or less often, so capture for at least 10 minutes."
            )
    return limits


def iso_time(timestamp: float | None) -> str | None:
    """UTC time as ISO 8601 with milliseconds, or None."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def flow_text(flow: FlowKey) -> str:
    """``tcp 10.0.0.2:51000 -> 93.184.216.34:443`` (IPv6 addresses in brackets)."""

    def end(address: str, port: int) -> str:
        return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"

    return (
        f"{flow.transport.value} {end(flow.client, flow.client_port)} -> "
        f"{end(flow.server, flow.server_port)}"
    )


def _observation_dict(observation: Observation) -> dict[str, JsonValue]:
    return {
        "seen": observation.seen.value,
        "value": observation.value,
        "frame": observation.number,
        "timestamp": observation.timestamp,
        "time": iso_time(observation.timestamp),
        "flow": flow_text(observation.flow) if observation.flow else None,
        "name": observation.name,
        "name_source": observation.name_source.value,
    }


def _indicator_dict(indicator: IndicatorRef) -> dict[str, JsonValue]:
    return {
        "kind": indicator.kind.value,
        "value": indicator.value,
        "role": indicator.role.value if indicator.role else None,
        "source": indicator.source,
        "family_id": indicator.family_id,
    }


def finding_dict(finding: NetworkFinding) -> dict[str, JsonValue]:
    evidence = finding.evidence
    indicator = finding.indicator
    return {
        "check": finding.check.value,
        "severity": finding.severity.value,
        "summary": finding.summary,
        "detail": finding.detail,
        "allowlisted": finding.allowlisted,
        "family": indicator.family if indicator else None,
        "family_type": indicator.family_type.value if indicator else None,
        "indicator": None if indicator is None else _indicator_dict(indicator),
        "also": [_indicator_dict(other) for other in finding.also],
        "first": _observation_dict(evidence.first),
        "count": evidence.count,
        "last_time": iso_time(evidence.last_timestamp),
        "seen_as": [s.value for s in evidence.seen_as],
    }


def result_dict(result: NetworkCheckResult) -> dict[str, JsonValue]:
    summary = result.summary
    skipped: dict[str, JsonValue] = dict(summary.skipped.counts)
    malformed: dict[str, JsonValue] = dict(result.malformed)
    return {
        "schema": SCHEMA,
        "path": result.path,
        "status": "checked",
        "headline": result.headline,
        "capture": {
            "format": summary.format,
            "compressed": summary.compressed,
            "link_types": list(summary.link_types),
            "packets": summary.packets,
            "first_time": iso_time(summary.first_timestamp),
            "last_time": iso_time(summary.last_timestamp),
            "skipped": skipped,
            "truncated": summary.truncated,
            "truncated_reason": summary.truncated_reason,
            "partial_packets": summary.partial_packets,
        },
        "seen": {
            "flows": result.flows,
            "dns": result.dns,
            "tls": result.tls,
            "http": result.http,
            "names": result.names,
            "addresses": result.addresses,
            "malformed": malformed,
        },
        "allowlist": result.allowlist,
        "findings": [finding_dict(f) for f in result.findings],
        "limits": list(result.limits),
    }


def error_dict(path: str, message: str) -> dict[str, JsonValue]:
    """The JSON shape of a file that could not be checked: never a missing entry."""
    return {"schema": SCHEMA, "path": path, "status": "error", "error": message}
