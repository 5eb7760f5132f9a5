"""Write a backup folder from a :class:`Scenario`, as Finder / iTunes / ``idevicebackup2`` do.

The folder is named after the UDID and holds ``Info.plist`` (XML, written by
the computer), ``Manifest.plist`` and ``Status.plist`` (binary, written by the
phone), ``Manifest.db`` (SQLite ``Files`` and ``Properties`` tables) and each
file's content at ``<fileID[:2]>/<fileID>``. With a password, a keybag is
written to Manifest.plist, Manifest.db is encrypted with the ManifestKey and
every file with its own key.
"""

from __future__ import annotations

import plistlib
import random
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.ios.gen.formats import MODE_DIR, MODE_FILE, Keybag, encrypt, file_id, mbfile

SCHEMA = (
    "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, "
    "flags INTEGER, file BLOB)",
    "CREATE INDEX FilesDomainIdx ON Files(domain)",
    "CREATE INDEX FilesRelativePathIdx ON Files(relativePath)",
    "CREATE INDEX FilesFlagsIdx ON Files(flags)",
    "CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB)",
)
BACKUP_DATE = datetime(2026, 11, 20, 18, 30, 5)
"""Naive UTC, as plistlib writes dates."""
MTIME = 1_795_000_000


@dataclass(frozen=True)
class BackupFile:
    domain: str
    relative_path: str
    content: bytes | None = None
    """``None`` for a folder."""
    protection_class: int = 3


@dataclass(frozen=True)
class App:
    bundle_id: str
    name: str
    short_version: str
    version: str
    store: bool = True
    """Installed from the App Store: Info.plist carries its iTunesMetadata."""


@dataclass(frozen=True)
class Phone:
    name: str = "Sam's iPhone"
    product_type: str = "iPhone14,2"
    ios_version: str = "17.5.1"
    build: str = "21F90"
    serial: str = "F2LXK0AB1234"
    udid: str = "00008110-001A2B3C4D5E6F70"
    wifi_sync: bool | None = None
    """Write ``com.apple.mobile.wireless_lockdown`` into Manifest.plist Lockdown (old iOS did)."""


@dataclass(frozen=True)
class Scenario:
    phone: Phone = field(default_factory=Phone)
    apps: tuple[App, ...] = ()
    files: tuple[BackupFile, ...] = ()


def _itunes_metadata(app: App) -> bytes:
    return plistlib.dumps(
        {
            "itemId": 300000000 + len(app.bundle_id),
            "itemName": app.name,
            "artistName": f"{app.name} Ltd",
            "kind": "software",
            "softwareVersionBundleId": app.bundle_id,
            "bundleShortVersionString": app.short_version,
            "bundleVersion": app.version,
            "com.apple.iTunesStore.downloadInfo": {
                "accountInfo": {"AppleID": "owner@example.com", "DSPersonID": 1234567},
                "purchaseDate": "2026-01-02T03:04:05Z",
            },
        },
        fmt=plistlib.FMT_BINARY,
    )


def _app_files(app: App) -> Iterator[BackupFile]:
    domain = f"AppDomain-{app.bundle_id}"
    for folder in ("", "Library", "Library/Preferences", "Documents"):
        yield BackupFile(domain, folder)
    prefs = plistlib.dumps({"launchCount": 3}, fmt=plistlib.FMT_BINARY)
    yield BackupFile(domain, f"Library/Preferences/{app.bundle_id}.plist", prefs)


def all_files(scenario: Scenario) -> list[BackupFile]:
    files = list(scenario.files)
    for app in scenario.apps:
        files.extend(_app_files(app))
    return files


def _write_files(
    folder: Path, files: list[BackupFile], keybag: Keybag | None, rng: random.Random
) -> list[tuple[str, str, str, int, bytes]]:
    rows = []
    for item in files:
        fid = file_id(item.domain, item.relative_path)
        key = None
        if item.content is not None:
            stored = item.content
            if keybag is not None:
                file_key = rng.randbytes(32)
                stored = encrypt(file_key, item.content)
                key = keybag.wrap(item.protection_class, file_key)
            (folder / fid[:2]).mkdir(exist_ok=True)
            (folder / fid[:2] / fid).write_bytes(stored)
        blob = mbfile(
            item.relative_path,
            size=len(item.content or b""),
            mode=MODE_DIR if item.content is None else MODE_FILE,
            protection_class=item.protection_class,
            mtime=MTIME,
            encryption_key=key,
        )
        flags = 2 if item.content is None else 1
        rows.append((fid, item.domain, item.relative_path, flags, blob))
    return rows


def write_manifest_db(target: Path, rows: list[tuple[str, str, str, int, bytes]]) -> bytes:
    """Write the database to ``target`` and return its bytes."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "Manifest.db"
        connection = sqlite3.connect(path)
        with connection:
            for statement in SCHEMA:
                connection.execute(statement)
            connection.executemany("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", rows)
        connection.close()
        raw = path.read_bytes()
    target.write_bytes(raw)
    return raw


def _info_plist(scenario: Scenario) -> dict[str, object]:
    phone = scenario.phone
    return {
        "Applications": {
            app.bundle_id: {
                "iTunesMetadata": _itunes_metadata(app),
                "PlaceholderIcon": b"\x89PNG\r\n\x1a\n",
                "ApplicationSINF": b"sinf",
            }
            for app in scenario.apps
            if app.store
        },
        "Build Version": phone.build,
        "Device Name": phone.name,
        "Display Name": phone.name,
        "GUID": "6E1C0A2B5D3F4E7A8B9C0D1E2F3A4B5C",
        "IMEI": "356789101234567",
        "Installed Applications": [app.bundle_id for app in scenario.apps],
        "Last Backup Date": BACKUP_DATE,
        "Product Name": "iPhone 13 Pro",
        "Product Type": phone.product_type,
        "Product Version": phone.ios_version,
        "Serial Number": phone.serial,
        "Target Identifier": phone.udid,
        "Target Type": "Device",
        "Unique Identifier": phone.udid,
        "iTunes Files": {},
        "iTunes Settings": {},
        "iTunes Version": "12.13.2.3",
    }


def _manifest_plist(scenario: Scenario, keybag: Keybag | None, manifest_key: bytes | None) -> bytes:
    phone = scenario.phone
    lockdown: dict[str, object] = {
        "BuildVersion": phone.build,
        "DeviceName": phone.name,
        "ProductType": phone.product_type,
        "ProductVersion": phone.ios_version,
        "SerialNumber": phone.serial,
        "UniqueDeviceID": phone.udid,
        "com.apple.Accessibility": {"VoiceOverTouchEnabledByiTunes": False},
        "com.apple.MobileDeviceCrashCopy": {},
        "com.apple.TerminalFlashr": {},
        "com.apple.mobile.data_sync": {},
        "com.apple.mobile.iTunes.accessories": {},
    }
    if phone.wifi_sync is not None:
        lockdown["com.apple.mobile.wireless_lockdown"] = {"EnableWifiConnections": phone.wifi_sync}
    manifest: dict[str, object] = {
        "Applications": {
            app.bundle_id: {
                "CFBundleIdentifier": app.bundle_id,
                "CFBundleVersion": app.version,
                "ContainerContentClass": "Data/Application",
                "Path": f"/private/var/containers/Bundle/Application/{app.name.replace(' ', '')}"
                f"/{app.name.replace(' ', '')}.app",
            }
            for app in scenario.apps
        },
        "Date": BACKUP_DATE,
        "IsEncrypted": keybag is not None,
        "Lockdown": lockdown,
        "SystemDomainsVersion": "24.0",
        "Version": "10.0",
        "WasPasscodeSet": True,
    }
    if keybag is not None and manifest_key is not None:
        manifest["BackupKeyBag"] = keybag.blob
        manifest["ManifestKey"] = manifest_key
    return plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY)


def _status_plist() -> bytes:
    status = {
        "BackupState": "new",
        "Date": BACKUP_DATE,
        "IsFullBackup": False,
        "SnapshotState": "finished",
        "UUID": "3B7E0F9C-1D2A-4C5B-8E6F-7A8B9C0D1E2F",
        "Version": "3.3",
    }
    return plistlib.dumps(status, fmt=plistlib.FMT_BINARY)


def write_backup(out: Path, scenario: Scenario, *, password: str | None = None) -> Path:
    """Write the backup under ``out/<UDID>`` and return that folder."""
    folder = out / scenario.phone.udid
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    keybag = Keybag(password) if password is not None else None
    rows = _write_files(folder, all_files(scenario), keybag, rng)
    manifest_key = None
    raw_db = write_manifest_db(folder / "Manifest.db", rows)
    if keybag is not None:
        db_key = rng.randbytes(32)
        manifest_key = keybag.wrap(4, db_key)
        (folder / "Manifest.db").write_bytes(encrypt(db_key, raw_db))
    (folder / "Info.plist").write_bytes(plistlib.dumps(_info_plist(scenario)))
    (folder / "Manifest.plist").write_bytes(_manifest_plist(scenario, keybag, manifest_key))
    (folder / "Status.plist").write_bytes(_status_plist())
    return folder
