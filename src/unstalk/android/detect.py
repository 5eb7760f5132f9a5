"""What the phone says about each app, gathered once, and its translation for the criteria engine.

:func:`gather_apps` joins the parsed parts of an acquisition into one
:class:`AppFacts` per installed package: how it was installed, whether it has an
icon, which of its components hold the privileges stalkerware needs (enabled
accessibility service, active device administrator, device or profile owner,
notification listener), which sensitive app-ops it used lately, and the feed
matches of its identity. The checks in :mod:`unstalk.android.checks_app` read
these facts; :func:`device_manifest` and :func:`device_capabilities` turn them
into what :func:`unstalk.criteria.engine.evaluate` reads for an app whose APK was
not pulled.

How sure a device fact is, in the engine's terms: a privilege the phone shows
switched on, or an app-op used in the last :data:`RECENT` before the
acquisition, is ``MEDIUM`` (put to use); a permission granted is ``LOW`` (the
app can ask). Facts about system apps are ``LOW`` as well: the phone's maker put
them there, and they are judged by feed matches only. "No icon" is ``MEDIUM`` for
an app from outside a store and ``LOW`` for one from a store, where screen
readers and watch companions commonly have none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from unstalk.android.model import Acquisition, AppOpUse, AppPackage
from unstalk.android.stores import InstallSource, impersonation, install_source
from unstalk.apk.capabilities import (
    Capability,
    CapabilityFinding,
    Confidence,
    Evidence,
    EvidenceKind,
)
from unstalk.apk.model import Component, ComponentKind, IntentFilter, Manifest, PermissionRequest
from unstalk.feed.index import FeedIndex, Match
from unstalk.models import Severity

RECENT = timedelta(days=7)
"""App-op use within this long before the acquisition counts as recent."""


@dataclass(frozen=True, slots=True)
class FindingEvidence:
    """One fact a finding rests on: the file it was read from, the parsed part, the value."""

    source: str
    part: str
    value: str


@dataclass(frozen=True, slots=True)
class AndroidFinding:
    """Something about the phone or one app that the person should know about."""

    id: str
    severity: Severity
    title: str
    explanation: str
    """What it means and what to do, in plain words."""
    evidence: tuple[FindingEvidence, ...]
    package: str | None = None
    """The app it is about; ``None`` for a finding about the whole phone."""


@dataclass(frozen=True, slots=True)
class AppFacts:
    """Everything the acquisition says about one app."""

    app: AppPackage
    source: InstallSource
    acquisition: Acquisition
    launcher: bool | None
    """Whether it has an icon in the app list; ``None`` when the list could not be read."""
    accessibility: tuple[str, ...]
    """Its enabled accessibility services."""
    admins: tuple[str, ...]
    """Its active device administrator receivers."""
    device_owner: bool
    profile_owner: bool
    listeners: tuple[str, ...]
    """Its notification listeners."""
    recent: tuple[AppOpUse, ...]
    """App-ops it used within :data:`RECENT` before the acquisition."""
    matches: tuple[Match, ...]
    """Feed matches of its identity: package name, signing certificates, APK file hashes."""
    label: str | None = None
    """The app's name, when a pulled APK told it."""

    @property
    def name(self) -> str:
        return self.app.name


def acquisition_time(acquisition: Acquisition) -> datetime | None:
    """The latest moment the phone itself recorded: app-op uses, installs and updates.

    Used when the acquisition carries no time of its own, so that recency is judged
    as of when the data was taken, never by this computer's clock.
    """
    moments: list[datetime] = [
        use.last_access for use in acquisition.appops.value or () if use.last_access
    ]
    for app in acquisition.packages.value or ():
        moments.extend(m for m in (app.first_install, app.last_update) if m is not None)
    return max((aware(m) for m in moments), default=None)


def aware(moment: datetime) -> datetime:
    """A naive phone time read as UTC: off by the phone's zone at most, a few hours."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _by_package(components: Iterable[str]) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for component in components:
        table.setdefault(component.partition("/")[0], []).append(component)
    return {package: tuple(items) for package, items in table.items()}


def _identity_matches(
    index: FeedIndex, app: AppPackage, hashes: Iterable[str]
) -> tuple[Match, ...]:
    found = [*index.package(app.name)]
    for digest in (*app.cert_sha256, *app.cert_sha1):
        found.extend(index.cert(digest))
    for sha256 in hashes:
        found.extend(index.file_hash(sha256))
    return tuple(dict.fromkeys(found))


def _apk_hashes(acquisition: Acquisition) -> dict[str, list[str]]:
    """SHA-256 of each pulled APK, by package, from the acquisition's own file hashes."""
    table: dict[str, list[str]] = {}
    for package, path in acquisition.apk_files:
        digest = acquisition.file_hashes.get(path)
        if digest:
            table.setdefault(package, []).append(digest)
    return table


def _owners(acquisition: Acquisition) -> tuple[str | None, frozenset[str]]:
    """The device owner's package, and the profile owners' packages."""
    admins = acquisition.device_admins.value
    if admins is None:
        return None, frozenset()
    owner = admins.device_owner.partition("/")[0] if admins.device_owner else None
    return owner, frozenset(p.partition("/")[0] for p in admins.profile_owners)


def gather_apps(
    acquisition: Acquisition,
    index: FeedIndex,
    *,
    at: datetime | None,
    labels: Mapping[str, str] | None = None,
) -> tuple[AppFacts, ...]:
    """One :class:`AppFacts` per package, in the order the phone listed them.

    ``at`` is when the acquisition was made (``None``: recency not checked);
    ``labels`` holds app names read from pulled APKs.
    """
    accessibility = _by_package(
        acquisition.accessibility.value.enabled if acquisition.accessibility.value else ()
    )
    admins = _by_package(
        acquisition.device_admins.value.active if acquisition.device_admins.value else ()
    )
    listeners = _by_package(acquisition.notification_listeners.value or ())
    owner, profile_owners = _owners(acquisition)
    ops: dict[str, list[AppOpUse]] = {}
    for use in acquisition.appops.value or ():
        ops.setdefault(use.package, []).append(use)
    launcher = acquisition.launcher_packages.value
    hashes = _apk_hashes(acquisition)
    since = aware(at) - RECENT if at is not None else None
    names = labels or {}
    return tuple(
        AppFacts(
            app=app,
            source=install_source(app),
            acquisition=acquisition,
            launcher=None if launcher is None else app.name in launcher,
            accessibility=accessibility.get(app.name, ()),
            admins=admins.get(app.name, ()),
            device_owner=owner == app.name,
            profile_owner=app.name in profile_owners,
            listeners=listeners.get(app.name, ()),
            recent=_recent(ops.get(app.name, ()), since),
            matches=_identity_matches(index, app, hashes.get(app.name, ())),
            label=names.get(app.name),
        )
        for app in acquisition.packages.value or ()
    )


def _recent(uses: Iterable[AppOpUse], since: datetime | None) -> tuple[AppOpUse, ...]:
    if since is None:
        return ()
    return tuple(u for u in uses if u.last_access is not None and aware(u.last_access) >= since)


# The adapter for the criteria engine ----------------------------------------------------------

_PERMISSION_CAPABILITY: Mapping[str, Capability] = {
    "android.permission.ACCESS_FINE_LOCATION": Capability.LOCATION_FINE,
    "android.permission.ACCESS_BACKGROUND_LOCATION": Capability.LOCATION_BACKGROUND,
    "android.permission.READ_SMS": Capability.SMS_READ,
    "android.permission.RECEIVE_SMS": Capability.SMS_INTERCEPT,
    "android.permission.RECEIVE_MMS": Capability.SMS_INTERCEPT,
    "android.permission.READ_CALL_LOG": Capability.CALL_LOG,
    "android.permission.RECORD_AUDIO": Capability.MICROPHONE,
    "android.permission.CAMERA": Capability.CAMERA,
    "android.permission.READ_CONTACTS": Capability.CONTACTS,
    "android.permission.READ_EXTERNAL_STORAGE": Capability.READ_STORAGE,
    "android.permission.READ_MEDIA_IMAGES": Capability.READ_STORAGE,
    "android.permission.READ_MEDIA_VIDEO": Capability.READ_STORAGE,
    "android.permission.MANAGE_EXTERNAL_STORAGE": Capability.READ_STORAGE,
    "android.permission.PACKAGE_USAGE_STATS": Capability.USAGE_STATS,
    "android.permission.SYSTEM_ALERT_WINDOW": Capability.OVERLAY,
    "android.permission.REQUEST_INSTALL_PACKAGES": Capability.INSTALL_PACKAGES,
    "android.permission.RECEIVE_BOOT_COMPLETED": Capability.PERSISTENCE,
}

OP_CAPABILITY: Mapping[str, Capability] = {
    "CAMERA": Capability.CAMERA,
    "RECORD_AUDIO": Capability.MICROPHONE,
    "FINE_LOCATION": Capability.LOCATION_FINE,
    "READ_SMS": Capability.SMS_READ,
    "RECEIVE_SMS": Capability.SMS_INTERCEPT,
    "READ_CALL_LOG": Capability.CALL_LOG,
    "READ_CONTACTS": Capability.CONTACTS,
    "GET_USAGE_STATS": Capability.USAGE_STATS,
    "PROJECT_MEDIA": Capability.SCREEN_CAPTURE,
    "READ_EXTERNAL_STORAGE": Capability.READ_STORAGE,
    "READ_MEDIA_IMAGES": Capability.READ_STORAGE,
}
"""App-ops whose recent use shows a capability put to work."""

_LOCATION_OPS = frozenset({"FINE_LOCATION", "COARSE_LOCATION", "MONITOR_LOCATION"})
_BACKGROUND_LOCATION = "android.permission.ACCESS_BACKGROUND_LOCATION"


def device_manifest(facts: AppFacts) -> Manifest:
    """A minimal manifest from what the phone says: permissions, privileged components, icon."""
    app = facts.app
    permissions = dict.fromkeys((*app.requested_permissions, *app.granted_permissions))
    components = [
        *(_component(ComponentKind.SERVICE, c, _ACCESSIBILITY) for c in facts.accessibility),
        *(_component(ComponentKind.RECEIVER, c, _ADMIN) for c in facts.admins),
        *(_component(ComponentKind.SERVICE, c, _LISTENER) for c in facts.listeners),
    ]
    if facts.launcher:
        launcher = IntentFilter(
            actions=("android.intent.action.MAIN",),
            categories=("android.intent.category.LAUNCHER",),
        )
        name = f"{app.name} (launcher activity)"
        components.append(Component(ComponentKind.ACTIVITY, name, True, intent_filters=(launcher,)))
    return Manifest(
        package=app.name,
        version_code=app.version_code,
        version_name=app.version_name,
        min_sdk=None,
        target_sdk=None,
        label=facts.label,
        permissions=tuple(PermissionRequest(name) for name in permissions),
        components=tuple(components),
    )


_ACCESSIBILITY = (
    "android.permission.BIND_ACCESSIBILITY_SERVICE",
    "android.accessibilityservice.AccessibilityService",
)
_ADMIN = ("android.permission.BIND_DEVICE_ADMIN", "android.app.action.DEVICE_ADMIN_ENABLED")
_LISTENER = (
    "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE",
    "android.service.notification.NotificationListenerService",
)


def _component(kind: ComponentKind, component: str, binding: tuple[str, str]) -> Component:
    package, _, cls = component.partition("/")
    permission, action = binding
    return Component(
        kind, cls or package, True, True, permission, (IntentFilter(actions=(action,)),)
    )


def device_capabilities(facts: AppFacts) -> tuple[CapabilityFinding, ...]:
    """Capabilities shown by device facts, one finding per capability, strongest evidence."""
    strongest: dict[Capability, Confidence] = {}
    evidence: dict[Capability, list[Evidence]] = {}
    for capability, confidence, fact in _capability_facts(facts):
        known = strongest.get(capability, confidence)
        strongest[capability] = confidence if confidence.rank > known.rank else known
        evidence.setdefault(capability, []).append(fact)
    return tuple(
        CapabilityFinding(c, strongest[c], tuple(dict.fromkeys(evidence[c])))
        for c in Capability
        if c in strongest
    )


_Fact = tuple[Capability, Confidence, Evidence]
_KEYLOGGING = Capability.ACCESSIBILITY_KEYLOGGING
_NOTIFICATIONS = Capability.NOTIFICATION_READING
_RESISTS = Capability.UNINSTALL_PROTECTION


def _capability_facts(facts: AppFacts) -> Iterator[_Fact]:
    acq = facts.acquisition
    used = Confidence.LOW if facts.app.system else Confidence.MEDIUM
    held = (
        (facts.accessibility, _KEYLOGGING, "accessibility service, enabled", acq.accessibility),
        (
            facts.listeners,
            _NOTIFICATIONS,
            "notification listener, allowed",
            acq.notification_listeners,
        ),
        (facts.admins, _RESISTS, "device administrator, active", acq.device_admins),
    )
    for components, capability, what, part in held:
        for c in components:
            evidence = Evidence(EvidenceKind.COMPONENT, f"{c} ({what})", part.source)
            yield capability, used, evidence
    if facts.device_owner or facts.profile_owner:
        role = "device owner" if facts.device_owner else "profile owner"
        value = f"{facts.name} is the {role}"
        evidence = Evidence(EvidenceKind.CONFIG, value, acq.device_admins.source)
        yield Capability.UNINSTALL_PROTECTION, used, evidence
    yield from _hiding_facts(facts)
    yield from _permission_facts(facts)
    yield from _use_facts(facts, used)


def _hiding_facts(facts: AppFacts) -> Iterator[_Fact]:
    acq = facts.acquisition
    if facts.launcher is False and not facts.app.system and facts.app.enabled:
        confidence = Confidence.MEDIUM if facts.source.sideloaded else Confidence.LOW
        evidence = Evidence(
            EvidenceKind.CONFIG,
            f"{facts.name} has no launcher activity",
            acq.launcher_packages.source,
        )
        yield Capability.HIDE_ICON, confidence, evidence
    pretends = impersonation(facts.app, facts.source, facts.label)
    if pretends is not None:
        reason, confidence = pretends
        evidence = Evidence(EvidenceKind.ATTRIBUTE, reason, acq.packages.source)
        yield Capability.MASQUERADING, confidence, evidence


def _permission_facts(facts: AppFacts) -> Iterator[_Fact]:
    source = facts.acquisition.packages.source
    for permission in facts.app.granted_permissions:
        capability = _PERMISSION_CAPABILITY.get(permission)
        if capability is not None:
            evidence = Evidence(EvidenceKind.PERMISSION, f"{permission} (granted)", source)
            yield capability, Confidence.LOW, evidence


def _use_facts(facts: AppFacts, used: Confidence) -> Iterator[_Fact]:
    source = facts.acquisition.appops.source
    background = _BACKGROUND_LOCATION in facts.app.granted_permissions
    for use in facts.recent:
        when = use.last_access.isoformat() if use.last_access else "recently"
        evidence = Evidence(EvidenceKind.CONFIG, f"app-op {use.op} used {when}", source)
        capability = OP_CAPABILITY.get(use.op)
        if capability is not None:
            yield capability, used, evidence
        if background and use.op in _LOCATION_OPS:
            yield Capability.LOCATION_BACKGROUND, used, evidence
