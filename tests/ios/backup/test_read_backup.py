"""Reading unencrypted backups: device facts, apps, Wi-Fi sync, hashes, finding the folder."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.ios.gen import SCENARIOS, write_backup
from tests.ios.gen.scenarios import FEED_BUNDLE
from unstalk.errors import BackupError
from unstalk.feed.index import FeedIndex
from unstalk.feed.store import bundled_dir, load_folder
from unstalk.ios.backup import read_backup
from unstalk.ios.model import AppOrigin, IosAcquisition, ParseStatus


def test_device_facts_come_from_info_and_manifest(read: dict[str, IosAcquisition]) -> None:
    acquisition = read["benign"]
    assert acquisition.kind == "backup"
    assert acquisition.device.status is ParseStatus.OK
    device = acquisition.device.value
    assert device is not None
    assert device.name == "Sam's iPhone"
    assert device.product_type == "iPhone14,2"
    assert device.ios_version == "17.5.1"
    assert device.build_version == "21F90"
    assert device.serial_number == "F2LXK0AB1234"
    assert device.udid == "00008110-001A2B3C4D5E6F70"
    assert device.last_backup == datetime(2026, 11, 20, 18, 30, 5, tzinfo=UTC)
    assert device.backup_encrypted is False
    properties = dict(device.properties)
    assert properties["IMEI"] == "356789101234567"
    assert properties["Status.plist SnapshotState"] == "finished"


def test_source_is_the_backup_folder(backups: dict[str, Path]) -> None:
    acquisition = read_backup(backups["benign"])
    assert acquisition.source == str(backups["benign"].resolve())


def test_app_store_apps_carry_name_versions_and_origin(read: dict[str, IosAcquisition]) -> None:
    apps = {app.bundle_id: app for app in read["benign"].apps.value or ()}
    assert set(apps) == {"net.whatsapp.WhatsApp", "com.spotify.client", "com.google.Maps"}
    whatsapp = apps["net.whatsapp.WhatsApp"]
    assert whatsapp.name == "WhatsApp Messenger"
    assert whatsapp.short_version == "24.22.79"
    assert whatsapp.version == "24.22.79.71"
    assert whatsapp.origin is AppOrigin.APP_STORE
    assert "Info.plist" in whatsapp.source and "Manifest.plist" in whatsapp.source
    assert read["benign"].apps.problems == ()


def test_feed_app_is_listed_and_matches_the_feed(read: dict[str, IosAcquisition]) -> None:
    apps = {app.bundle_id: app for app in read["feed-app"].apps.value or ()}
    assert FEED_BUNDLE in apps
    index = FeedIndex.build(load_folder(bundled_dir()))
    assert index.ios_bundle(apps[FEED_BUNDLE].bundle_id)


def test_app_without_store_details_has_unknown_origin_noted_once(
    read: dict[str, IosAcquisition],
) -> None:
    parsed = read["feed-app"].apps
    apps = {app.bundle_id: app for app in parsed.value or ()}
    tracker = apps["com.example.tracker.enterprise"]
    assert tracker.origin is AppOrigin.UNKNOWN
    assert tracker.version == "1"
    assert tracker.name == "Tracker"
    notes = [p for p in parsed.problems if "origin is unknown" in p]
    assert len(notes) == 1


def test_wifi_sync_is_read_when_the_backup_records_it(read: dict[str, IosAcquisition]) -> None:
    assert read["jailbroken"].wifi_sync.status is ParseStatus.OK
    assert read["jailbroken"].wifi_sync.value is True
    device = read["jailbroken"].device.value
    assert device is not None and device.wifi_sync is True


def test_wifi_sync_unknown_is_missing_not_false(read: dict[str, IosAcquisition]) -> None:
    wifi = read["benign"].wifi_sync
    assert wifi.status is ParseStatus.MISSING
    assert wifi.value is None
    assert "does not record" in wifi.problems[0]


def test_every_file_read_is_hashed_as_stored(read: dict[str, IosAcquisition]) -> None:
    for name in ("profiles", "encrypted"):
        acquisition = read[name]
        hashes = acquisition.file_hashes
        assert {"Info.plist", "Manifest.plist", "Status.plist", "Manifest.db"} <= set(hashes)
        blobs = [key for key in hashes if "/" in key]
        assert len(blobs) == 4  # two profile stubs, the events and the enrolment details
        root = Path(acquisition.source)
        for relative, digest in hashes.items():
            assert hashlib.sha256((root / relative).read_bytes()).hexdigest() == digest


def test_parent_folder_with_one_backup_is_accepted(backups: dict[str, Path]) -> None:
    acquisition = read_backup(backups["benign"].parent)
    assert acquisition.source == str(backups["benign"].resolve())


def test_parent_folder_with_two_backups_asks_which(tmp_path: Path) -> None:
    write_backup(tmp_path, SCENARIOS["benign"]())
    shutil.copytree(tmp_path / "00008110-001A2B3C4D5E6F70", tmp_path / "second")
    with pytest.raises(BackupError, match="holds 2 backups") as caught:
        read_backup(tmp_path)
    assert "Choose" in caught.value.diagnostics()


def test_folder_that_is_not_a_backup(tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(BackupError, match="not an iPhone backup") as caught:
        read_backup(tmp_path)
    assert "MobileSync" in caught.value.diagnostics()


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="not a folder that exists"):
        read_backup(tmp_path / "nowhere")
