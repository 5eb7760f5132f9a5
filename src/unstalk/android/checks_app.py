"""Checks of one app: each a small generator over :class:`~unstalk.android.detect.AppFacts`.

Adding a check is one function and one line in :data:`CHECKS`. How loud a
finding is depends on where the app came from: the same privilege is ``HIGH`` on
an app installed from a file, ``MEDIUM`` on one from a store, and ``INFO`` on a
system app (part of the phone, judged by feed matches only). Feed matches on
stalkerware are ``CRITICAL`` wherever the app came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from unstalk.android.detect import RECENT, AndroidFinding, AppFacts, FindingEvidence
from unstalk.android.stores import InstallSource, impersonation, installer_name
from unstalk.apk.capabilities import Confidence
from unstalk.feed.index import Match
from unstalk.feed.model import FamilyType
from unstalk.models import Severity

AppCheck = Callable[[AppFacts], Iterator[AndroidFinding]]

_KIND_WORDS = {
    "package": "package name",
    "cert_sha1": "signing certificate",
    "cert_sha256": "signing certificate",
    "file_sha256": "APK file hash",
}
_SAFETY = (
    "Before removing it, talk with an advocate about safety: removing it can alert the "
    "person who installed it, and the app and this report are evidence."
)


def _tier(facts: AppFacts, *, sideloaded: Severity, store: Severity) -> Severity:
    if facts.app.system:
        return Severity.INFO
    return sideloaded if facts.source.sideloaded else store


def _from_packages(facts: AppFacts, value: str) -> FindingEvidence:
    return FindingEvidence(facts.acquisition.packages.source, "packages", value)


def _finding(
    facts: AppFacts,
    check: str,
    severity: Severity,
    title: str,
    explanation: str,
    evidence: Iterable[FindingEvidence],
) -> AndroidFinding:
    return AndroidFinding(
        id=f"android.app.{check}",
        severity=severity,
        title=f"{title}: {facts.name}",
        explanation=explanation,
        evidence=tuple(evidence),
        package=facts.name,
    )


def check_feed_match(facts: AppFacts) -> Iterator[AndroidFinding]:
    """The feed lists the app's package name, signing certificate or APK hash."""
    by_family: dict[str, list[Match]] = {}
    for match in facts.matches:
        by_family.setdefault(match.family.id, []).append(match)
    overt = {(m.kind, m.indicator.value) for m in facts.matches if m.family_type is _WATCHWARE}
    for matches in by_family.values():
        family = matches[0].family
        kinds = " and ".join(
            dict.fromkeys(_KIND_WORDS.get(m.kind.value, m.kind.value) for m in matches)
        )
        evidence = [
            FindingEvidence(
                m.indicator.source or "indicator feed", "feed", f"{m.kind.value} {m.observed}"
            )
            for m in matches
        ]
        if family.type is _WATCHWARE:
            yield _finding(
                facts,
                "feed-match",
                Severity.LOW,
                f"Known monitoring app (watchware, {family.name})",
                f"The indicator feed lists this app's {kinds} as {family.name}, overt monitoring "
                "(parental control, family location or employee monitoring). Such apps are meant "
                "to be visible and agreed to: check that the person using the phone knows about "
                "it and agreed to it.",
                evidence,
            )
            continue
        disputed = any((m.kind, m.indicator.value) in overt for m in matches)
        severity = Severity.HIGH if disputed else min((m.severity for m in matches), key=_rank)
        note = (
            " The feed also lists the same app as watchware, so the listings disagree."
            if disputed
            else ""
        )
        yield _finding(
            facts,
            "feed-match",
            severity,
            f"Known stalkerware ({family.name})",
            f"The indicator feed lists this app's {kinds} as {family.name}, stalkerware: it lets "
            f"someone else secretly watch this phone.{note} {_SAFETY}",
            evidence,
        )


_WATCHWARE = FamilyType.WATCHWARE


def _rank(severity: Severity) -> int:
    return severity.rank


_HOW_INSTALLED = {
    InstallSource.PACKAGE_INSTALLER: (
        "It was installed from an APK file through {installer}, not from an app store. That is "
        "how stalkerware is usually installed, though many harmless apps are installed this way "
        "too. Ask whether the person installed it themselves."
    ),
    InstallSource.OTHER_APP: (
        "It was installed by {installer}, which is not a known app store. Ask whether the "
        "person installed it themselves."
    ),
    InstallSource.UNKNOWN: (
        "The phone recorded no installer: it was installed over a USB cable with adb, or in a "
        "way that left no trace. Some phone makers preinstall apps this way. Ask whether the "
        "person installed it themselves."
    ),
}


def check_sideloaded(facts: AppFacts) -> Iterator[AndroidFinding]:
    """A third-party app whose installer is not a known store."""
    text = _HOW_INSTALLED.get(facts.source)
    if text is None:
        return
    installer = installer_name(facts.app.installer)
    yield _finding(
        facts,
        "sideloaded",
        Severity.LOW,
        "Installed from outside an app store",
        text.format(installer=installer),
        [_from_packages(facts, f"installer={facts.app.installer or 'null'}")],
    )


def check_accessibility(facts: AppFacts) -> Iterator[AndroidFinding]:
    """An enabled accessibility service: it sees the screen and the typing."""
    if not facts.accessibility:
        return
    source = facts.acquisition.accessibility.source
    yield _finding(
        facts,
        "accessibility",
        _tier(facts, sideloaded=Severity.HIGH, store=Severity.MEDIUM),
        "Can read the screen and what is typed",
        "Its accessibility service is switched on. An accessibility service sees everything on "
        "the screen and every key typed, and can press buttons. Screen readers and some "
        "password managers need this; stalkerware uses it to copy messages and passwords. If "
        "the person does not use it, look in Settings > Accessibility.",
        [FindingEvidence(source, "accessibility", f"enabled: {c}") for c in facts.accessibility],
    )


def check_device_admin(facts: AppFacts) -> Iterator[AndroidFinding]:
    """An active device administrator: it resists removal and can lock the phone."""
    if not facts.admins:
        return
    source = facts.acquisition.device_admins.source
    yield _finding(
        facts,
        "device-admin",
        _tier(facts, sideloaded=Severity.HIGH, store=Severity.MEDIUM),
        "Is a device administrator",
        "It is an active device administrator: it can lock the phone, and it cannot be "
        "uninstalled until it is switched off in Settings > Security > Device admin apps. Work "
        "and anti-theft apps use this; stalkerware uses it to resist removal.",
        [FindingEvidence(source, "device_admins", f"active admin: {c}") for c in facts.admins],
    )


def check_owner(facts: AppFacts) -> Iterator[AndroidFinding]:
    """Device owner (manages the whole phone) or profile owner (manages a work profile)."""
    source = facts.acquisition.device_admins.source
    if facts.device_owner:
        yield _finding(
            facts,
            "device-owner",
            Severity.INFO if facts.app.system else Severity.HIGH,
            "Manages the whole phone (device owner)",
            "A device owner controls the phone completely: it can install apps, watch network "
            "traffic and set rules the person cannot change. Company phones are set up this way; "
            "on a personal phone it needs a closer look.",
            [FindingEvidence(source, "device_admins", f"device owner: {facts.name}")],
        )
    if facts.profile_owner:
        yield _finding(
            facts,
            "profile-owner",
            _tier(facts, sideloaded=Severity.MEDIUM, store=Severity.LOW),
            "Manages a work profile (profile owner)",
            "It manages a separate work profile. Employers set this up on phones used for work; "
            "it sees the work profile's apps and data. Ask whether the person knows whose it is.",
            [FindingEvidence(source, "device_admins", f"profile owner: {facts.name}")],
        )


def check_notification_listener(facts: AppFacts) -> Iterator[AndroidFinding]:
    """Allowed to read notifications: message previews included."""
    if not facts.listeners:
        return
    source = facts.acquisition.notification_listeners.source
    yield _finding(
        facts,
        "notification-listener",
        _tier(facts, sideloaded=Severity.HIGH, store=Severity.MEDIUM),
        "Can read every notification",
        "It may read every notification, message previews included. Smartwatch and car apps "
        "need this; stalkerware uses it to copy messages. The list of these apps is in Settings "
        "> Notifications > Notification access (Device and app notifications).",
        [
            FindingEvidence(source, "notification_listeners", f"allowed: {c}")
            for c in facts.listeners
        ],
    )


def check_no_icon(facts: AppFacts) -> Iterator[AndroidFinding]:
    """A third-party app with no icon in the app list."""
    if facts.launcher is not False or facts.app.system:
        return
    source = facts.acquisition.launcher_packages.source
    yield _finding(
        facts,
        "no-launcher-icon",
        Severity.MEDIUM if facts.source.sideloaded else Severity.LOW,
        "Has no icon in the app list",
        "It has no icon of its own in the app list, so it can run unseen. Screen readers, "
        "keyboards and watch companions often have none; stalkerware hides this way. From "
        "Android 10 the phone may show a stand-in icon that opens the app's settings page.",
        [FindingEvidence(source, "launcher_packages", f"{facts.name} has no launcher activity")],
    )


def check_impersonation(facts: AppFacts) -> Iterator[AndroidFinding]:
    """A name that pretends to be part of the system."""
    pretends = impersonation(facts.app, facts.source, facts.label)
    if pretends is None:
        return
    reason, confidence = pretends
    strong = confidence is Confidence.MEDIUM
    if facts.source.sideloaded:
        severity = Severity.HIGH if strong else Severity.MEDIUM
    else:
        severity = Severity.MEDIUM if strong else Severity.LOW
    yield _finding(
        facts,
        "impersonation",
        severity,
        "Looks like part of the system",
        f"{reason[0].upper()}{reason[1:]}. Stalkerware takes such names so that nobody thinks "
        "of removing it. A genuine system app is part of the phone's software; this one is not.",
        [
            _from_packages(facts, f"package={facts.name}, system=false")
            if not facts.label
            else _from_packages(facts, f"label={facts.label!r}")
        ],
    )


_GROUPS = (
    ("location in the background", ("android.permission.ACCESS_BACKGROUND_LOCATION",)),
    ("text messages", ("android.permission.READ_SMS", "android.permission.RECEIVE_SMS")),
    ("call history", ("android.permission.READ_CALL_LOG",)),
    ("the microphone", ("android.permission.RECORD_AUDIO",)),
    ("the camera", ("android.permission.CAMERA",)),
    ("contacts", ("android.permission.READ_CONTACTS",)),
)
COMBINATION = 4
"""This many of the groups above, granted to an app from outside a store, make a finding."""


def check_permission_combination(facts: AppFacts) -> Iterator[AndroidFinding]:
    """Many sensitive permissions granted to an app from outside a store."""
    if not facts.source.sideloaded:
        return
    granted = set(facts.app.granted_permissions)
    held = [(label, [p for p in perms if p in granted]) for label, perms in _GROUPS]
    held = [(label, perms) for label, perms in held if perms]
    if len(held) < COMBINATION:
        return
    yield _finding(
        facts,
        "permission-combination",
        Severity.MEDIUM,
        "Is allowed to reach much of the person's life",
        f"It has been allowed to use {_and(label for label, _ in held)}. Together these let an "
        "app follow where the person is, whom they talk to and what they say.",
        [_from_packages(facts, f"{p} granted") for _, perms in held for p in perms],
    )


RECENT_OPS = {
    "CAMERA": "the camera",
    "RECORD_AUDIO": "the microphone",
    "FINE_LOCATION": "location",
    "COARSE_LOCATION": "location",
    "READ_SMS": "text messages",
    "RECEIVE_SMS": "text messages",
    "SEND_SMS": "text messages",
    "READ_CALL_LOG": "call history",
}
"""App-ops reported when a third-party app used them within :data:`RECENT` of the acquisition."""


def check_recent_use(facts: AppFacts) -> Iterator[AndroidFinding]:
    """Camera, microphone, location or messages used lately by a third-party app."""
    if facts.app.system:
        return
    uses = [u for u in facts.recent if u.op in RECENT_OPS and u.last_access is not None]
    if not uses:
        return
    days = RECENT.days
    source = facts.acquisition.appops.source
    yield _finding(
        facts,
        "recent-use",
        Severity.MEDIUM if facts.source.sideloaded else Severity.INFO,
        f"Used {_and(dict.fromkeys(RECENT_OPS[u.op] for u in uses))} in the last {days} days",
        "Android records when each app last used these. Apps the person uses every day "
        "(messaging, maps) do this too; an app nobody opens that uses the microphone or the "
        "location deserves a closer look.",
        [
            FindingEvidence(source, "appops", f"{u.op} last used {_when(u.last_access)}")
            for u in uses
        ],
    )


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "at an unknown time"


def _and(items: Iterable[str]) -> str:
    words = list(items)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


CHECKS: tuple[AppCheck, ...] = (
    check_feed_match,
    check_sideloaded,
    check_accessibility,
    check_device_admin,
    check_owner,
    check_notification_listener,
    check_no_icon,
    check_impersonation,
    check_permission_combination,
    check_recent_use,
)

DISABLED_APP_CHECKS: tuple[AppCheck, ...] = (check_feed_match, check_sideloaded)
"""A disabled app cannot run: only what it is and where it came from are reported."""
