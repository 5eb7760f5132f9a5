"""What an Android acquisition tells, parsed: device facts, apps and their privileges.

Parsers in ``unstalk.android.parsers`` are pure functions of the text each adb
command printed; each returns a :class:`Parsed` value that carries either the
data or the reason it could not be read. "Could not parse" is a result of its
own and never reads as "nothing there".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from unstalk.models import Parsed, ParseStatus

__all__ = [
    "AccessibilityState",
    "Acquisition",
    "AppOpUse",
    "AppPackage",
    "DeviceAdmins",
    "DeviceInfo",
    "DeviceSettings",
    "ParseStatus",
    "Parsed",
]


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """From getprop."""

    model: str | None = None
    manufacturer: str | None = None
    android_version: str | None = None
    sdk: int | None = None
    security_patch: str | None = None
    """``YYYY-MM-DD`` as the phone reports it."""
    build_fingerprint: str | None = None
    build_type: str | None = None
    """``user`` on retail phones; ``userdebug``/``eng`` suggest a rooted or developer build."""
    verified_boot_state: str | None = None
    """``green`` when the bootloader is locked and the system verified."""
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class AppPackage:
    """One installed package, from ``pm list packages`` and ``dumpsys package``."""

    name: str
    uid: int | None = None
    installer: str | None = None
    version_name: str | None = None
    version_code: int | None = None
    system: bool = False
    enabled: bool = True
    apk_paths: tuple[str, ...] = ()
    first_install: datetime | None = None
    last_update: datetime | None = None
    granted_permissions: tuple[str, ...] = ()
    requested_permissions: tuple[str, ...] = ()
    cert_sha256: tuple[str, ...] = ()
    """Signing certificate digests when the source gives them in full (e.g. AndroidQF)."""
    cert_sha1: tuple[str, ...] = ()
    """The same certificates' SHA-1 digests, which is how most feeds (Echap) list them."""
    users: tuple[int, ...] = ()

    @property
    def third_party(self) -> bool:
        return not self.system


@dataclass(frozen=True, slots=True)
class AccessibilityState:
    """From ``dumpsys accessibility`` and ``settings get secure enabled_accessibility_services``."""

    enabled: tuple[str, ...] = ()
    """Component names (``package/class``) the user switched on."""
    bound: tuple[str, ...] = ()
    """Services running now (Android 9-11 list them as bound, 12+ as enabled/bound)."""


@dataclass(frozen=True, slots=True)
class DeviceAdmins:
    """From ``dumpsys device_policy``."""

    active: tuple[str, ...] = ()
    """Active admin receivers, ``package/class``."""
    device_owner: str | None = None
    profile_owners: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AppOpUse:
    """One app-op of one package, from ``dumpsys appops``."""

    package: str
    op: str
    """``CAMERA``, ``RECORD_AUDIO``, ``FINE_LOCATION``, ``READ_SMS`` ..."""
    mode: str
    """``allow``, ``ignore``, ``deny``, ``foreground`` ..."""
    last_access: datetime | None = None
    uid: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceSettings:
    """``settings list secure|system|global``."""

    secure: tuple[tuple[str, str], ...] = ()
    system: tuple[tuple[str, str], ...] = ()
    global_: tuple[tuple[str, str], ...] = ()

    def get(self, namespace: str, key: str) -> str | None:
        table = {"secure": self.secure, "system": self.system, "global": self.global_}[namespace]
        return next((v for k, v in table if k == key), None)


@dataclass(frozen=True, slots=True)
class Acquisition:
    """Everything parsed from one acquisition, each part with its own parse status."""

    source: str
    """The folder or zip it was read from."""
    format: str
    """``unstalk``, ``androidqf`` or ``bugreport``."""
    device: Parsed[DeviceInfo]
    packages: Parsed[tuple[AppPackage, ...]]
    accessibility: Parsed[AccessibilityState]
    device_admins: Parsed[DeviceAdmins]
    notification_listeners: Parsed[tuple[str, ...]]
    appops: Parsed[tuple[AppOpUse, ...]]
    settings: Parsed[DeviceSettings]
    launcher_packages: Parsed[frozenset[str]]
    root_indicators: Parsed[tuple[str, ...]]
    apk_files: tuple[tuple[str, str], ...] = ()
    """(package, path of a pulled APK inside the acquisition)."""
    file_hashes: dict[str, str] = field(default_factory=dict, compare=False)
    """SHA-256 of every file of the acquisition, as recorded or computed."""
    integrity: tuple[str, ...] = ()
    """What checking the acquisition's own hashes found that the report must say: no list of
    hashes to check against, or (when imported without verifying) files that do not match it."""
