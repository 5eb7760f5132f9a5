"""Reading an iPhone backup folder (Finder, iTunes or ``idevicebackup2``) into an acquisition.

Whole-backup failures (no backup there, iOS 9 format, encrypted without a
password, wrong password, unreadable Manifest.db) raise :class:`BackupError`;
a single unreadable part (a damaged plist, a missing file) becomes a
``Parsed`` value with its status and problems, and the rest is still read.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from unstalk.errors import BackupError
from unstalk.ios.backup.apps import app_domain_bundle, read_apps
from unstalk.ios.backup.content import BlobReader
from unstalk.ios.backup.device import read_device, wifi_sync_setting
from unstalk.ios.backup.files import (
    INFO_PLIST,
    MANIFEST_PLIST,
    STATUS_PLIST,
    BackupFiles,
    locate_backup,
)
from unstalk.ios.backup.jailbreak import TraceCollector
from unstalk.ios.backup.keybag import parse_keybag, unlock
from unstalk.ios.backup.manifest import (
    FileRow,
    ManifestPlist,
    open_manifest_db,
    parse_manifest_plist,
    rows,
)
from unstalk.ios.backup.plists import PlistDict, load_dict, text
from unstalk.ios.backup.profiles import PROFILES_DOMAIN, read_profiles
from unstalk.ios.model import IosAcquisition, IosApp, JailbreakTrace, Parsed, ParseStatus

ENCRYPTED = "This backup is encrypted."
ENCRYPTED_ADVICE = (
    "Run again with --password-prompt and type the backup password set in Finder/iTunes; "
    "unstalk does not store it."
)


@dataclass(slots=True)
class _Plists:
    info: PlistDict | None = None
    manifest: ManifestPlist | None = None
    status: PlistDict | None = None
    problems: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Scan:
    app_domains: set[str] = field(default_factory=set)
    profile_rows: list[FileRow] = field(default_factory=list)
    traces: TraceCollector = field(default_factory=TraceCollector)
    count: int = 0


def _read_plist(files: BackupFiles, name: str, plists: _Plists) -> PlistDict | None:
    try:
        if not files.exists(name):
            plists.problems[name] = f"{name} is missing from the backup"
            return None
        return load_dict(files.read(name), name)
    except BackupError as e:
        plists.problems[name] = e.message
        return None


def _read_plists(files: BackupFiles) -> _Plists:
    plists = _Plists()
    plists.info = _read_plist(files, INFO_PLIST, plists)
    manifest = _read_plist(files, MANIFEST_PLIST, plists)
    plists.manifest = parse_manifest_plist(manifest) if manifest is not None else None
    plists.status = _read_plist(files, STATUS_PLIST, plists)
    return plists


def _class_keys(manifest: ManifestPlist | None, password: str | None) -> dict[int, bytes] | None:
    if manifest is None or not manifest.is_encrypted:
        return None
    if password is None:
        raise BackupError(ENCRYPTED, path=MANIFEST_PLIST, advice=ENCRYPTED_ADVICE)
    if manifest.keybag is None:
        raise BackupError(
            "Manifest.plist says the backup is encrypted but holds no BackupKeyBag.",
            path=MANIFEST_PLIST,
            advice="The backup is damaged; make a new one.",
        )
    return unlock(parse_keybag(manifest.keybag), password)


def _scan(connection: sqlite3.Connection) -> _Scan:
    scan = _Scan()
    for row in rows(connection):
        scan.count += 1
        bundle_id = app_domain_bundle(row.domain)
        if bundle_id is not None:
            scan.app_domains.add(bundle_id)
        elif row.domain == PROFILES_DOMAIN:
            scan.profile_rows.append(row)
        scan.traces.visit(row)
    return scan


def _integrity(plists: _Plists, reader: BlobReader, scan: _Scan) -> tuple[str, ...]:
    notes = [f"{problem.rstrip('.')}." for problem in plists.problems.values()]
    state = text(plists.status, "SnapshotState") if plists.status is not None else None
    if state is not None and state != "finished":
        notes.append(
            f"The backup did not finish ({STATUS_PLIST} SnapshotState is {state!r}): "
            "files may be missing from it."
        )
    if reader.missing:
        notes.append(
            f"{len(reader.missing)} file(s) listed in Manifest.db are missing from the backup "
            f"folder: {', '.join(reader.missing)}."
        )
    if scan.count == 0:
        notes.append("Manifest.db lists no files: the backup is empty or incomplete.")
    return tuple(notes)


def _jailbreak(scan: _Scan, apps: Parsed[tuple[IosApp, ...]]) -> Parsed[tuple[JailbreakTrace, ...]]:
    scan.traces.visit_apps(
        (app.bundle_id for app in apps.value or ()), "Info.plist / Manifest.plist Applications"
    )
    return Parsed("Manifest.db, Info.plist, Manifest.plist", ParseStatus.OK, scan.traces.traces())


def read_backup(folder: Path, *, password: str | None = None) -> IosAcquisition:
    """Read a backup folder (or the folder holding exactly one backup) into an acquisition."""
    files = BackupFiles(locate_backup(folder))
    plists = _read_plists(files)
    class_keys = _class_keys(plists.manifest, password)
    manifest_key = plists.manifest.manifest_key if plists.manifest is not None else None
    with closing(open_manifest_db(files, class_keys, manifest_key)) as connection:
        scan = _scan(connection)
    reader = BlobReader(files, class_keys)
    problems = tuple(problem for name, problem in plists.problems.items() if name != STATUS_PLIST)
    apps = read_apps(
        plists.info,
        plists.manifest.applications if plists.manifest is not None else None,
        scan.app_domains,
        tuple(p for p in problems if p.startswith(INFO_PLIST)),
    )
    return IosAcquisition(
        source=str(files.root),
        kind="backup",
        device=read_device(plists.info, plists.manifest, plists.status, problems),
        apps=apps,
        profiles=read_profiles(scan.profile_rows, reader),
        jailbreak=_jailbreak(scan, apps),
        wifi_sync=wifi_sync_setting(plists.manifest),
        file_hashes=files.hashes,
        integrity=_integrity(plists, reader, scan),
    )
