"""Device facts and the Wi-Fi sync setting, from Info.plist, Manifest.plist and Status.plist.

Info.plist (XML, written by the computer) has ``Device Name``, ``Product Type``,
``Product Version``, ``Build Version``, ``Serial Number``, ``Unique Identifier``,
``Last Backup Date`` and more; Manifest.plist's ``Lockdown`` dictionary (written
by the phone) repeats the identity as ``DeviceName``, ``ProductType``,
``ProductVersion``, ``BuildVersion``, ``SerialNumber``, ``UniqueDeviceID``.
Status.plist says whether the backup finished (``SnapshotState``).

Wi-Fi sync is the lockdown setting ``EnableWifiConnections`` of the
``com.apple.mobile.wireless_lockdown`` domain. Old iOS versions copied that
domain into Manifest.plist ``Lockdown``; current ones copy only
``com.apple.Accessibility``, ``com.apple.mobile.data_sync``,
``com.apple.mobile.iTunes.accessories``, ``com.apple.MobileDeviceCrashCopy`` and
``com.apple.TerminalFlashr``, so most backups cannot answer.
"""

from __future__ import annotations

from unstalk.ios.backup.files import INFO_PLIST, MANIFEST_PLIST, STATUS_PLIST
from unstalk.ios.backup.manifest import ManifestPlist
from unstalk.ios.backup.plists import PlistDict, date, flag, scalar_text, sub_dict, text
from unstalk.ios.model import IosDeviceInfo, Parsed, ParseStatus

WIRELESS_DOMAIN = "com.apple.mobile.wireless_lockdown"
_INFO_EXTRA = (
    "Display Name",
    "Product Name",
    "Target Type",
    "GUID",
    "IMEI",
    "MEID",
    "ICCID",
    "Phone Number",
    "iTunes Version",
)
_MANIFEST_EXTRA = ("Version", "SystemDomainsVersion", "WasPasscodeSet", "Date")
_STATUS_EXTRA = ("Version", "BackupState", "SnapshotState", "IsFullBackup", "Date")
_NO_WIFI_RECORD = (
    "the backup does not record whether the phone syncs with a computer over Wi-Fi; "
    "check 'Show this iPhone when on Wi-Fi' in Finder or iTunes on each computer the "
    "phone trusts, or run the live check"
)


def wifi_sync_setting(manifest: ManifestPlist | None) -> Parsed[bool]:
    source = f"{MANIFEST_PLIST} Lockdown {WIRELESS_DOMAIN}"
    if manifest is None:
        return Parsed(source, ParseStatus.MISSING, problems=(f"{MANIFEST_PLIST} was not read",))
    enabled = flag(sub_dict(manifest.lockdown, WIRELESS_DOMAIN), "EnableWifiConnections")
    if enabled is None:
        return Parsed(source, ParseStatus.MISSING, problems=(_NO_WIFI_RECORD,))
    return Parsed(source, ParseStatus.OK, enabled)


def _extras(plist: PlistDict | None, keys: tuple[str, ...], prefix: str) -> list[tuple[str, str]]:
    pairs = []
    for key in keys:
        shown = scalar_text(plist.get(key)) if plist is not None else None
        if shown is not None:
            pairs.append((f"{prefix}{key}", shown))
    return pairs


def read_device(
    info: PlistDict | None,
    manifest: ManifestPlist | None,
    status: PlistDict | None,
    read_problems: tuple[str, ...] = (),
) -> Parsed[IosDeviceInfo]:
    """Identity from Info.plist first, the phone's own Lockdown copy second."""
    source = f"{INFO_PLIST}, {MANIFEST_PLIST}, {STATUS_PLIST}"
    if info is None and manifest is None:
        return Parsed(source, ParseStatus.MISSING, problems=read_problems)
    lockdown = manifest.lockdown if manifest is not None else {}

    def pick(info_key: str, lockdown_key: str) -> str | None:
        return (text(info, info_key) if info is not None else None) or text(lockdown, lockdown_key)

    last_backup = date(info, "Last Backup Date") if info is not None else None
    if last_backup is None and manifest is not None:
        last_backup = date(manifest.raw, "Date")
    properties = (
        _extras(info, _INFO_EXTRA, "")
        + _extras(manifest.raw if manifest else None, _MANIFEST_EXTRA, f"{MANIFEST_PLIST} ")
        + _extras(status, _STATUS_EXTRA, f"{STATUS_PLIST} ")
    )
    device = IosDeviceInfo(
        name=pick("Device Name", "DeviceName"),
        product_type=pick("Product Type", "ProductType"),
        ios_version=pick("Product Version", "ProductVersion"),
        build_version=pick("Build Version", "BuildVersion"),
        serial_number=pick("Serial Number", "SerialNumber"),
        udid=pick("Unique Identifier", "UniqueDeviceID"),
        last_backup=last_backup,
        backup_encrypted=manifest.is_encrypted if manifest is not None else None,
        wifi_sync=wifi_sync_setting(manifest).value,
        properties=tuple(properties),
    )
    status_value = ParseStatus.PARTIAL if read_problems else ParseStatus.OK
    return Parsed(source, status_value, device, read_problems)
