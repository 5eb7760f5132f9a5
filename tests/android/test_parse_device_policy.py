"""``dumpsys device_policy``: device administrators, device and profile owners."""

from __future__ import annotations

import pytest

from tests.android.parser_fixtures import OTHER_OUTPUTS, VERSIONS, recorded
from unstalk.android.model import DeviceAdmins, ParseStatus
from unstalk.android.parsers.device_policy import parse_device_policy

GMS = "com.google.android.gms/com.google.android.gms.mdm.receivers.MdmDeviceAdminReceiver"
SPY = "com.thetruth/com.thetruth.receiver.AdminReceiver"

EXPECTED = {
    "android-9": DeviceAdmins(active=(GMS,)),
    "android-12": DeviceAdmins(active=(GMS, SPY)),
    "android-14": DeviceAdmins(active=(GMS,)),
}


@pytest.mark.parametrize("version", VERSIONS)
def test_administrators_of_each_phone(version: str) -> None:
    result = parse_device_policy(recorded(version, "dumpsys_device_policy.txt"), source="d")
    assert result.status is ParseStatus.OK, result.problems
    assert result.value == EXPECTED[version]


OWNERS = """Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
  Device Owner:\x20
    admin=ComponentInfo{com.example.mdm/com.example.mdm.AdminReceiver}
    name=Example MDM
    package=com.example.mdm
    isOrganizationOwnedDevice=false
    User ID: 0

  Profile Owner (User 10):\x20
    admin=ComponentInfo{com.example.work/com.example.work.Receiver}
    name=
    package=com.example.work

  Enabled Device Admins (User 0, provisioningState: 3):
    com.example.mdm/.AdminReceiver:
      uid=10301
      policies:
        wipe-data

    mPasswordOwner=-1
    Removing Device Admins (User 0): []

  Enabled Device Admins (User 10, provisioningState: 3):
    com.example.work/.Receiver:
      uid=1010302
"""


def test_device_and_profile_owners_and_every_users_admins() -> None:
    result = parse_device_policy(OWNERS, source="d")
    assert result.status is ParseStatus.OK, result.problems
    assert result.value == DeviceAdmins(
        active=(
            "com.example.mdm/com.example.mdm.AdminReceiver",
            "com.example.work/com.example.work.Receiver",
        ),
        device_owner="com.example.mdm/com.example.mdm.AdminReceiver",
        profile_owners=("com.example.work/com.example.work.Receiver",),
    )


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_the_dump_are_unparsed(text: str) -> None:
    assert parse_device_policy(text, source="d").status is ParseStatus.UNPARSED


def test_another_dump_is_unparsed() -> None:
    text = recorded("android-12", "dumpsys_accessibility.txt")
    assert parse_device_policy(text, source="d").status is ParseStatus.UNPARSED


def test_an_administrator_line_in_a_new_format_is_named() -> None:
    text = recorded("android-12", "dumpsys_device_policy.txt").replace(
        "    com.thetruth/.receiver.AdminReceiver:",
        "    com.thetruth/.receiver.AdminReceiver (active):",
    )
    result = parse_device_policy(text, source="d")
    assert result.status is ParseStatus.PARTIAL
    assert result.value is not None and result.value.active == (GMS,)
    assert any("com.thetruth/.receiver.AdminReceiver (active):" in p for p in result.problems)


def test_an_owner_without_an_admin_line_is_reported() -> None:
    text = OWNERS.replace(
        "    admin=ComponentInfo{com.example.mdm/com.example.mdm.AdminReceiver}\n", ""
    )
    result = parse_device_policy(text, source="d")
    assert result.status is ParseStatus.PARTIAL
    assert result.value is not None and result.value.device_owner is None
    assert any("device owner without an admin= line" in p for p in result.problems)


def test_a_renamed_admin_list_is_reported() -> None:
    text = recorded("android-14", "dumpsys_device_policy.txt").replace(
        "Enabled Device Admins", "Active Device Administrators"
    )
    result = parse_device_policy(text, source="d")
    assert result.status is ParseStatus.PARTIAL
    assert result.value == DeviceAdmins()
    assert "no 'Enabled Device Admins' list" in result.problems[0]
