"""Checks of the whole phone: each a small generator over :class:`DeviceFacts`.

Settings are read from ``settings list``: a key the phone does not list has its
default value, which for every key checked here is the safe one, so only keys
that are present and set the unsafe way make a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from unstalk.android.detect import AndroidFinding, AppFacts, FindingEvidence, aware
from unstalk.android.model import Acquisition, DeviceInfo
from unstalk.android.stores import PACKAGE_INSTALLERS, STORES
from unstalk.apk.capabilities_facts import system_like_label
from unstalk.models import Severity

OUTDATED = timedelta(days=365)
"""A security patch older than this, counted back from the acquisition, is reported."""
UNKNOWN_SOURCES_SDK = 26
"""From Android 8 (SDK 26) each app needs its own "install unknown apps" permission."""


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """The acquisition, when it was made, and the facts of every app."""

    acquisition: Acquisition
    at: datetime | None
    apps: tuple[AppFacts, ...]

    @property
    def info(self) -> DeviceInfo | None:
        return self.acquisition.device.value

    def setting(self, namespace: str, key: str) -> str | None:
        settings = self.acquisition.settings.value
        value = settings.get(namespace, key) if settings else None
        return value.strip() if value is not None else None

    def setting_evidence(self, namespace: str, key: str) -> FindingEvidence:
        source = f"settings_{namespace}.txt"
        for part in self.acquisition.settings.source.split(", "):
            if namespace in part:
                source = part
        return FindingEvidence(source, "settings", f"{key}={self.setting(namespace, key)}")


DeviceCheck = Callable[[DeviceFacts], Iterator[AndroidFinding]]


def _finding(
    check: str,
    severity: Severity,
    title: str,
    explanation: str,
    *evidence: FindingEvidence,
) -> AndroidFinding:
    return AndroidFinding(f"android.device.{check}", severity, title, explanation, evidence)


def check_unknown_sources(facts: DeviceFacts) -> Iterator[AndroidFinding]:
    """Installing apps from outside a store is allowed (globally, or for some apps)."""
    sdk = facts.info.sdk if facts.info else None
    if sdk is None or sdk < UNKNOWN_SOURCES_SDK:
        for namespace in ("secure", "global"):
            if facts.setting(namespace, "install_non_market_apps") == "1":
                yield _finding(
                    "unknown-sources",
                    Severity.MEDIUM,
                    "Apps from unknown sources may be installed",
                    "The phone allows installing apps from files, outside any app store: this "
                    "is how stalkerware is installed. Unless the person needs it, switch off "
                    "'Unknown sources' in Settings > Security.",
                    facts.setting_evidence(namespace, "install_non_market_apps"),
                )
                return
        return
    source = facts.acquisition.appops.source
    allowed = [
        use
        for use in facts.acquisition.appops.value or ()
        if use.op == "REQUEST_INSTALL_PACKAGES"
        and use.mode == "allow"
        and use.package not in STORES
        and use.package not in PACKAGE_INSTALLERS
    ]
    if allowed:
        yield _finding(
            "unknown-sources",
            Severity.MEDIUM,
            "Some apps may install other apps: " + ", ".join(u.package for u in allowed),
            "These apps were allowed to install apps from files, outside any app store: that "
            "is how stalkerware is installed, often from a browser. Unless the person needs it, "
            "switch it off in Settings > Apps > Special app access > Install unknown apps.",
            *(
                FindingEvidence(source, "appops", f"{u.package}: {u.op} ({u.mode})")
                for u in allowed
            ),
        )


def check_verifier(facts: DeviceFacts) -> Iterator[AndroidFinding]:
    """Play Protect's app scanning (the package verifier) switched off."""
    if facts.setting("global", "package_verifier_enable") == "0":
        yield _finding(
            "verifier-off",
            Severity.HIGH,
            "Google Play Protect does not scan apps",
            "The phone's app verifier is switched off, so apps installed from files are not "
            "checked. People who plant stalkerware switch it off first. Switch it on in the "
            "Play Store: profile picture > Play Protect > settings > 'Scan apps with Play "
            "Protect'.",
            facts.setting_evidence("global", "package_verifier_enable"),
        )
    if facts.setting("global", "verifier_verify_adb_installs") == "0":
        yield _finding(
            "verifier-adb-off",
            Severity.MEDIUM,
            "Apps installed over USB are not scanned",
            "Apps installed from a computer over USB skip the app verifier. Switch 'Verify apps "
            "over USB' back on in Settings > System > Developer options.",
            facts.setting_evidence("global", "verifier_verify_adb_installs"),
        )


def check_debugging(facts: DeviceFacts) -> Iterator[AndroidFinding]:
    """Developer options and USB or wireless debugging left on."""
    on = [
        key
        for key in ("development_settings_enabled", "adb_enabled")
        if facts.setting("global", key) == "1"
    ]
    if on:
        yield _finding(
            "debugging",
            Severity.INFO,
            "Developer options and USB debugging are on: turn them off after the check",
            "This check needs USB debugging, so it is on now. Left on, anyone holding the "
            "unlocked phone can install apps from a computer. When the check is done, switch "
            "off 'USB debugging' and 'Developer options' in Settings > System.",
            *(facts.setting_evidence("global", key) for key in on),
        )
    if facts.setting("global", "adb_wifi_enabled") == "1":
        yield _finding(
            "wireless-debugging",
            Severity.MEDIUM,
            "Wireless debugging is on",
            "Someone on the same Wi-Fi network who paired a computer with this phone can "
            "install apps and read data without touching it. Switch off 'Wireless debugging' "
            "in Settings > System > Developer options.",
            facts.setting_evidence("global", "adb_wifi_enabled"),
        )


def check_root(facts: DeviceFacts) -> Iterator[AndroidFinding]:
    """Signs that the phone was rooted or its boot chain unlocked."""
    part = facts.acquisition.root_indicators
    if not part.value:
        return
    yield _finding(
        "root",
        Severity.HIGH,
        "The phone shows signs of being rooted",
        "Rooting removes Android's protections: an app with root access can read every "
        "other app's data and hide from these checks. If the person did not root the phone "
        "themselves, someone else may have. Keep the evidence, then ask an advocate or a "
        "technician about restoring the phone's original software.",
        *(FindingEvidence(part.source, "root_indicators", sign) for sign in part.value),
    )


def check_security_patch(facts: DeviceFacts) -> Iterator[AndroidFinding]:
    """A security patch more than :data:`OUTDATED` older than the acquisition."""
    patch = facts.info.security_patch if facts.info else None
    if not patch or facts.at is None:
        return
    try:
        level = date.fromisoformat(patch.strip())
    except ValueError:
        return
    taken = aware(facts.at).date()
    if taken - level <= OUTDATED:
        return
    yield _finding(
        "security-patch",
        Severity.MEDIUM,
        f"Security updates are more than a year old (patch level {patch})",
        "The phone has missed more than a year of security fixes, so known weaknesses may "
        "be used to install monitoring software. Install updates in Settings > System > "
        "Software update, or consider a phone that still gets them.",
        FindingEvidence(facts.acquisition.device.source, "device", f"security_patch={patch}"),
    )


def check_accessibility_names(facts: DeviceFacts) -> Iterator[AndroidFinding]:
    """A running accessibility service that calls itself by a system-like name."""
    part = facts.acquisition.accessibility
    labels = [
        label for label in (part.value.bound if part.value else ()) if system_like_label(label)
    ]
    if not labels:
        return
    third_party = [c for app in facts.apps if not app.app.system for c in app.accessibility]
    yield _finding(
        "accessibility-name",
        Severity.HIGH,
        "An accessibility service calls itself " + ", ".join(repr(x) for x in labels),
        "A running accessibility service uses a name made of system words. Android's own "
        "services have names such as 'TalkBack'; stalkerware takes names like 'System "
        "Service' so nobody switches it off. Its app is among: "
        + (", ".join(third_party) or "the enabled services listed in the evidence")
        + ".",
        *(
            FindingEvidence(part.source, "accessibility", f"bound service label={x!r}")
            for x in labels
        ),
    )


CHECKS: tuple[DeviceCheck, ...] = (
    check_unknown_sources,
    check_verifier,
    check_debugging,
    check_root,
    check_security_patch,
    check_accessibility_names,
)
