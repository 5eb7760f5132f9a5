"""Apps and files that only a jailbroken iPhone has.

Each entry names a jailbreak tool or package manager, the bundle ids of its app
(backups hold an ``AppDomain-<bundle id>`` for an app's data, and Info.plist /
Manifest.plist list installed apps), and path fragments its files leave (seen in
Manifest.db ``relativePath`` values, matched case-insensitively). Fragments are
specific enough that an ordinary app does not carry them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class JailbreakSign:
    tool: str
    bundle_ids: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()


JAILBREAK_SIGNS: tuple[JailbreakSign, ...] = (
    JailbreakSign(
        "Cydia",
        ("com.saurik.cydia",),
        ("applications/cydia.app", "library/caches/com.saurik.cydia", "com.saurik.cydia.plist"),
    ),
    JailbreakSign(
        "Sileo", ("org.coolstar.sileostore", "org.coolstar.sileo"), ("applications/sileo.app",)
    ),
    JailbreakSign("Zebra", ("xyz.willy.zebra",), ("applications/zebra.app", "xyz.willy.zebra")),
    JailbreakSign(
        "Filza", ("com.tigisoftware.filza",), ("applications/filza.app", "com.tigisoftware.filza")
    ),
    JailbreakSign("Installer 5", ("me.apptapp.installer",), ("applications/installer.app",)),
    JailbreakSign("unc0ver", ("science.xnu.undecimus",), (".installed_unc0ver", "unc0ver")),
    JailbreakSign("checkra1n", ("kjc.loader",), ("checkra1n",)),
    JailbreakSign("palera1n", ("com.samiiau.loader",), ("palera1n",)),
    JailbreakSign(
        "Dopamine", ("com.opa334.dopamine",), ("applications/dopamine.app", ".installed_dopamine")
    ),
    JailbreakSign("Odyssey", ("org.coolstar.odyssey",), (".installed_odyssey",)),
    JailbreakSign("Taurine", ("org.coolstar.taurine",), (".installed_taurine",)),
    JailbreakSign("Electra", ("org.coolstar.electra1141",), (".bootstrapped_electra",)),
    JailbreakSign(
        "APT / Substrate",
        (),
        ("var/lib/apt", "etc/apt/sources.list", "library/mobilesubstrate", "var/jb/"),
    ),
)
