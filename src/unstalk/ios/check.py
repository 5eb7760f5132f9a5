"""Check one iPhone acquisition: findings, what could not be checked, and what no tool can see.

:func:`check_acquisition` runs the app checks (:mod:`unstalk.ios.checks_app`)
and the device checks (:mod:`unstalk.ios.checks_device`). Every part of the
acquisition that was not read in full is listed with its reason: "could not
check" never reads as "nothing found". Much iPhone surveillance runs through the
person's accounts, which no tool can see from the phone: :data:`CHECKLIST` says
how to look at each by hand, and goes into every result. :func:`result_dict`
gives the JSON shape (``schema`` names its version; fields are only ever added
within a version).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

from unstalk.apk.result_json import JsonValue, plain
from unstalk.feed.index import FeedIndex
from unstalk.feed.model import FamilyType
from unstalk.ios.checks_app import CHECKS as APP_CHECKS
from unstalk.ios.checks_device import CHECKS as DEVICE_CHECKS
from unstalk.ios.detect import AppFacts, IosFinding, gather
from unstalk.ios.model import AppOrigin, IosAcquisition, IosDeviceInfo
from unstalk.models import Parsed, ParseStatus, Severity

SCHEMA = "unstalk.ios-check/1"
NOTHING_FOUND = "No known stalkerware found by these checks."
URGENT = frozenset({Severity.CRITICAL, Severity.HIGH})
HEADLINE_NAMES = 5
"""At most this many app names in the headline; the rest are counted."""

LIMITS = (
    "Indicators only know stalkerware that researchers have already found and listed; a new "
    "or renamed app is not in the feed.",
    "The checks read what the iPhone and its backup tell: they cannot see what an app has "
    "already sent away, or monitoring done through the person's accounts (see the checklist).",
    "A jailbroken iPhone can hide apps, files and settings from these checks.",
)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """Something to look at by hand, because no tool can see it from the phone."""

    id: str
    title: str
    how: str
    """Where to look on the phone or in the account, in plain words."""


CHECKLIST = (
    ChecklistItem(
        "apple-id-devices",
        "Apple ID sign-ins and trusted devices",
        "Settings > [your name]: scroll down to the list of devices signed in with this Apple "
        "ID and remove any you do not know. In Sign-In & Security, check the trusted phone "
        "numbers. Change the Apple ID password if someone else may know it.",
    ),
    ChecklistItem(
        "safety-check",
        "Apple's Safety Check (iOS 16 and later)",
        "Settings > Privacy & Security > Safety Check > Manage Sharing & Access reviews who "
        "sees your location, photos and notes, and which devices are signed in.",
    ),
    ChecklistItem(
        "location-sharing",
        "Family Sharing and location sharing in Find My",
        "Settings > [your name] > Family Sharing: who is in the family and what is shared. In "
        "the Find My app, the People tab lists who sees your location.",
    ),
    ChecklistItem(
        "shared-albums",
        "Shared albums and shared photo library",
        "Photos > Albums > Shared Albums, and Settings > Photos > Shared Library: who else "
        "receives the photos.",
    ),
    ChecklistItem(
        "mail-forwarding",
        "Mail forwarding rules",
        "In each mail account's web settings (iCloud Mail: Settings > Forwarding; Gmail: "
        "Settings > Forwarding and filters): rules that send copies of mail elsewhere.",
    ),
    ChecklistItem(
        "trackers",
        "AirTags and other trackers",
        "An iPhone warns 'AirTag Found Moving With You'; keep Settings > Notifications > "
        "Tracking Notifications on. Find My > Items > Identify Found Item names a tracker "
        "you find.",
    ),
    ChecklistItem(
        "screen-time",
        "Screen Time set by another person",
        "Settings > Screen Time: if it is managed through Family Sharing or has a passcode the "
        "person did not set, someone else controls limits and can see app use.",
    ),
    ChecklistItem(
        "messages-elsewhere",
        "Messages read on other devices",
        "Settings > Messages > Text Message Forwarding and Send & Receive; Settings > [your "
        "name] > iCloud > Messages; in WhatsApp and Signal, Settings > Linked Devices.",
    ),
)


@dataclass(frozen=True, slots=True)
class NotChecked:
    """A part of the acquisition that was not read in full, and why."""

    part: str
    source: str
    status: str
    """A :class:`ParseStatus` value, or :data:`NOT_RECORDED`."""
    reasons: tuple[str, ...]


NOT_RECORDED = "not-recorded"
"""The kind of acquisition does not hold this part (a backup and the Wi-Fi sync setting)."""
_UNREAD = frozenset({ParseStatus.UNPARSED.value, ParseStatus.MISSING.value})


@dataclass(frozen=True, slots=True)
class IosCheckResult:
    """Everything one check of one iPhone found, what it could not see, and the checklist."""

    source: str
    kind: str
    device: IosDeviceInfo | None
    apps: tuple[AppFacts, ...]
    findings: tuple[IosFinding, ...]
    """Most severe first."""
    not_checked: tuple[NotChecked, ...]
    limits: tuple[str, ...]
    checklist: tuple[ChecklistItem, ...] = CHECKLIST
    files: tuple[tuple[str, str], ...] = ()
    """SHA-256 of every file the acquisition read, by path, sorted by path."""

    def _listed(self, family_type: FamilyType) -> list[str]:
        return [a.label for a in self.apps if any(m.family_type is family_type for m in a.matches)]

    @property
    def found(self) -> bool:
        """A critical or high finding (known stalkerware is always critical)."""
        return any(f.severity in URGENT for f in self.findings)

    @property
    def incomplete(self) -> bool:
        """A whole part could not be read (missing or in a format unstalk does not know)."""
        return any(n.status in _UNREAD for n in self.not_checked)

    @property
    def headline(self) -> str:
        """One sentence for the top of a report; never says the phone is clean."""
        stalkerware = self._listed(FamilyType.STALKERWARE)
        if stalkerware:
            return f"Known stalkerware found: {_names(stalkerware)}."
        urgent = sum(1 for f in self.findings if f.severity in URGENT)
        if urgent:
            return f"{NOTHING_FOUND} But {urgent} finding(s) need a closer look."
        watchware = self._listed(FamilyType.WATCHWARE)
        if watchware:
            return f"{NOTHING_FOUND} Known monitoring apps (watchware): {_names(watchware)}."
        return NOTHING_FOUND


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:HEADLINE_NAMES])
    more = len(names) - HEADLINE_NAMES
    return f"{shown} and {more} more" if more > 0 else shown


def check_acquisition(acquisition: IosAcquisition, index: FeedIndex) -> IosCheckResult:
    """Check ``acquisition`` against ``index``."""
    facts = gather(acquisition, index)
    found = [f for app in facts.apps for check in APP_CHECKS for f in check(app)]
    found.extend(f for check in DEVICE_CHECKS for f in check(facts))
    return IosCheckResult(
        source=acquisition.source,
        kind=acquisition.kind,
        device=acquisition.device.value,
        apps=facts.apps,
        findings=tuple(sorted(found, key=lambda f: f.severity.rank)),
        not_checked=tuple(_unread_parts(acquisition)),
        limits=(*LIMITS, *_limits(acquisition)),
        files=tuple(sorted(acquisition.file_hashes.items())),
    )


_PARTS = ("device", "apps", "profiles", "jailbreak", "wifi_sync")


def _unread_parts(acquisition: IosAcquisition) -> Iterator[NotChecked]:
    for name in _PARTS:
        part: Parsed[object] = getattr(acquisition, name)
        if part.status is ParseStatus.OK:
            continue
        status = part.status.value
        if name == "wifi_sync" and acquisition.kind == "backup" and part.value is None:
            # Recent backups do not hold this setting: a limit of the source, not a failure.
            status = NOT_RECORDED
        yield NotChecked(name, part.source, status, part.problems)
    unknown = _unknown_origins(acquisition)
    apps = acquisition.apps.value or ()
    # A few unknown origins are normal in a backup; most of them unknown means the check
    # could not tell App Store apps from apps installed with a certificate.
    if apps and len(unknown) * 2 > len(apps):
        reason = (
            f"for {len(unknown)} of {len(apps)} apps the acquisition does not say whether they "
            "came from the App Store or were installed with a certificate"
        )
        yield NotChecked("app_origins", acquisition.apps.source, "partial", (reason,))
    if acquisition.integrity:
        yield NotChecked("integrity", acquisition.source, "partial", acquisition.integrity)


def _unknown_origins(acquisition: IosAcquisition) -> list[str]:
    return [a.bundle_id for a in acquisition.apps.value or () if a.origin is AppOrigin.UNKNOWN]


def _limits(acquisition: IosAcquisition) -> Iterator[str]:
    unknown = _unknown_origins(acquisition)
    if unknown:
        yield (
            f"Where {len(unknown)} app(s) came from is not known (a backup does not keep app "
            "signers): apps installed with an enterprise or developer certificate are only "
            "told apart in a live check with ideviceinstaller installed."
        )
    if acquisition.kind == "backup":
        yield (
            "A backup holds what the phone chose to back up: Wi-Fi sync and app signers are "
            "best read from the phone itself ('unstalk check ios' without --backup)."
        )


# JSON -----------------------------------------------------------------------------------------


def finding_dict(finding: IosFinding) -> dict[str, JsonValue]:
    return {
        "id": finding.id,
        "severity": finding.severity.value,
        "app": finding.app,
        "title": finding.title,
        "explanation": finding.explanation,
        "evidence": [
            {"source": e.source, "part": e.part, "value": e.value} for e in finding.evidence
        ],
    }


def _app_dict(facts: AppFacts) -> dict[str, JsonValue]:
    app = facts.app
    return {
        "bundle_id": app.bundle_id,
        "name": app.name,
        "version": app.version,
        "short_version": app.short_version,
        "origin": app.origin.value,
        "signer": app.signer,
        "source": facts.listed_in,
        "feed": [
            {"family": m.family.name, "type": m.family_type.value, "indicator": m.indicator.value}
            for m in facts.matches
        ],
    }


def _device_dict(device: IosDeviceInfo | None) -> JsonValue:
    """The device facts; the full lockdown property list stays out (it holds identifiers)."""
    if device is None:
        return None
    return {
        f.name: plain(getattr(device, f.name)) for f in fields(device) if f.name != "properties"
    }


def result_dict(result: IosCheckResult) -> dict[str, JsonValue]:
    """The JSON shape of a check; docs/ios.md describes every field."""
    return {
        "schema": SCHEMA,
        "source": result.source,
        "kind": result.kind,
        "headline": result.headline,
        "found": result.found,
        "incomplete": result.incomplete,
        "device": _device_dict(result.device),
        "findings": [finding_dict(f) for f in result.findings],
        "apps": [_app_dict(a) for a in result.apps],
        "not_checked": [
            {"part": n.part, "source": n.source, "status": n.status, "reasons": list(n.reasons)}
            for n in result.not_checked
        ],
        "limits": list(result.limits),
        "checklist": [{"id": c.id, "title": c.title, "how": c.how} for c in result.checklist],
        "files": dict(result.files),
    }
