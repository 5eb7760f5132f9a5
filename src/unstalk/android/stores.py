"""Where an app came from (app stores, makers' stores, the phone's own package installer),
and where its name pretends it came from (the phone's system).

Android records for each app the package that installed it (``pm list packages -i``:
``installer=``; ``dumpsys package``: ``installerPackageName=``). Stalkerware is
almost never in a store: whoever plants it downloads the APK and installs it by
hand, which leaves the phone's package installer (or a browser, a file manager,
or nothing at all for ``adb install``) as the installer. Apps from a store are
not harmless for that, and a feed match on them still counts in full; but a
normal phone is full of them, and the checks stay quiet about how they came.

Each entry says what the installer is and why it is on the list. The installer
name is only what the phone recorded: an app installed over USB can claim any
installer (``pm install -i``), so this is a hint, never proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from unstalk.android.model import AppPackage
from unstalk.apk.capabilities import Confidence
from unstalk.apk.capabilities_facts import platform_package, system_like_label


class InstallSource(StrEnum):
    """How an app came onto the phone, as far as its recorded installer tells."""

    STORE = "store"
    """An app store or a maker's store, or a tool that moved apps from an old phone."""
    PREINSTALLED = "preinstalled"
    """Part of the phone's software (a system app), whatever updated it since."""
    PACKAGE_INSTALLER = "package_installer"
    """Installed from an APK file through the phone's package installer: sideloaded."""
    OTHER_APP = "other_app"
    """Installed by another app that is not a known store (a browser, a file manager ...)."""
    UNKNOWN = "unknown"
    """No installer recorded: installed over USB with adb, or by an app that hid itself."""

    @property
    def sideloaded(self) -> bool:
        """True when the app came from outside any store and is not part of the phone."""
        return self in _SIDELOADED


_SIDELOADED = frozenset(
    {InstallSource.PACKAGE_INSTALLER, InstallSource.OTHER_APP, InstallSource.UNKNOWN}
)


@dataclass(frozen=True, slots=True)
class Installer:
    """One known installer and the reason it is on the list."""

    package: str
    name: str
    note: str


_STORES = (
    Installer("com.android.vending", "Google Play", "Google's store; also restores apps."),
    Installer(
        "com.google.android.feedback",
        "Google Play (older phones)",
        "Android 4 to 6 recorded Play installs under the feedback app's name.",
    ),
    Installer(
        "com.sec.android.app.samsungapps",
        "Samsung Galaxy Store",
        "Samsung's store, preinstalled on Galaxy phones.",
    ),
    Installer("com.huawei.appmarket", "Huawei AppGallery", "Huawei's store."),
    Installer("com.xiaomi.market", "Xiaomi GetApps", "Xiaomi's store (Mi Store / GetApps)."),
    Installer("com.xiaomi.mipicks", "Xiaomi GetApps", "GetApps under its newer package name."),
    Installer("com.amazon.venezia", "Amazon Appstore", "Amazon's store (Fire tablets too)."),
    Installer("com.oppo.market", "OPPO App Market", "OPPO's store on older ColorOS."),
    Installer("com.heytap.market", "HeyTap App Market", "OPPO, OnePlus and realme's store."),
    Installer("com.vivo.appstore", "vivo V-Appstore", "vivo's store outside China."),
    Installer("com.bbk.appstore", "vivo App Store", "vivo's store in China."),
    Installer(
        "org.fdroid.fdroid",
        "F-Droid",
        "A store of free and open-source apps built from their source code. Its apps are "
        "not reviewed the way commercial stores review theirs, but it lists no known "
        "stalkerware; it still counts as a store here.",
    ),
    Installer("org.fdroid.basic", "F-Droid (basic)", "The smaller build of F-Droid."),
    Installer(
        "com.aurora.store",
        "Aurora Store",
        "An open-source client of Google Play: the apps come from Play.",
    ),
    Installer(
        "com.sec.android.easyMover",
        "Samsung Smart Switch",
        "Moves apps from an old phone to a new one; the apps came from wherever they "
        "came from on the old phone.",
    ),
    Installer(
        "com.sec.android.easyMover.Agent",
        "Samsung Smart Switch agent",
        "The part of Smart Switch that installs the moved apps.",
    ),
)

STORES: dict[str, Installer] = {store.package: store for store in _STORES}
"""Installers whose apps count as coming from a store, by package name."""

PACKAGE_INSTALLERS: dict[str, str] = {
    "com.google.android.packageinstaller": "the phone's package installer",
    "com.android.packageinstaller": "the phone's package installer",
    "com.samsung.android.packageinstaller": "Samsung's package installer",
    "com.miui.packageinstaller": "Xiaomi's package installer",
    "com.android.shell": "adb, from a computer over USB",
}
"""Installers that mean "installed from an APK file", the usual way stalkerware is planted.

Android's own package installer opens APK files from a browser, a file manager or a
messaging app; ``com.android.shell`` is what adb leaves on some phones.
"""


def install_source(app: AppPackage) -> InstallSource:
    """Where the app came from, from its system flag and its recorded installer."""
    if app.system:
        return InstallSource.PREINSTALLED
    installer = app.installer
    if installer is None:
        return InstallSource.UNKNOWN
    if installer in STORES:
        return InstallSource.STORE
    if installer in PACKAGE_INSTALLERS:
        return InstallSource.PACKAGE_INSTALLER
    return InstallSource.OTHER_APP


def installer_name(installer: str | None) -> str:
    """The installer in plain words, for findings: its store or tool name when known."""
    if installer is None:
        return "no installer recorded"
    store = STORES.get(installer)
    if store is not None:
        return f"{store.name} ({installer})"
    tool = PACKAGE_INSTALLERS.get(installer)
    return f"{tool} ({installer})" if tool else installer


# Where an app pretends to come from -----------------------------------------------------------

_SYSTEM_PARTS = ("system", "sysupd", "update", "service", "setting", "security", "framework")
_PLATFORM_OWN = ("android.", "com.android.")


def impersonation(
    app: AppPackage, source: InstallSource, label: str | None = None
) -> tuple[str, Confidence] | None:
    """Why the app's name claims it is part of the phone's system, and how sure that is.

    Only the phone's firmware can hold system apps, so a name in Android's own
    namespace on an app that is not one is a false claim; from outside a store, a
    phone maker's namespace or system words in the package name are too.
    """
    if app.system:
        return None
    name = app.name
    if label and system_like_label(label):
        return f"it calls itself {label!r}, a name made of system words", Confidence.MEDIUM
    if name == "android" or name.startswith(_PLATFORM_OWN):
        return (
            f"its package name {name} is in Android's own namespace, yet it is not part of "
            "the phone's system",
            Confidence.MEDIUM if source.sideloaded else Confidence.LOW,
        )
    if not source.sideloaded:
        return None
    if platform_package(name):
        return (
            f"its package name {name} is in a phone maker's or Google's namespace, yet it "
            "was not installed from a store",
            Confidence.MEDIUM,
        )
    parts = name.lower().split(".")[1:]
    words = [w for w in _SYSTEM_PARTS if any(w in part for part in parts)]
    if words:
        return f"its package name {name} uses system words ({', '.join(words)})", Confidence.LOW
    return None
