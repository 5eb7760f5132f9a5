"""The live acquisition: what it reads, what it keeps when the phone goes away, and merging."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.ios.device.make_recorded import UDID
from tests.ios.device.replay import ReplayRunner
from unstalk.ios.device import AcquisitionStoppedError, Idevice, acquire_live, merge
from unstalk.ios.device.acquire import empty_acquisition, without_backup
from unstalk.ios.model import IosApp, IosDeviceInfo, JailbreakTrace, Profile
from unstalk.models import Parsed, ParseStatus


def test_a_live_read_without_backup(tmp_path: Path) -> None:
    steps: list[str] = []
    live = acquire_live(Idevice(ReplayRunner("iphone-17")), on_step=steps.append)
    acquisition = live.acquisition
    assert acquisition.source == f"device:{UDID}" and acquisition.kind == "device"
    assert acquisition.wifi_sync.value is True
    device = acquisition.device.value
    assert device is not None and device.wifi_sync is True and device.ios_version == "17.5.1"
    assert len(acquisition.apps.value or ()) == 4
    assert acquisition.profiles.status is ParseStatus.MISSING
    assert live.backup_folder is None and steps
    assert any(key.startswith("ideviceinfo -x") for key in acquisition.file_hashes)


def test_a_live_read_with_a_backup(tmp_path: Path) -> None:
    made: list[Path] = []
    runner = ReplayRunner("iphone-17", on_backup=made.append)
    percents: list[int] = []
    live = acquire_live(Idevice(runner), backup_into=tmp_path, on_progress=percents.append)
    assert live.backup_folder == tmp_path / UDID == made[0]
    assert live.backup is not None and live.backup.succeeded
    assert percents[-1] == 100


def test_a_phone_unplugged_midway_keeps_what_was_read() -> None:
    with pytest.raises(AcquisitionStoppedError) as caught:
        acquire_live(Idevice(ReplayRunner("unplugged-after-info")))
    partial = caught.value.partial
    assert partial.device.status is ParseStatus.OK
    assert partial.wifi_sync.status is ParseStatus.MISSING
    assert partial.integrity and "no longer connected" in partial.integrity[0]
    assert "Check the cable" in caught.value.advice


def test_a_backup_that_stops_keeps_the_apps(tmp_path: Path) -> None:
    with pytest.raises(AcquisitionStoppedError) as caught:
        acquire_live(Idevice(ReplayRunner("unplugged-during-backup")), backup_into=tmp_path)
    assert len(caught.value.partial.apps.value or ()) == 4


def _backup_side() -> tuple[Parsed[IosDeviceInfo], Parsed[tuple[IosApp, ...]]]:
    info = IosDeviceInfo(name="Sam", udid=UDID, backup_encrypted=False, wifi_sync=False)
    apps = (IosApp("net.whatsapp.WhatsApp"), IosApp("com.example.only.in.backup"))
    return (
        Parsed("Info.plist", ParseStatus.OK, info),
        Parsed("Manifest.db", ParseStatus.OK, apps),
    )


def test_merge_prefers_the_live_read_and_adds_the_backup() -> None:
    live = acquire_live(Idevice(ReplayRunner("iphone-17"))).acquisition
    device, apps = _backup_side()
    profile = Profile("com.example.profile")
    backup = dataclasses.replace(
        empty_acquisition(UDID, "unused"),
        source="/backups/x",
        kind="backup",
        device=device,
        apps=apps,
        profiles=Parsed("profiles", ParseStatus.OK, (profile,)),
        jailbreak=Parsed("jb", ParseStatus.OK, (JailbreakTrace("Cydia app", "jb"),)),
        wifi_sync=Parsed("wifi", ParseStatus.OK, False),
        integrity=("Status.plist says the backup was not finished",),
    )
    merged = merge(live, backup)
    assert merged.source == live.source and merged.kind == "device"
    assert merged.wifi_sync.value is True
    info = merged.device.value
    assert info is not None and info.name == "Sam's iPhone" and info.backup_encrypted is False
    ids = [a.bundle_id for a in merged.apps.value or ()]
    assert ids.count("net.whatsapp.WhatsApp") == 1 and "com.example.only.in.backup" in ids
    assert merged.profiles.value == (profile,) and merged.jailbreak.value
    assert merged.integrity == backup.integrity


def test_without_backup_marks_its_parts_missing_with_the_reason() -> None:
    live = acquire_live(Idevice(ReplayRunner("iphone-17"))).acquisition
    alone = without_backup(live, "the backup is encrypted")
    assert alone.profiles.status is ParseStatus.MISSING
    assert alone.jailbreak.problems == ("the backup is encrypted",)
