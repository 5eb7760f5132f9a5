"""What an app can do to the person holding the phone, each claim with its evidence.

:func:`detect_capabilities` reads the manifest, the dex string tables and the
endpoints found in the code, and returns one :class:`CapabilityFinding` per
capability it found, each carrying the exact permissions, components,
configuration attributes and code strings it rests on.

Precision comes from combining sources. A permission alone only says the app
*can ask* for something (:attr:`Confidence.LOW`); a component or configuration
that wires it up, or code that uses it, raises the confidence. The rules are
small generator functions in :mod:`unstalk.apk.capabilities_rules`; what they
read (the indexed dex strings, the manifest lookups) is in
:mod:`unstalk.apk.capabilities_facts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from unstalk.apk.model import DexInfo, Manifest


class Capability(StrEnum):
    """Something an app can do that matters when someone may be monitoring a phone."""

    LOCATION_FINE = "location_fine"
    LOCATION_BACKGROUND = "location_background"
    SMS_READ = "sms_read"
    SMS_INTERCEPT = "sms_intercept"
    CALL_LOG = "call_log"
    CALL_RECORDING = "call_recording"
    MICROPHONE = "microphone"
    CAMERA = "camera"
    CONTACTS = "contacts"
    SCREEN_CAPTURE = "screen_capture"
    ACCESSIBILITY_KEYLOGGING = "accessibility_keylogging"
    NOTIFICATION_READING = "notification_reading"
    BROWSER_HISTORY = "browser_history"
    MESSAGING_CAPTURE = "messaging_capture"
    REMOTE_COMMANDS = "remote_commands"
    HIDE_ICON = "hide_icon"
    MASQUERADING = "masquerading"
    UNINSTALL_PROTECTION = "uninstall_protection"
    DEVICE_ADMIN_WIPE = "device_admin_wipe"
    DEVICE_ADMIN_LOCK = "device_admin_lock"
    PERSISTENCE = "persistence"
    EXFILTRATION_ENDPOINTS = "exfiltration_endpoints"
    VPN_INTERCEPTION = "vpn_interception"
    INPUT_METHOD = "input_method"
    INSTALL_PACKAGES = "install_packages"
    READ_STORAGE = "read_storage"
    USAGE_STATS = "usage_stats"
    OVERLAY = "overlay"

    @property
    def label(self) -> str:
        """A few words naming the capability, for lists and summaries."""
        return _TEXTS[self][0]

    @property
    def description(self) -> str:
        """One plain sentence saying what the capability means for the phone's user."""
        return _TEXTS[self][1]


_C = Capability
# fmt: off
_TEXTS: Mapping[Capability, tuple[str, str]] = {
    _C.LOCATION_FINE: ("precise location", "Can read the phone's precise location."),
    _C.LOCATION_BACKGROUND: ("background location tracking",
                             "Can track the phone's location while the app is not open."),
    _C.SMS_READ: ("reading text messages", "Can read the text messages stored on the phone."),
    _C.SMS_INTERCEPT: ("intercepting text messages",
                       "Can read incoming text messages as they arrive."),
    _C.CALL_LOG: ("call history", "Can read the list of calls made and received."),
    _C.CALL_RECORDING: ("call recording", "Can record phone calls."),
    _C.MICROPHONE: ("sound recording", "Can record sound with the microphone."),
    _C.CAMERA: ("camera", "Can take photos or video with the camera."),
    _C.CONTACTS: ("contacts", "Can read the contacts list."),
    _C.SCREEN_CAPTURE: ("screen capture", "Can capture what is shown on the screen."),
    _C.ACCESSIBILITY_KEYLOGGING: ("reading the screen and typing (accessibility)",
        "Can read what is on screen and what is typed, through an accessibility service."),
    _C.NOTIFICATION_READING: ("reading notifications",
                              "Can read every notification, including message previews."),
    _C.BROWSER_HISTORY: ("browsing history", "Can read which web sites are visited."),
    _C.MESSAGING_CAPTURE: ("collecting messaging-app conversations",
        "Can collect conversations from messaging apps (WhatsApp, Telegram, ...)."),
    _C.REMOTE_COMMANDS: ("remote commands", "Can receive commands sent from elsewhere."),
    _C.HIDE_ICON: ("hidden icon", "Can run without an icon in the app list, or remove its icon."),
    _C.MASQUERADING: ("system-like name", "Presents itself under a system-like name."),
    _C.UNINSTALL_PROTECTION: ("uninstall protection", "Can make itself hard to uninstall."),
    _C.DEVICE_ADMIN_WIPE: ("erasing the phone",
                           "Can erase the phone (device administrator policy)."),
    _C.DEVICE_ADMIN_LOCK: ("locking the phone",
                           "Can lock the phone or change its lock (device administrator)."),
    _C.PERSISTENCE: ("restarting by itself",
                     "Starts again by itself after a restart, or keeps running."),
    _C.EXFILTRATION_ENDPOINTS: ("internet endpoints",
                                "Has internet addresses it can send data to."),
    _C.VPN_INTERCEPTION: ("intercepting internet traffic (VPN)",
                          "Can route the phone's internet traffic through itself (VPN)."),
    _C.INPUT_METHOD: ("keyboard", "Is a keyboard, so it sees everything typed with it."),
    _C.INSTALL_PACKAGES: ("installing apps", "Can install other apps."),
    _C.READ_STORAGE: ("photos and files", "Can read photos, videos and files on the phone."),
    _C.USAGE_STATS: ("app usage", "Can see which apps are used and when."),
    _C.OVERLAY: ("drawing over other apps", "Can draw over other apps."),
}
# fmt: on


class Confidence(StrEnum):
    """How much evidence backs a capability, weakest first."""

    LOW = "low"
    """A permission or one generic sign only: the app can ask for it."""
    MEDIUM = "medium"
    """A component, configuration or code that puts the capability to use."""
    HIGH = "high"
    """Manifest, configuration and code agree."""

    @property
    def rank(self) -> int:
        return _CONFIDENCE_RANK[self]


_CONFIDENCE_RANK = {confidence: rank for rank, confidence in enumerate(Confidence)}


class EvidenceKind(StrEnum):
    PERMISSION = "permission"
    COMPONENT = "component"
    INTENT_ACTION = "intent-action"
    CONFIG = "config"
    ATTRIBUTE = "attribute"
    """A manifest attribute such as the app's label or package name."""
    DEX_STRING = "dex-string"
    ENDPOINT = "endpoint"
    INDICATOR = "indicator"
    """A feed indicator that matched (used by the criteria engine)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact a conclusion rests on, and the file it was read from."""

    kind: EvidenceKind
    value: str
    source: str
    """``AndroidManifest.xml``, a config path such as ``res/xml/accessibility.xml``, a dex file."""


@dataclass(frozen=True, slots=True)
class CapabilityFinding:
    capability: Capability
    confidence: Confidence
    evidence: tuple[Evidence, ...]
    note: str = ""
    """Extra context, e.g. that a long list of endpoints was cut short."""

    @property
    def description(self) -> str:
        return self.capability.description


def detect_capabilities(
    manifest: Manifest,
    dex_strings: Iterable[str] | Mapping[str, Iterable[str]] = (),
    dex: Sequence[DexInfo] = (),
) -> tuple[CapabilityFinding, ...]:
    """Every capability the evidence supports, one finding each, in :class:`Capability` order.

    ``dex_strings`` are the string tables of the app's dex files, either per
    file (``{"classes.dex": strings, ...}``, so evidence names its file) or as
    one iterable. ``dex`` carries the endpoints (URLs, domains, IPs) the dex
    parser found; when it is empty, the ``http(s)://`` strings stand in.
    Capabilities without evidence are left out.
    """
    # The facts and the rules build on this module's types: imported when first needed.
    from unstalk.apk.capabilities_facts import AppFacts, StringIndex
    from unstalk.apk.capabilities_rules import CHECKS, NEEDLES

    facts = AppFacts(manifest, StringIndex.of(dex_strings, NEEDLES), dex)
    best = by_capability(finding for check in CHECKS for finding in check(facts))
    return tuple(best[c] for c in Capability if c in best)


def by_capability(
    findings: Iterable[CapabilityFinding],
) -> dict[Capability, CapabilityFinding]:
    """Findings keyed by capability (the strongest when one appears twice)."""
    table: dict[Capability, CapabilityFinding] = {}
    for finding in findings:
        known = table.get(finding.capability)
        if known is None or finding.confidence.rank > known.confidence.rank:
            table[finding.capability] = finding
    return table
