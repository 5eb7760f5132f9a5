"""What an iPhone acquisition tells, parsed: device facts, apps, profiles, jailbreak traces.

An acquisition comes from a backup folder (iTunes / Finder / ``idevicebackup2``,
encrypted or not) or from a live device over ``libimobiledevice``. Either way,
each part is a :class:`~unstalk.models.Parsed` value that carries the data or
the reason it could not be read: "could not read" is a result of its own and
never reads as "nothing there".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from unstalk.models import Parsed, ParseStatus

__all__ = [
    "AppOrigin",
    "IosAcquisition",
    "IosApp",
    "IosDeviceInfo",
    "JailbreakTrace",
    "ParseStatus",
    "Parsed",
    "Profile",
    "ProfilePayload",
]


@dataclass(frozen=True, slots=True)
class IosDeviceInfo:
    """From a backup's Info.plist / Manifest.plist, or ``ideviceinfo``."""

    name: str | None = None
    """The name the owner gave the phone (``DeviceName``)."""
    product_type: str | None = None
    """``iPhone14,2`` and so on."""
    ios_version: str | None = None
    """``ProductVersion``, e.g. ``17.5.1``."""
    build_version: str | None = None
    serial_number: str | None = None
    udid: str | None = None
    """``UniqueDeviceID`` (live) or ``Unique Identifier`` (backup)."""
    last_backup: datetime | None = None
    """When the backup was made (Info.plist ``Last Backup Date``), timezone-aware UTC."""
    backup_encrypted: bool | None = None
    """Whether the backup is encrypted (Manifest.plist ``IsEncrypted``); ``None`` when live."""
    wifi_sync: bool | None = None
    """``com.apple.mobile.wireless_lockdown`` ``EnableWifiConnections``; ``None`` when unknown."""
    properties: tuple[tuple[str, str], ...] = ()
    """Other scalar values as read, for the report's device section."""


class AppOrigin(StrEnum):
    """Where an installed app came from, as far as the acquisition tells."""

    APP_STORE = "app-store"
    """Signed by Apple for the App Store (iTunesMetadata present, or the App Store signer)."""
    TESTFLIGHT = "testflight"
    ENTERPRISE = "enterprise"
    """Signed with an enterprise distribution certificate: installed outside the App Store."""
    DEVELOPER = "developer"
    """Signed with a development certificate (sideloaded)."""
    SYSTEM = "system"
    """Part of iOS."""
    UNKNOWN = "unknown"
    """The acquisition does not say (e.g. a backup without iTunesMetadata for the app)."""


@dataclass(frozen=True, slots=True)
class IosApp:
    """One installed app."""

    bundle_id: str
    name: str | None = None
    version: str | None = None
    """``CFBundleVersion``."""
    short_version: str | None = None
    """``CFBundleShortVersionString``, the version people see."""
    origin: AppOrigin = AppOrigin.UNKNOWN
    signer: str | None = None
    """``SignerIdentity`` when the source gives it (live listing)."""
    source: str = ""
    """The file or command it was read from."""


@dataclass(frozen=True, slots=True)
class ProfilePayload:
    """One payload of a configuration profile."""

    type: str
    """``PayloadType``: ``com.apple.security.root``, ``com.apple.vpn.managed``,
    ``com.apple.proxy.http.global``, ``com.apple.mdm`` ..."""
    identifier: str | None = None
    display_name: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    """Scalar facts worth showing (VPN server, proxy host, MDM server URL, CA subject)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """One installed configuration (or MDM enrolment) profile."""

    identifier: str
    display_name: str | None = None
    organisation: str | None = None
    uuid: str | None = None
    installed: datetime | None = None
    payloads: tuple[ProfilePayload, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class JailbreakTrace:
    """A file, app or setting that only a jailbroken phone has."""

    what: str
    """A short plain description: ``Cydia app``, ``/Applications/Sileo.app`` ..."""
    source: str
    """Where it was seen: a backup domain and path, or the command."""
    tool: str | None = None
    """The jailbreak tool or package manager it belongs to (Cydia, Sileo, Zebra, Filza ...)."""


@dataclass(frozen=True, slots=True)
class IosAcquisition:
    """Everything read from one backup or one live device, each part with its own status."""

    source: str
    """The backup folder, or ``device:<UDID>``."""
    kind: str
    """``backup`` or ``device``."""
    device: Parsed[IosDeviceInfo]
    apps: Parsed[tuple[IosApp, ...]]
    profiles: Parsed[tuple[Profile, ...]]
    jailbreak: Parsed[tuple[JailbreakTrace, ...]]
    wifi_sync: Parsed[bool]
    """Whether the phone syncs with a computer over Wi-Fi (a partner's laptop can then take
    backups without touching the phone)."""
    file_hashes: dict[str, str] = field(default_factory=dict, compare=False)
    """SHA-256 of every file read, keyed by its path in the backup (or the command name)."""
    integrity: tuple[str, ...] = ()
    """What the report must say about the acquisition itself (files missing from the backup,
    hashes that could not be checked)."""
