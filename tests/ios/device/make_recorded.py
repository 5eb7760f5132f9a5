"""Write the recorded libimobiledevice outputs under ``recorded/`` (see recorded/README.md).

Run ``python -m tests.ios.device.make_recorded`` from the repository root after
changing the phone below; the files are committed, the tests only read them.
"""

from __future__ import annotations

import json
import plistlib
import zlib
from pathlib import Path

RECORDED = Path(__file__).resolve().parent / "recorded"
UDID = "00008110-001A2B3C4D5E6F70"
OTHER = "00008030-000C1D2E3F405162"

DEVICE_INFO: dict[str, object] = {
    "ActivationState": "Activated",
    "BasebandVersion": "3.40.01",
    "BuildVersion": "21F90",
    "CPUArchitecture": "arm64e",
    "DeviceClass": "iPhone",
    "DeviceColor": "1",
    "DeviceName": "Sam's iPhone",
    "FirmwareVersion": "iBoot-10151.121.1",
    "HardwareModel": "D63AP",
    "HardwarePlatform": "t8110",
    "HostAttached": True,
    "ModelNumber": "MQ0G3",
    "PasswordProtected": True,
    "ProductName": "iPhone OS",
    "ProductType": "iPhone15,2",
    "ProductVersion": "17.5.1",
    "ProductionSOC": True,
    "RegionInfo": "ZD/A",
    "SerialNumber": "F2LXK0ABCDEF",
    "TimeZone": "Europe/Paris",
    "TimeZoneOffsetFromUTC": 7200.0,
    "UniqueChipID": 6530345014313006,
    "UniqueDeviceID": UDID,
    "UseRaptorCerts": True,
}

APP_STORE = "Apple iPhone OS Application Signing"


def _app(bundle: str, name: str, version: str, short: str, **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "ApplicationType": "User",
        "CFBundleDisplayName": name,
        "CFBundleExecutable": name.replace(" ", ""),
        "CFBundleIdentifier": bundle,
        "CFBundleName": name,
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": short,
        "CFBundleVersion": version,
        "MinimumOSVersion": "15.0",
        "Path": f"/private/var/containers/Bundle/Application/{zlib.crc32(bundle.encode()):08X}"
        f"-5A1B-4C2D-8E3F-A0B1C2D3E4F5/{name.replace(' ', '')}.app",
        "SequenceNumber": 12,
        "UIDeviceFamily": [1, 2],
    }
    entry.update(extra)
    return entry


APPS = [
    _app(
        "net.whatsapp.WhatsApp",
        "WhatsApp",
        "2.24.10.79",
        "24.10.79",
        SignerIdentity=APP_STORE,
        ApplicationDSID=1234567890,
        Entitlements={"application-identifier": "57T9237FN3.net.whatsapp.WhatsApp"},
    ),
    _app(
        "com.life360.safetymap",
        "Life360",
        "24.19.0.1",
        "24.19.0",
        SignerIdentity=APP_STORE,
        ApplicationDSID=1234567890,
        Entitlements={"application-identifier": "D4GVKYTV8F.com.life360.safetymap"},
    ),
    _app(
        "com.apple.sync.helperd",
        "Sync Services",
        "1",
        "1.0",
        SignerIdentity="iPhone Distribution: Northwind Logistics Ltd",
        ProfileValidated=True,
        Entitlements={"application-identifier": "Q7RM3X2H4K.com.apple.sync.helperd"},
    ),
    _app(
        "org.example.betanotes",
        "Beta Notes",
        "310",
        "3.1",
        SignerIdentity=APP_STORE,
        Entitlements={
            "application-identifier": "8H3KX92LQA.org.example.betanotes",
            "beta-reports-active": True,
        },
    ),
]

BACKUP_OK = (
    'Backup directory is "{folder}"\n'
    'Started "com.apple.mobilebackup2" service on port 49521.\n'
    "Negotiated Protocol Version 2.1\n"
    "Starting backup...\n"
    "Enforcing full backup from device.\n"
    "Backup will be unencrypted.\n"
    "Requesting backup from device...\n"
    "Full backup mode.\n"
)


def _bar(percent: float) -> str:
    filled = "".join("=" if i < percent / 2 else " " for i in range(50))
    return f"\r[{filled}] {percent:3.0f}%"


def _receiving(upto: int) -> str:
    text = _bar(2) + " Finished\nReceiving files\n"
    total = 48.1
    for step in range(1, upto + 1):
        done = total * step / 10
        text += _bar(step * 10) + f" ({done:.1f} MB/{total:.1f} MB)     "
    return text


def _write(folder: Path, name: str, data: str | bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def healthy(folder: Path) -> None:
    _write(folder, "idevice_id.stdout", f"{UDID}\n")
    validated = f"SUCCESS: Validated pairing with device {UDID}\n"
    _write(folder, "idevicepair_validate.stdout", validated)
    _write(folder, "ideviceinfo_x.stdout", plistlib.dumps(DEVICE_INFO))
    _write(folder, "ideviceinfo_wifi.stdout", "true\n")
    _write(folder, "ideviceinstaller_l.stdout", plistlib.dumps(APPS) + b"\n")
    backup = BACKUP_OK + _receiving(10) + "\n" + _bar(100) + " Finished\n"
    backup += "Received 1412 files from device.\nBackup Successful.\n"
    _write(folder, "idevicebackup2_backup.stdout", backup)


def scenarios() -> dict[str, dict[str, object]]:
    """Every scenario folder but the healthy phone: its files and scenario.json."""
    unplugged = BACKUP_OK + _receiving(4) + "\nERROR: Could not receive from mobilebackup2 (-3)\n"
    unplugged += "Received 503 files from device.\nBackup Aborted.\n"
    encrypted = BACKUP_OK.replace("unencrypted", "encrypted") + _receiving(10) + "\n"
    encrypted += "Received 1412 files from device.\nBackup Successful.\n"
    return {
        "encrypted-backup": {"files": {"idevicebackup2_backup.stdout": encrypted}},
        "no-usbmuxd": {
            "files": {"idevice_id.stderr": "ERROR: Unable to retrieve device list!\n"},
            "exit_codes": {"idevice_id": 255},
        },
        "no-device": {"files": {"idevice_id.stdout": ""}},
        "two-devices": {"files": {"idevice_id.stdout": f"{UDID}\n{OTHER}\n"}},
        "locked": {
            "files": {
                "idevicepair_validate.stdout": f"ERROR: Could not validate with device {UDID} "
                "because a passcode is set. Please enter the passcode on the device and retry.\n"
            },
            "exit_codes": {"idevicepair_validate": 1},
        },
        "not-trusted": {
            "files": {
                "idevicepair_validate.stdout": f"ERROR: Device {UDID} is not paired with this "
                "host\n",
                "idevicepair_pair.stdout": "ERROR: Please accept the trust dialog on the screen "
                f"of device {UDID}, then attempt to pair again.\n",
            },
            "exit_codes": {"idevicepair_validate": 1, "idevicepair_pair": 1},
        },
        "locked-after-pairing": {
            "files": {
                "ideviceinfo_x.stdout": "",
                "ideviceinfo_x.stderr": "ERROR: Could not connect to lockdownd: Password "
                "protected (-17)\n",
            },
            "exit_codes": {"ideviceinfo_x": 255},
        },
        "no-installer": {"missing": ["ideviceinstaller"]},
        "new-installer": {
            "files": {
                "ideviceinstaller_l.stdout": "",
                "ideviceinstaller_l.stderr": "ideviceinstaller: invalid option -- 'l'\n",
                "ideviceinstaller_list.stdout": plistlib.dumps(APPS).decode() + "\n",
            },
            "exit_codes": {"ideviceinstaller_l": 1},
        },
        "wifi-sync-never-set": {"files": {"ideviceinfo_wifi.stdout": ""}},
        "unplugged-during-backup": {
            "files": {"idevicebackup2_backup.stdout": unplugged},
            "exit_codes": {"idevicebackup2_backup": 255},
        },
        "unplugged-after-info": {
            "files": {"ideviceinfo_wifi.stdout": "ERROR: No device found!\n"},
            "exit_codes": {"ideviceinfo_wifi": 255},
        },
        "slow-apps": {"timeouts": ["ideviceinstaller_l"]},
    }


def main() -> None:
    healthy(RECORDED / "iphone-17")
    for name, spec in scenarios().items():
        folder = RECORDED / name
        files = spec.pop("files", {})
        assert isinstance(files, dict)
        for file_name, text in files.items():
            _write(folder, file_name, text)
        config = {"base": "iphone-17", **spec}
        _write(folder, "scenario.json", json.dumps(config, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
