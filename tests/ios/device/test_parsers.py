"""The pure parsers, on the recorded outputs and on damaged or odd answers."""

from __future__ import annotations

import plistlib

import pytest

from tests.ios.device.make_recorded import UDID
from tests.ios.device.replay import RECORDED
from unstalk.ios.device.parsers import (
    MAX_PLIST_BYTES,
    PairState,
    ProgressReader,
    lockdown_state,
    parse_app_list,
    parse_backup_outcome,
    parse_device_info,
    parse_device_list,
    parse_pair_validate,
    parse_wifi_sync,
)
from unstalk.ios.model import AppOrigin
from unstalk.models import ParseStatus

PHONE = RECORDED / "iphone-17"


def _recorded(scenario: str, name: str) -> str:
    return (RECORDED / scenario / name).read_text(encoding="utf-8")


def test_device_list_reads_one_udid_per_line_and_ignores_noise() -> None:
    assert parse_device_list((PHONE / "idevice_id.stdout").read_text()) == (UDID,)
    two = parse_device_list(_recorded("two-devices", "idevice_id.stdout"))
    assert len(two) == 2 and two[0] == UDID
    # Newer idevice_id prints the connection after the UDID.
    assert parse_device_list(f"{UDID} (USB)\nERROR: something\n") == (UDID,)
    assert parse_device_list("") == ()


def test_device_info_from_the_recorded_xml() -> None:
    parsed = parse_device_info((PHONE / "ideviceinfo_x.stdout").read_bytes(), source="x")
    assert parsed.status is ParseStatus.OK
    info = parsed.value
    assert info is not None
    assert (info.name, info.product_type) == ("Sam's iPhone", "iPhone15,2")
    assert info.ios_version == "17.5.1"
    assert info.udid == UDID and info.build_version == "21F90"
    assert ("PasswordProtected", "True") in info.properties


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"ERROR: No device found!\n",
        b"<?xml version='1.0'?><plist><dict><key>A",
        b"<plist>\x00",
    ],
)
def test_device_info_that_cannot_be_read_says_so(data: bytes) -> None:
    parsed = parse_device_info(data, source="ideviceinfo -x")
    assert parsed.status is ParseStatus.UNPARSED and parsed.value is None and parsed.problems


def test_device_info_without_a_version_is_partial() -> None:
    parsed = parse_device_info(plistlib.dumps({"UniqueDeviceID": UDID}), source="x")
    assert parsed.status is ParseStatus.PARTIAL and "ProductVersion" in parsed.problems[0]


def test_an_answer_too_large_is_not_read() -> None:
    parsed = parse_app_list(b" " * (MAX_PLIST_BYTES + 1), source="x")
    assert parsed.status is ParseStatus.UNPARSED and "more than unstalk reads" in parsed.problems[0]


def test_wifi_sync_values() -> None:
    assert parse_wifi_sync("true\n", source="s").value is True
    off = parse_wifi_sync("false\n", source="s")
    assert off.value is False and off.status is ParseStatus.OK
    never = parse_wifi_sync(_recorded("wifi-sync-never-set", "ideviceinfo_wifi.stdout"), source="s")
    assert never.value is False and never.status is ParseStatus.PARTIAL and never.problems
    odd = parse_wifi_sync("maybe", source="s")
    assert odd.value is None and odd.status is ParseStatus.UNPARSED


@pytest.mark.parametrize(
    ("scenario", "name", "state"),
    [
        ("iphone-17", "idevicepair_validate.stdout", PairState.PAIRED),
        ("locked", "idevicepair_validate.stdout", PairState.LOCKED),
        ("not-trusted", "idevicepair_validate.stdout", PairState.NOT_PAIRED),
        ("not-trusted", "idevicepair_pair.stdout", PairState.TRUST_PENDING),
    ],
)
def test_pair_states_from_recorded_messages(scenario: str, name: str, state: PairState) -> None:
    assert parse_pair_validate(_recorded(scenario, name)) is state


def test_pair_messages_for_denied_and_no_device() -> None:
    denied = f"ERROR: Device {UDID} said that the user denied the trust dialog.\n"
    assert parse_pair_validate(denied) is PairState.DENIED
    assert parse_pair_validate("No device found.\n") is PairState.NO_DEVICE
    assert parse_pair_validate("something new\n") is PairState.UNKNOWN


@pytest.mark.parametrize(
    ("line", "state"),
    [
        ("ERROR: Could not connect to lockdownd: Password protected (-17)", PairState.LOCKED),
        ("ERROR: Could not connect to lockdownd: User denied pairing (-18)", PairState.DENIED),
        (
            "ERROR: Could not connect to lockdownd: Pairing dialog response pending (-19)",
            PairState.TRUST_PENDING,
        ),
        ("ERROR: Could not connect to lockdownd, error code -21", PairState.NOT_PAIRED),
        ("ERROR: Could not connect to lockdownd: SSL error (-5)", PairState.UNKNOWN),
        ("Backup Successful.", None),
    ],
)
def test_lockdown_errors_in_both_message_styles(line: str, state: PairState | None) -> None:
    assert lockdown_state(line) is state


def test_app_list_origins_from_signers() -> None:
    parsed = parse_app_list((PHONE / "ideviceinstaller_l.stdout").read_bytes(), source="list")
    assert parsed.status is ParseStatus.OK and parsed.value is not None
    origins = {app.bundle_id: app.origin for app in parsed.value}
    assert origins == {
        "net.whatsapp.WhatsApp": AppOrigin.APP_STORE,
        "com.life360.safetymap": AppOrigin.APP_STORE,
        "com.apple.sync.helperd": AppOrigin.ENTERPRISE,
        "org.example.betanotes": AppOrigin.TESTFLIGHT,
    }
    spy = next(a for a in parsed.value if a.bundle_id == "com.apple.sync.helperd")
    assert spy.name == "Sync Services" and spy.short_version == "1.0"
    assert spy.signer == "iPhone Distribution: Northwind Logistics Ltd" and spy.source == "list"


@pytest.mark.parametrize(
    ("entry", "origin"),
    [
        ({"ApplicationType": "System"}, AppOrigin.SYSTEM),
        ({"SignerIdentity": "Apple Development: Jo Bloggs (AB12CD34EF)"}, AppOrigin.DEVELOPER),
        ({"Entitlements": {"get-task-allow": True}}, AppOrigin.DEVELOPER),
        ({"ProfileValidated": True}, AppOrigin.ENTERPRISE),
        ({"ApplicationDSID": 1}, AppOrigin.APP_STORE),
        ({}, AppOrigin.UNKNOWN),
    ],
)
def test_app_origin_rules(entry: dict[str, object], origin: AppOrigin) -> None:
    data = plistlib.dumps([{"CFBundleIdentifier": "org.example.app", **entry}])
    apps = parse_app_list(data, source="list").value
    assert apps is not None and apps[0].origin is origin


def test_app_list_keeps_good_entries_when_one_is_bad() -> None:
    data = plistlib.dumps([{"CFBundleName": "no id"}, "junk", {"CFBundleIdentifier": "a.b"}])
    parsed = parse_app_list(b"WARNING: noise\n" + data, source="list")
    assert parsed.status is ParseStatus.PARTIAL
    assert [a.bundle_id for a in parsed.value or ()] == ["a.b"]
    assert len(parsed.problems) == 2


def test_app_list_that_is_not_a_list() -> None:
    parsed = parse_app_list(plistlib.dumps({"a": 1}), source="list")
    assert parsed.status is ParseStatus.UNPARSED


def test_progress_survives_pieces_cut_mid_bar() -> None:
    text = (PHONE / "idevicebackup2_backup.stdout").read_bytes()
    reader = ProgressReader()
    seen = [p for i in range(0, len(text), 7) if (p := reader.feed(text[i : i + 7])) is not None]
    assert seen[0] == 2 and seen[-1] == 100
    assert seen == sorted(seen) and 50 in seen


def test_backup_outcomes() -> None:
    done = parse_backup_outcome(_recorded("iphone-17", "idevicebackup2_backup.stdout"))
    assert done.succeeded and done.files == 1412 and done.encrypted is False
    stopped = _recorded("unplugged-during-backup", "idevicebackup2_backup.stdout")
    lost = parse_backup_outcome(stopped)
    assert not lost.succeeded and lost.files == 503
    assert lost.error == "ERROR: Could not receive from mobilebackup2 (-3)"
    failed = parse_backup_outcome("Backup will be encrypted.\nBackup Failed (Error Code 105).\n")
    assert failed.encrypted is True and failed.error == "Backup Failed (Error Code 105)."
    assert parse_backup_outcome("").error
