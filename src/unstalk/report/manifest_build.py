"""Build an evidence manifest for a case folder from what the folder itself records.

The feed and the acquisition times are read, in this order of preference, from
the report (``unstalk.report/1``) or check result the manifest covers, from an
unstalk acquisition's ``acquisition.json`` inside the folder, and last from the
feed in use when the manifest is made (``known_from`` says which). Every
``SHA256SUMS`` inside the folder (unstalk and AndroidQF acquisitions carry one)
is compared with the hashes just computed, and the outcome is kept in ``notes``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from unstalk.errors import ReportError
from unstalk.feed.model import Provenance
from unstalk.report.manifest import (
    AcquisitionTimes,
    CaseFields,
    FeedFile,
    FeedRecord,
    Manifest,
    ManifestFile,
    ResultRef,
    ToolInfo,
    check_case_folder,
    feed_digest,
    hash_folder,
    read_limited,
    result_schema,
    utc_text,
)

MAX_JSON = 256 << 20
"""A result or acquisition.json larger than this is not read for times and feed facts."""


@dataclass(frozen=True, slots=True)
class ManifestRequest:
    """What the person asks for: the folder, the result it covers, and the case fields."""

    root: Path
    result: Path
    tool_version: str
    created: datetime
    case: CaseFields = CaseFields()
    feed_in_use: Provenance | None = None
    exclude: frozenset[str] = frozenset()
    """Names (relative to ``root``) not to hash: the manifest being written, for one."""


def build_manifest(request: ManifestRequest) -> Manifest:
    """Hash the folder and gather the facts; see the module docstring."""
    result_name = check_case_folder(request.root, request.result)
    files, skipped = hash_folder(request.root, result=result_name, exclude=request.exclude)
    by_name = {f.path: f for f in files}
    result_file = by_name.get(result_name)
    if result_file is None:
        reason = next((s.reason for s in skipped if s.path == result_name), "it is excluded")
        raise ReportError(f"{request.result} cannot be covered: {reason}.")
    data = read_limited(request.result, MAX_JSON) if result_file.size <= MAX_JSON else b""
    facts = _result_facts(data, result_name)
    acquisition = _acquisition_facts(request.root, files)
    feed = _choose_feed(facts.feed, acquisition.feed, request.feed_in_use)
    return Manifest(
        tool=ToolInfo(version=request.tool_version),
        feed=feed,
        created_utc=utc_text(request.created),
        acquisition=acquisition.times or facts.times,
        case=request.case,
        result=ResultRef(path=result_name, sha256=result_file.sha256, schema=result_schema(data)),
        files=files,
        skipped=skipped,
        notes=tuple(_compare_sums(request.root, files)),
    )


@dataclass(frozen=True, slots=True)
class _Facts:
    feed: FeedRecord | None = None
    times: AcquisitionTimes | None = None


def _read(path: Path) -> bytes:
    """The file's bytes; empty when it went away or became unreadable since it was hashed."""
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _load(data: bytes) -> dict[str, object]:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _moment(value: object) -> datetime | None:
    """An ISO 8601 time, made aware (a naive one is taken as UTC), or None."""
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _utc(value: object) -> str | None:
    moment = _moment(value)
    return utc_text(moment) if moment is not None else None


def _result_facts(data: bytes, name: str) -> _Facts:
    """Feed and times from a report (``unstalk.report/1``) or an android or network check."""
    value = _load(data)
    feed = value.get("feed")
    record = None
    if isinstance(feed, dict) and (_text(feed.get("name")) or _text(feed.get("format"))):
        label = _text(feed.get("name")) or _feed_label(feed.get("format"), feed.get("source"))
        record = FeedRecord(
            name=label,
            version=_text(feed.get("version")),
            sha256=_text(feed.get("sha256")),
            known_from="report",
        )
    return _Facts(record, _result_times(value, name))


def _result_times(value: Mapping[str, object], name: str) -> AcquisitionTimes | None:
    acquisition = value.get("acquisition")
    if isinstance(acquisition, dict):
        moment = _utc(acquisition.get("acquired_at"))
        if moment:
            return AcquisitionTimes(finished_utc=moment, known_from=name)
    moment = _utc(value.get("acquired_at"))
    if moment:
        return AcquisitionTimes(finished_utc=moment, known_from=name)
    runs = value.get("results")
    captures = (
        [r.get("capture") for r in runs if isinstance(r, dict)] if isinstance(runs, list) else []
    )
    captures.append(value.get("capture"))
    firsts = [t for c in captures if isinstance(c, dict) if (t := _moment(c.get("first_time")))]
    lasts = [t for c in captures if isinstance(c, dict) if (t := _moment(c.get("last_time")))]
    if firsts or lasts:
        return AcquisitionTimes(
            started_utc=utc_text(min(firsts)) if firsts else None,
            finished_utc=utc_text(max(lasts)) if lasts else None,
            known_from=name,
        )
    return None


def _feed_label(format_: object, source: object) -> str:
    shown = _text(format_) or "feed"
    origin = _text(source)
    return f"{shown} ({origin})" if origin else shown


def _feed_files(value: object) -> tuple[FeedFile, ...]:
    if not isinstance(value, list):
        return ()
    files = []
    for item in value:
        if isinstance(item, dict) and _text(item.get("name")) and _text(item.get("sha256")):
            size = item.get("size")
            files.append(
                FeedFile(
                    name=str(item["name"]),
                    sha256=str(item["sha256"]),
                    size=size if isinstance(size, int) else None,
                )
            )
    return tuple(files)


def _acquisition_facts(root: Path, files: Iterable[ManifestFile]) -> _Facts:
    """From the first unstalk ``acquisition.json`` in the folder (shortest path first)."""
    candidates = sorted(
        (f for f in files if PurePosixPath(f.path).name == "acquisition.json"),
        key=lambda f: (f.path.count("/"), f.path),
    )
    for candidate in candidates:
        if candidate.size > MAX_JSON:
            continue
        value = _load(_read(root / candidate.path))
        if value.get("format") != "unstalk-android-acquisition":
            continue
        times = AcquisitionTimes(
            started_utc=_utc(value.get("started_utc")),
            finished_utc=_utc(value.get("finished_utc")),
            known_from=candidate.path,
        )
        feed = value.get("feed")
        record = None
        if isinstance(feed, dict):
            listed = _feed_files(feed.get("files"))
            record = FeedRecord(
                name=_feed_label(feed.get("format"), feed.get("source")),
                version=_text(feed.get("version")),
                sha256=feed_digest(listed) if listed else None,
                files=listed,
                known_from="acquisition",
            )
        return _Facts(record, times)
    return _Facts()


def feed_record(provenance: Provenance) -> FeedRecord:
    """The feed in use, as a manifest records it."""
    files = tuple(FeedFile(name=f.name, sha256=f.sha256, size=f.size) for f in provenance.files)
    return FeedRecord(
        name=_feed_label(provenance.format, provenance.source),
        version=provenance.version,
        sha256=feed_digest(files) if files else None,
        files=files,
        known_from="feed-in-use",
    )


def _choose_feed(
    reported: FeedRecord | None, acquired: FeedRecord | None, in_use: Provenance | None
) -> FeedRecord | None:
    if reported is not None and reported.sha256:
        return reported
    if acquired is not None and acquired.sha256:
        return acquired
    if in_use is not None:
        return feed_record(in_use)
    return reported or acquired


def _compare_sums(root: Path, files: Iterable[ManifestFile]) -> list[str]:
    """How each ``SHA256SUMS`` in the folder compares with the hashes computed now."""
    listed = list(files)
    by_name = {f.path: f.sha256 for f in listed}
    notes = []
    for sums in (f for f in listed if PurePosixPath(f.path).name == "SHA256SUMS"):
        folder = PurePosixPath(sums.path).parent
        expected = _read_sums(_read(root / sums.path)) if sums.size <= MAX_JSON else {}
        differ = []
        for name, digest in expected.items():
            key = (folder / name).as_posix() if str(folder) != "." else name
            if by_name.get(key) != digest:
                differ.append(name)
        if not expected:
            notes.append(f"{sums.path}: lists no file in sha256sum form.")
        elif differ:
            shown = ", ".join(sorted(differ)[:10])
            notes.append(
                f"{sums.path}: {len(differ)} of {len(expected)} listed files differ or are "
                f"missing now: {shown}."
            )
        else:
            notes.append(f"{sums.path}: all {len(expected)} listed files match.")
    return notes


def _read_sums(data: bytes) -> dict[str, str]:
    table = {}
    for line in data.decode("utf-8", "replace").splitlines():
        digest, sep, name = line.partition("  ")
        if sep and len(digest) == 64 and name:
            table[name.removeprefix("*")] = digest.lower()
    return table
