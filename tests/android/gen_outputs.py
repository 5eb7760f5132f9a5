"""Writing planted apps into a phone's command outputs, in Android 14's true formats.

Each writer edits one output of the base phone (``recorded/android-14``) the way that
output lists an app: the formats follow the AOSP dump code the recorded files follow
(see ``recorded/README.md``). :func:`plant` applies them all.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DUMP_TIME = datetime(2024, 3, 12, 16, 40, 0, 518000, tzinfo=ZoneInfo("America/New_York"))
"""When the base phone's dumps were taken (its local time)."""

SPY_RUNTIME = (
    "android.permission.ACCESS_FINE_LOCATION",
    "android.permission.ACCESS_COARSE_LOCATION",
    "android.permission.ACCESS_BACKGROUND_LOCATION",
    "android.permission.CAMERA",
    "android.permission.RECORD_AUDIO",
    "android.permission.READ_SMS",
    "android.permission.RECEIVE_SMS",
    "android.permission.READ_CALL_LOG",
    "android.permission.READ_CONTACTS",
)
SPY_INSTALL = (
    "android.permission.INTERNET",
    "android.permission.ACCESS_NETWORK_STATE",
    "android.permission.RECEIVE_BOOT_COMPLETED",
    "android.permission.FOREGROUND_SERVICE",
    "android.permission.PACKAGE_USAGE_STATS",
)
STORE_INSTALL = (
    "android.permission.INTERNET",
    "android.permission.ACCESS_NETWORK_STATE",
    "android.permission.WAKE_LOCK",
)


@dataclass(frozen=True, slots=True)
class PlantedApp:
    """One app written into the base phone's outputs."""

    package: str
    uid: int
    label: str = "System Service"
    installer: str | None = "com.google.android.packageinstaller"
    launcher: bool = False
    accessibility: bool = True
    admin: bool = True
    listener: bool = True
    version_code: int = 63
    version_name: str = "6.3"
    installed: datetime = datetime(2024, 2, 27, 21, 47, 13)
    """Phone local time."""
    runtime: tuple[str, ...] = SPY_RUNTIME
    install_permissions: tuple[str, ...] = SPY_INSTALL
    ops: tuple[tuple[str, timedelta], ...] = (
        ("CAMERA", timedelta(hours=8, minutes=27, seconds=16)),
        ("RECORD_AUDIO", timedelta(hours=1, minutes=9)),
        ("FINE_LOCATION", timedelta(minutes=1, seconds=6)),
        ("READ_SMS", timedelta(minutes=50)),
    )
    """App-ops used, each with how long before the dump."""

    @property
    def service(self) -> str:
        return f"{self.package}/{self.package}.service.MonitorService"

    @property
    def listener_service(self) -> str:
        return f"{self.package}/{self.package}.service.NotificationService"

    @property
    def admin_receiver(self) -> str:
        return f"{self.package}/.receiver.AdminReceiver"


# Writing the outputs --------------------------------------------------------------------------


def token(seed: str, salt: str) -> str:
    digest = hashlib.sha256(f"{salt}:{seed}".encode()).digest()[:16]
    return base64.b64encode(digest).decode().replace("+", "-").replace("/", "_")


def _hex(seed: str, salt: str, length: int = 7) -> str:
    return hashlib.sha256(f"{salt}:{seed}".encode()).hexdigest()[:length]


def _code_path(app: PlantedApp) -> str:
    return f"/data/app/~~{token(app.package, 'a')}/{app.package}-{token(app.package, 'b')}"


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


_PACKAGE_BLOCK = """\
  Package [{package}] ({hash}):
    appId={uid}
    pkg=Package{{{pkg_hash} {package}}}
    codePath={path}
    resourcePath={path}
    legacyNativeLibraryDir={path}/lib
    extractNativeLibs=false
    primaryCpuAbi=arm64-v8a
    secondaryCpuAbi=null
    cpuAbiOverride=null
    versionCode={version_code} minSdk=21 targetSdk=29
    minExtensionVersions=[]
    versionName={version_name}
    usesNonSdkApi=false
    splits=[base]
    apkSigningVersion=2
    flags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ALLOW_BACKUP ]
    privateFlags=[ {private_flags} ]
    forceQueryable=false
    dataDir=/data/user/0/{package}
    supportsScreens=[small, medium, large, xlarge, resizeable, anyDensity]
    timeStamp={installed}
    lastUpdateTime={installed}
    installerPackageName={installer}
    installerPackageUid={installer_uid}
    initiatingPackageName={initiating}
    originatingPackageName={originating}
    packageSource={source}
    appMetadataFilePath=null
    signatures=PackageSignatures{{{signatures}}}
    installPermissionsFixed=true
    pkgFlags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ALLOW_BACKUP ]
    privatePkgFlags=[ {private_flags} ]
    apexModuleName=null
    install permissions:
{install}\
    User 0: ceDataInode={inode} installed=true hidden=false suspended=false distractionFlags=0 \
stopped=false notLaunched=false enabled=0 instant=false virtual=false
      installReason={reason}
      firstInstallTime={installed}
      uninstallReason=0
      gids=[3003]
      runtime permissions:
{runtime}\
"""
"""``Settings.dumpPackageLPr`` of Android 14 for a third-party app (as in the recorded dump)."""
_PRIVATE_FLAGS = (
    "PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION ALLOW_AUDIO_PLAYBACK_CAPTURE "
    "PRIVATE_FLAG_ALLOW_NATIVE_HEAP_POINTER_TAGGING"
)
_GRANT_FLAGS = "[ USER_SET|USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED]"


def _package_block(app: PlantedApp) -> str:
    installer = app.installer or "null"
    from_store = installer == "com.android.vending"
    # A sideloaded APK is opened from the browser that downloaded it.
    initiating = "com.android.chrome" if "packageinstaller" in installer else installer
    return _PACKAGE_BLOCK.format(
        package=app.package,
        hash=_hex(app.package, "p"),
        pkg_hash=_hex(app.package, "k"),
        uid=app.uid,
        path=_code_path(app),
        version_code=app.version_code,
        version_name=app.version_name,
        private_flags=_PRIVATE_FLAGS,
        installed=_local(app.installed),
        installer=installer,
        installer_uid=10166 if from_store else 10110,
        initiating=initiating,
        originating="null" if from_store else initiating,
        source=2 if from_store else 4,
        signatures=f"{_hex(app.package, 's')} version:2, signatures:[{_hex(app.package, 'c', 8)}], "
        "past signatures:[]",
        install="".join(f"      {p}: granted=true\n" for p in app.install_permissions),
        inode=int(_hex(app.package, "i", 5), 16),
        reason=4 if from_store else 0,
        runtime="".join(f"        {p}: granted=true, flags={_GRANT_FLAGS}\n" for p in app.runtime),
    )


def _insert_before(text: str, marker: str, addition: str) -> str:
    at = text.index(marker)
    return text[:at] + addition + text[at:]


class _Outputs:
    """The base phone's outputs as text, edited in memory, then written once."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def edit(self, name: str, text: str) -> None:
        self.files[name] = text


def _write_packages(out: _Outputs, apps: Sequence[PlantedApp]) -> None:
    lines = "".join(
        f"package:{_code_path(a)}/base.apk={a.package} versionCode:{a.version_code}  "
        f"installer={a.installer or 'null'} uid:{a.uid}\n"
        for a in apps
    )
    out.edit("packages.txt", out.files["packages.txt"] + lines)
    names = "".join(f"package:{a.package}\n" for a in apps)
    out.edit("packages_third_party.txt", out.files["packages_third_party.txt"] + names)
    blocks = "".join(_package_block(a) for a in apps)
    dump = out.files["dumpsys_package.txt"]
    out.edit("dumpsys_package.txt", _insert_before(dump, "\nHidden system packages:", blocks))
    icons = [a for a in apps if a.launcher]
    resolver = "".join(
        f"        {_hex(a.package, 'r')} {a.package}/.MainActivity filter {_hex(a.package, 'f')}\n"
        for a in icons
    )
    dump = out.files["dumpsys_package.txt"]
    out.edit("dumpsys_package.txt", _insert_before(dump, "\nKey Set Manager:", resolver))
    launchers = "".join(f"{a.package}/.MainActivity\n" for a in icons)
    out.edit("launcher_activities.txt", out.files["launcher_activities.txt"] + launchers)


def _append_setting(text: str, key: str, components: Sequence[str]) -> str:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(f"{key}="):
            value = line.rstrip("\n").partition("=")[2]
            lines[i] = f"{key}={':'.join([value, *components] if value else components)}\n"
    return "".join(lines)


def _write_accessibility(out: _Outputs, apps: Sequence[PlantedApp]) -> None:
    spies = [a for a in apps if a.accessibility]
    if not spies:
        return
    text = out.files["dumpsys_accessibility.txt"]
    bound = "".join(
        f", \n                     Service[label={a.label}, feedbackType[FEEDBACK_GENERIC], "
        "capabilities=33, eventTypes=TYPES_ALL_MASK, notificationTimeout=100, requestA11yBtn=false]"
        for a in spies
    )
    enabled = "".join(f", {{{a.service}}}" for a in spies)
    text = text.replace("requestA11yBtn=false]}\n", f"requestA11yBtn=false]{bound}}}\n", 1)
    text = text.replace("TalkBackService}}\n", f"TalkBackService}}{enabled}}}\n", 1)
    out.edit("dumpsys_accessibility.txt", text)
    secure = out.files["settings_secure.txt"]
    components = [a.service for a in spies]
    out.edit(
        "settings_secure.txt", _append_setting(secure, "enabled_accessibility_services", components)
    )


def _write_listeners(out: _Outputs, apps: Sequence[PlantedApp]) -> None:
    spies = [a.listener_service for a in apps if a.listener]
    if not spies:
        return
    text = out.files["dumpsys_notification.txt"]
    launcher = (
        "com.google.android.apps.nexuslauncher/com.android.launcher3.notification."
        "NotificationListener"
    )
    text = text.replace(f"{launcher} (user: 0", ":".join([launcher, *spies]) + " (user: 0", 1)
    infos = "".join(f"      ComponentInfo{{{c}}}\n" for c in spies)
    text = text.replace(
        "All notification listeners (1) enabled for current profiles:\n"
        f"      ComponentInfo{{{launcher}}}\n",
        f"All notification listeners ({1 + len(spies)}) enabled for current profiles:\n"
        f"      ComponentInfo{{{launcher}}}\n{infos}",
        1,
    )
    live = "".join(
        f"      ComponentInfo{{{c}}} (user 0): android.service.notification.INotificationListener"
        f"$Stub$Proxy@{_hex(c, 'l')}\n"
        for c in spies
    )
    text = text.replace(
        "Live notification listeners (2):\n",
        f"Live notification listeners ({2 + len(spies)}):\n",
        1,
    )
    text = _insert_before(text, "    Snoozed notification listeners", live)
    out.edit("dumpsys_notification.txt", text)
    secure = out.files["settings_secure.txt"]
    out.edit(
        "settings_secure.txt", _append_setting(secure, "enabled_notification_listeners", spies)
    )


_ADMIN_TAIL = (
    "passwordQuality=0x0",
    "minimumPasswordLength=0",
    "maximumTimeToUnlock=0",
    "maximumFailedPasswordsForWipe=0",
    "specifiesGlobalProxy=false",
    "encryptionRequested=false",
    "disableCamera=false",
    "disableScreenCapture=false",
    "requireAutoTime=false",
    "isNetworkLoggingEnabled=false",
    "disabledKeyguardFeatures=0",
    "isParent=false",
)


def _write_admins(out: _Outputs, apps: Sequence[PlantedApp]) -> None:
    blocks = "".join(
        f"    {a.admin_receiver}:\n      uid={a.uid}\n      testOnlyAdmin=false\n"
        "      policies:\n        wipe-data\n        force-lock\n        disable-camera\n"
        + "".join(f"      {line}\n" for line in _ADMIN_TAIL)
        for a in apps
        if a.admin
    )
    if blocks:
        text = out.files["dumpsys_device_policy.txt"]
        out.edit("dumpsys_device_policy.txt", _insert_before(text, "\n    mPasswordOwner=", blocks))


def duration(delta: timedelta) -> str:
    """``TimeUtils.formatDuration`` of a time before the dump: ``-8h27m16s0ms``."""
    millis = int(delta.total_seconds() * 1000)
    days, rest = divmod(millis, 86_400_000)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, ms = divmod(rest, 1000)
    text = f"{days}d" if days else ""
    if days or hours:
        text += f"{hours}h"
    if days or hours or minutes:
        text += f"{minutes}m"
    return f"-{text}{seconds}s{ms}ms"


def _uid_block(app: PlantedApp) -> str:
    ops = "".join(
        f"      {op} (allow): \n        null=[\n"
        f"          Access: [fgsvc-s] {(DUMP_TIME - ago).strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} "
        f"({duration(ago)})\n        ]\n"
        for op, ago in app.ops
    )
    return (
        f"  Uid u0a{app.uid - 10000}:\n    state=fgsvc\n    capability=LCMN\n"
        f"    appWidgetVisible=false\n    Package {app.package}:\n{ops}"
    )


def _write_appops(out: _Outputs, apps: Sequence[PlantedApp]) -> None:
    blocks = "".join(_uid_block(a) for a in apps if a.ops)
    text = out.files["dumpsys_appops.txt"]
    out.edit("dumpsys_appops.txt", _insert_before(text, "\n  User restrictions for token", blocks))


def plant(files: dict[str, str], apps: Sequence[PlantedApp]) -> dict[str, str]:
    """The outputs ``files`` (name: text) with ``apps`` written into each."""
    outputs = _Outputs(dict(files))
    _write_packages(outputs, apps)
    _write_accessibility(outputs, apps)
    _write_listeners(outputs, apps)
    _write_admins(outputs, apps)
    _write_appops(outputs, apps)
    return outputs.files
