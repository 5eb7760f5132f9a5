"""Publishing a release and finding its files: the releases table plus a folder per version.

A release is the set of active, classified TLP:CLEAR families and indicators at
the moment it is made (what anyone may see), written in every export format,
listed with their SHA-256 in ``SHA256SUMS`` and signed with the hub's Ed25519
key, exactly as ``unstalk feed update --key`` verifies. Versions read
``YYYY.MM.DD.N``; ``N`` counts releases and only grows, so versions sort in time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from unstalk.feed.model import TLP, Feed
from unstalk.feed.update import SIG_FILE, SUMS_FILE, parse_sums
from unstalk.hub.audit import record
from unstalk.hub.db import Release
from unstalk.hub.errors import Conflict, HubError, NotFound
from unstalk.hub.principal import Principal
from unstalk.hub.releases import files as release_files
from unstalk.hub.releases.signing import ReleaseKey
from unstalk.hub.releases.snapshot import PUBLIC, take_snapshot
from unstalk.hub.roles import Role, Scope

AUDIENCE = TLP.CLEAR
"""Releases are public: other labels reach members through the export API and TAXII."""
SID_MAP_FILE = "suricata-sids.json"
"""Kept across releases, so a rule keeps its Suricata SID from one release to the next."""


class ReleaseStoreError(HubError):
    status = 500


def version_label(release: Release) -> str:
    return f"{release.created_at:%Y.%m.%d}.{release.version}"


def latest_release(session: Session) -> Release | None:
    query = select(Release).where(Release.audience == AUDIENCE).order_by(Release.version.desc())
    return session.scalars(query.limit(1)).first()


def list_releases(session: Session) -> Sequence[Release]:
    """Newest first."""
    query = select(Release).where(Release.audience == AUDIENCE).order_by(Release.version.desc())
    return session.scalars(query).all()


def find_release(session: Session, label: str) -> Release:
    """The release called ``label`` (``YYYY.MM.DD.N``), or ``latest``."""
    found = latest_release(session) if label == "latest" else _by_label(session, label)
    if found is None:
        raise NotFound(f"There is no feed release {label!r} on this hub.")
    return found


def _by_label(session: Session, label: str) -> Release | None:
    _, _, number = label.rpartition(".")
    if not number.isdigit() or len(number) > 9:
        return None
    query = select(Release).where(Release.audience == AUDIENCE, Release.version == int(number))
    release = session.scalars(query).first()
    return release if release is not None and version_label(release) == label else None


def file_names(release: Release) -> list[str]:
    """Every file a release serves: those its SHA256SUMS lists, then the sums and signature."""
    return [*sorted(parse_sums(release.payload)), SUMS_FILE, SIG_FILE]


def release_file(folder: Path, release: Release, name: str) -> Path:
    """The path of one of ``release``'s files; only names its SHA256SUMS lists are served."""
    if name not in file_names(release):
        raise NotFound(f"Release {version_label(release)} has no file {name!r}.")
    path = folder / version_label(release) / name
    if not path.is_file():
        raise ReleaseStoreError(
            f"The files of release {version_label(release)} are missing from {folder}.",
            advice="Restore the release folder from the hub's backup.",
        )
    return path


def _read_json(path: Path) -> dict[str, object] | None:
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def publish_release(
    session: Session, actor: Principal, folder: Path, key: ReleaseKey, *, now: datetime
) -> Release:
    """Make, sign and store a new release of everything TLP:CLEAR; audited."""
    actor.require(Role.COALITION_ADMIN, "publish a feed release", Scope.ADMIN)
    previous = latest_release(session)
    number = session.scalar(select(func.max(Release.version)).where(Release.audience == AUDIENCE))
    created = max(now, previous.created_at) if previous is not None else now
    release = Release(version=(number or 0) + 1, audience=AUDIENCE, created_at=created)
    label = version_label(release)
    snapshot = take_snapshot(
        session, PUBLIC, source=f"unstalk hub feed release {label}", when=created, version=label
    )
    old_label = version_label(previous) if previous is not None else None
    files, sids, changes = _render(snapshot.feed, folder, label, old_label)
    sums = release_files.sha256sums(files)
    signature = key.sign(sums)
    release.created_by = actor.user_id
    release.content_hash = hashlib.sha256(sums).hexdigest()
    release.signature = signature.decode("ascii").strip()
    release.public_key = key.public_base64
    release.changelog = changes
    release.payload = sums.decode("ascii")
    session.add(release)
    try:
        session.flush()
    except IntegrityError as e:
        raise Conflict(
            "Another release was being published at the same moment.",
            advice="Reload the page and publish again if a new release is still needed.",
        ) from e
    _store(folder, label, {**files, SUMS_FILE: sums, SIG_FILE: signature}, sids)
    summary = {k: len(v) for k, v in changes.items() if isinstance(v, list)}
    record(session, actor, "release.published", release, {"version": label, **summary})
    return release


def _render(
    feed: Feed, folder: Path, label: str, old_label: str | None
) -> tuple[dict[str, bytes], bytes, dict[str, object]]:
    """The release's files, the updated Suricata SID map, and the changelog."""
    old_contents = None
    if old_label is not None:
        old_contents = _read_json(folder / old_label / release_files.CONTENTS_FILE)
    previous_sids = _read_bytes(folder / SID_MAP_FILE)
    files, sids, left_out = release_files.render_exports(feed, previous_sids)
    contents = release_files.contents_of(feed, left_out)
    changes = release_files.changelog(old_label, old_contents, contents)
    files[release_files.CONTENTS_FILE] = release_files.json_bytes(contents)
    files[release_files.CHANGELOG_FILE] = release_files.json_bytes({"version": label, **changes})
    return files, sids, changes


def _store(folder: Path, label: str, files: dict[str, bytes], sids: bytes) -> None:
    """Write the release's folder whole (staged, then renamed) and the SID map beside it."""
    target = folder / label
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
        for name, data in files.items():
            (staging / name).write_bytes(data)
        if target.exists():
            # Left by a publication whose database transaction then failed: never served.
            shutil.rmtree(target)
        staging.rename(target)
        tmp = folder / f".{SID_MAP_FILE}.tmp"
        tmp.write_bytes(sids)
        tmp.replace(folder / SID_MAP_FILE)
    except OSError as e:
        raise ReleaseStoreError(f"The release could not be written under {folder}: {e}") from e
