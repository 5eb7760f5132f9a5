"""The capability rules: small generators gathered in :data:`CHECKS`.

Each rule reads :class:`~unstalk.apk.capabilities.AppFacts` and yields
findings. Confidence grows with independent sources: a permission alone is
LOW; a component, configuration or code that uses it is MEDIUM; manifest and
code together are HIGH. Rules that follow that pattern exactly are data
(:data:`PERMISSION_RULES`, :data:`SERVICE_RULES`); the rest are functions.
Substrings a rule looks for must be in :data:`NEEDLES`, so the string index
finds them all in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from unstalk.apk.capabilities import (
    Capability,
    CapabilityFinding,
    Confidence,
    Evidence,
    EvidenceKind,
)
from unstalk.apk.capabilities_facts import (
    MANIFEST,
    AppFacts,
    component_evidence,
    finding,
    graded,
    platform_package,
    system_like_label,
    words,
)
from unstalk.apk.model import Component, ComponentKind

Check = Callable[[AppFacts], Iterator[CapabilityFinding]]
C = Capability
SERVICE, RECEIVER = ComponentKind.SERVICE, ComponentKind.RECEIVER


# Permission plus code -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PermissionRule:
    """LOW on a permission, MEDIUM with code using it, HIGH with ``strong`` code too."""

    capability: Capability
    permissions: tuple[str, ...]
    code: tuple[str, ...] = ()
    """Exact dex strings (API names, type descriptors)."""
    substrings: tuple[str, ...] = ()
    """Parts of dex strings (content URIs); each must be in :data:`NEEDLES`."""
    strong: tuple[str, ...] = ()


_LOCATION_CODE = words("""
    requestLocationUpdates getLastKnownLocation getCurrentLocation requestSingleUpdate
    Lcom/google/android/gms/location/FusedLocationProviderClient;
""")
_RECORDERS = ("Landroid/media/MediaRecorder;", "Landroid/media/AudioRecord;")
_P = "Landroid/provider/"

# fmt: off
PERMISSION_RULES = (
    PermissionRule(C.LOCATION_FINE, ("ACCESS_FINE_LOCATION",), _LOCATION_CODE),
    PermissionRule(C.SMS_READ, ("READ_SMS",), (f"{_P}Telephony$Sms;", f"{_P}Telephony$Sms$Inbox;"),
                   ("content://sms", "content://mms-sms")),
    PermissionRule(C.CALL_LOG, ("READ_CALL_LOG",), (f"{_P}CallLog$Calls;",), ("content://call_log",)),
    PermissionRule(C.MICROPHONE, ("RECORD_AUDIO",), _RECORDERS, strong=("setOutputFile",)),
    PermissionRule(C.CAMERA, ("CAMERA",), ("Landroid/hardware/camera2/CameraDevice;",
                                          "Landroidx/camera/core/ImageCapture;")),
    PermissionRule(C.CONTACTS, ("READ_CONTACTS",), (f"{_P}ContactsContract$Contacts;",
                   f"{_P}ContactsContract$CommonDataKinds$Phone;"), ("content://com.android.contacts",)),
    PermissionRule(C.INSTALL_PACKAGES, ("REQUEST_INSTALL_PACKAGES", "INSTALL_PACKAGES"),
                   ("application/vnd.android.package-archive",
                    "Landroid/content/pm/PackageInstaller$Session;")),
    PermissionRule(C.READ_STORAGE, words("""READ_EXTERNAL_STORAGE MANAGE_EXTERNAL_STORAGE
                   READ_MEDIA_IMAGES READ_MEDIA_VIDEO READ_MEDIA_AUDIO"""),
                   (f"{_P}MediaStore$Images$Media;", f"{_P}MediaStore$Video$Media;",
                    "getExternalStorageDirectory")),
    PermissionRule(C.USAGE_STATS, ("PACKAGE_USAGE_STATS",), ("queryUsageStats", "queryEvents")),
    PermissionRule(C.OVERLAY, ("SYSTEM_ALERT_WINDOW",), ("canDrawOverlays",)),
)
# fmt: on


def check_permission_rules(facts: AppFacts) -> Iterator[CapabilityFinding]:
    strings = facts.strings
    for rule in PERMISSION_RULES:
        requested = facts.permissions(*rule.permissions)
        if not requested:
            continue  # graded() finds nothing without a permission: spare the code look-ups
        code = strings.exact(*rule.code) + strings.containing(*rule.substrings)
        strong = strings.exact(*rule.strong) if rule.strong else None
        yield from graded(rule.capability, requested, code, strong)


# Bound services -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceRule:
    """MEDIUM on a service the system binds with ``guard``; HIGH when the code uses it too."""

    capability: Capability
    guard: str
    action: str
    code: tuple[str, ...]


A11Y = "BIND_ACCESSIBILITY_SERVICE"
A11Y_ACTION = "android.accessibilityservice.AccessibilityService"
LISTENER = "BIND_NOTIFICATION_LISTENER_SERVICE"
LISTENER_ACTION = "android.service.notification.NotificationListenerService"

# Notification.EXTRA_TEXT and EXTRA_TITLE are constants, compiled into the code as strings.
# fmt: off
SERVICE_RULES = (
    ServiceRule(C.NOTIFICATION_READING, LISTENER, LISTENER_ACTION,
                ("getActiveNotifications", "android.text", "android.title")),
    ServiceRule(C.VPN_INTERCEPTION, "BIND_VPN_SERVICE", "android.net.VpnService",
                ("Landroid/net/VpnService$Builder;",)),
    ServiceRule(C.INPUT_METHOD, "BIND_INPUT_METHOD", "android.view.InputMethod",
                ("getCurrentInputConnection",)),
)
# fmt: on


def check_service_rules(facts: AppFacts) -> Iterator[CapabilityFinding]:
    for rule in SERVICE_RULES:
        services = facts.bound_evidence(rule.guard, rule.action)
        if services:
            uses = facts.strings.exact(*rule.code)
            confidence = Confidence.HIGH if uses else Confidence.MEDIUM
            yield finding(rule.capability, confidence, services, uses)


# Location, messages, calls --------------------------------------------------------------------


def check_background_location(facts: AppFacts) -> Iterator[CapabilityFinding]:
    background = facts.permissions("ACCESS_BACKGROUND_LOCATION")
    location = facts.permissions("ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION")
    services = facts.foreground_services("location")
    target = facts.manifest.target_sdk
    if not background and location and target is not None and target < 29:
        # Before Android 10 every location permission also worked in the background.
        note = f"targetSdkVersion={target} (before 29)"
        background = [*location, Evidence(EvidenceKind.ATTRIBUTE, note, MANIFEST)]
    base = background or (location + services if services and location else [])
    code = facts.strings.exact(*_LOCATION_CODE)
    yield from graded(C.LOCATION_BACKGROUND, base, code, services if background else None)


SMS_RECEIVED = "android.provider.Telephony.SMS_RECEIVED"
_PHONE_ACTIONS = {"android.intent.action.PHONE_STATE", "android.intent.action.NEW_OUTGOING_CALL"}


def check_sms_intercept(facts: AppFacts) -> Iterator[CapabilityFinding]:
    receivers = facts.with_actions(RECEIVER, {SMS_RECEIVED})
    code = facts.strings.exact("createFromPdu", "getMessagesFromIntent", "abortBroadcast")
    base = facts.permissions("RECEIVE_SMS")
    yield from graded(C.SMS_INTERCEPT, base, receivers or code, receivers and code)


def check_call_recording(facts: AppFacts) -> Iterator[CapabilityFinding]:
    audio = facts.permissions("RECORD_AUDIO")
    phone = facts.permissions("READ_PHONE_STATE", "PROCESS_OUTGOING_CALLS")
    receivers = facts.with_actions(RECEIVER, _PHONE_ACTIONS)
    if not audio or not (phone or receivers):
        return
    recorder = facts.strings.exact(*_RECORDERS)
    # Messengers watch call state in code to pause voice notes; a manifest receiver
    # that wakes the app on every call, plus a recorder, is the call-recorder pattern.
    medium = receivers + recorder if receivers and recorder else []
    yield from graded(C.CALL_RECORDING, audio + phone, medium, facts.strings.exact("setOutputFile"))


# Screen, accessibility, browsing, messengers --------------------------------------------------


def accessibility_evidence(facts: AppFacts) -> list[Evidence]:
    return facts.bound_evidence(A11Y, A11Y_ACTION)


_WINDOW_READING = words("""
    getRootInActiveWindow findAccessibilityNodeInfosByViewId findAccessibilityNodeInfosByText
""")


def check_accessibility_keylogging(facts: AppFacts) -> Iterator[CapabilityFinding]:
    # androidx ships these names too, so code alone proves nothing without a declared service.
    code = facts.strings.exact(*_WINDOW_READING)
    config = facts.accessibility_config(A11Y, A11Y_ACTION)
    if config and code:
        base = accessibility_evidence(facts)
        yield finding(C.ACCESSIBILITY_KEYLOGGING, Confidence.HIGH, base, config, code)
    else:
        yield from graded(C.ACCESSIBILITY_KEYLOGGING, accessibility_evidence(facts), config or code)


_PROJECTION = words("""
    Landroid/media/projection/MediaProjectionManager; createScreenCaptureIntent getMediaProjection
""")


def check_screen_capture(facts: AppFacts) -> Iterator[CapabilityFinding]:
    projection = facts.strings.exact(*_PROJECTION)
    frames = facts.strings.exact("createVirtualDisplay", "acquireLatestImage")
    a11y = accessibility_evidence(facts)
    shots = facts.strings.exact("takeScreenshot") if a11y else []
    declared = facts.permissions("FOREGROUND_SERVICE_MEDIA_PROJECTION")
    declared += facts.foreground_services("mediaProjection")
    if projection:
        yield from graded(C.SCREEN_CAPTURE, declared + projection, projection, frames)
    elif shots:
        yield finding(C.SCREEN_CAPTURE, Confidence.MEDIUM, a11y, shots)
    elif declared:
        yield finding(C.SCREEN_CAPTURE, Confidence.LOW, declared)


_BROWSER_URIS = words("""
    content://browser/ content://com.android.chrome.browser/
    content://com.sec.android.app.sbrowser.browser/
""")
_URL_BAR_IDS = words("""
    :id/url_bar :id/url_field :id/location_bar_edit_text :id/mozac_browser_toolbar_url_view
""")


def check_browser_history(facts: AppFacts) -> Iterator[CapabilityFinding]:
    permission = facts.permissions("com.android.browser.permission.READ_HISTORY_BOOKMARKS")
    providers = facts.strings.containing(*_BROWSER_URIS)
    a11y = accessibility_evidence(facts)
    url_bars = facts.strings.containing(*_URL_BAR_IDS) if a11y else []
    if url_bars:
        confidence = Confidence.HIGH if providers else Confidence.MEDIUM
        yield finding(C.BROWSER_HISTORY, confidence, a11y, url_bars, providers)
    else:
        # Android 6 removed the bookmarks provider; without the permission it never worked.
        medium = providers if permission else []
        yield from graded(C.BROWSER_HISTORY, permission or providers, medium)


MESSENGERS = words("""
    com.whatsapp com.whatsapp.w4b org.telegram.messenger org.thunderdog.challegram
    com.facebook.orca com.facebook.mlite com.facebook.katana com.viber.voip
    jp.naver.line.android com.instagram.android com.snapchat.android com.skype.raider
    com.tencent.mm com.kakao.talk org.thoughtcrime.securesms com.imo.android.imoim kik.android
    com.discord com.tinder com.google.android.apps.messaging com.samsung.android.messaging
    com.google.android.gm ch.threema.app com.zhiliaoapp.musically
""")
_MESSENGER_IDS = tuple(f"{package}:id/" for package in MESSENGERS)
_MESSAGE_FILES = words("""
    /WhatsApp/Media /WhatsApp/Databases /Android/media/com.whatsapp msgstore.db wa.db
    cache4.db EnMicroMsg.db
""")
_MESSAGE_DATABASES = ("viber_messages", "naver_line", "threads_db2")


def check_messaging_capture(facts: AppFacts) -> Iterator[CapabilityFinding]:
    apps = facts.strings.containing(*MESSENGERS)
    files = facts.strings.containing(*_MESSAGE_FILES)
    files += facts.strings.exact(*_MESSAGE_DATABASES)
    if not apps and not files:
        return
    views = facts.strings.containing(*_MESSENGER_IDS)
    a11y = accessibility_evidence(facts)
    listeners = facts.bound_evidence(LISTENER, LISTENER_ACTION)
    if views and a11y:
        yield finding(C.MESSAGING_CAPTURE, Confidence.HIGH, a11y, views, files, apps)
    elif files:
        confidence = Confidence.HIGH if a11y or listeners else Confidence.MEDIUM
        yield finding(C.MESSAGING_CAPTURE, confidence, files, a11y, listeners, apps)
    elif a11y or listeners:
        yield finding(C.MESSAGING_CAPTURE, Confidence.MEDIUM, a11y, listeners, apps)
    elif views:
        # Messengers' view ids matter only to a service that reads the screen.
        yield finding(C.MESSAGING_CAPTURE, Confidence.LOW, views)
    # Messenger package names alone are share targets, which almost every app names.


# Control and concealment ----------------------------------------------------------------------

_PUSH_ACTIONS = set(
    words("""
        com.google.firebase.MESSAGING_EVENT com.google.android.c2dm.intent.RECEIVE
        com.google.android.c2dm.intent.REGISTRATION
    """)
)
_COMMAND_CHANNELS = words("""
    Lorg/eclipse/paho/client/mqttv3/MqttClient; Lorg/eclipse/paho/android/service/MqttAndroidClient;
    Lio/socket/client/Socket; Lorg/java_websocket/client/WebSocketClient;
""")
_EAGER = 999
"""An SMS receiver this eager sees texts before the messaging app does: commands by SMS."""


def check_remote_commands(facts: AppFacts) -> Iterator[CapabilityFinding]:
    push = facts.with_actions(None, _PUSH_ACTIONS)
    channels = facts.strings.exact(*_COMMAND_CHANNELS)
    sms = [
        component_evidence(c, f"{SMS_RECEIVED} at priority {f.priority}")
        for c in facts.components(RECEIVER, actions={SMS_RECEIVED})
        for f in c.intent_filters
        if SMS_RECEIVED in f.actions and (f.priority or 0) >= _EAGER
    ]
    if sms and facts.has_permission("RECEIVE_SMS"):
        yield from graded(C.REMOTE_COMMANDS, sms, sms, push + channels)
    elif push or channels:
        # Push messaging is in nearly every app: on its own it proves little.
        yield finding(C.REMOTE_COMMANDS, Confidence.LOW, push, channels)


def check_hide_icon(facts: AppFacts) -> Iterator[CapabilityFinding]:
    entries = facts.launcher_entries()
    enabled = [c for c in entries if c.enabled]
    # COMPONENT_ENABLED_STATE_DISABLED is an int constant, compiled away unless reflected on.
    toggles = facts.strings.exact("setComponentEnabledSetting", "COMPONENT_ENABLED_STATE_DISABLED")
    if not enabled:
        text = "no enabled activity in the launcher (MAIN + LAUNCHER)"
        absent = [Evidence(EvidenceKind.COMPONENT, text, MANIFEST)]
        disabled = [component_evidence(c, "launcher entry, disabled at install") for c in entries]
        yield finding(C.HIDE_ICON, Confidence.MEDIUM, absent, disabled, toggles)
    elif facts.strings.source("setComponentEnabledSetting"):
        named = facts.strings.exact(*(c.name for c in enabled))
        # Code naming the only launcher entry, and able to disable components, can remove
        # the icon; several entries usually mean an icon chooser instead.
        strong = len(enabled) == 1 and named
        yield finding(C.HIDE_ICON, Confidence.MEDIUM if strong else Confidence.LOW, toggles, named)


def check_masquerading(facts: AppFacts) -> Iterator[CapabilityFinding]:
    label, package = facts.manifest.label, facts.manifest.package
    if label and system_like_label(label):
        evidence = [
            Evidence(EvidenceKind.ATTRIBUTE, f"label={label!r}", MANIFEST),
            Evidence(EvidenceKind.ATTRIBUTE, f"package={package}", MANIFEST),
        ]
        if not platform_package(package):
            yield finding(C.MASQUERADING, Confidence.MEDIUM, evidence)
        else:
            note = "Genuine platform apps look the same: only the signing certificate can tell."
            yield finding(C.MASQUERADING, Confidence.LOW, evidence, note=note)


ADMIN = "BIND_DEVICE_ADMIN"
ADMIN_ACTION = "android.app.action.DEVICE_ADMIN_ENABLED"
_INSTALLERS = ("com.android.packageinstaller", "com.google.android.packageinstaller")


def device_admins(facts: AppFacts) -> list[Component]:
    return facts.components(RECEIVER, permission_name=ADMIN, actions={ADMIN_ACTION})


def check_uninstall_protection(facts: AppFacts) -> Iterator[CapabilityFinding]:
    admins = [component_evidence(c, f"bound by {ADMIN}") for c in device_admins(facts)]
    warns = facts.strings.exact("onDisableRequested")
    a11y = accessibility_evidence(facts)
    installer = facts.strings.containing(*_INSTALLERS) if a11y else []
    back_out = facts.strings.exact("performGlobalAction") if installer else []
    # An accessibility service that watches the package installer and presses Back or
    # Home keeps the person from ever reaching the uninstall button.
    blocking = a11y + installer + back_out if back_out else []
    if admins:
        yield from graded(C.UNINSTALL_PROTECTION, admins, admins, warns + blocking)
    elif blocking:
        yield finding(C.UNINSTALL_PROTECTION, Confidence.MEDIUM, blocking)


_ADMIN_POLICIES = (
    (C.DEVICE_ADMIN_WIPE, ("wipe-data",), ("wipeData",)),
    (C.DEVICE_ADMIN_LOCK, ("force-lock", "reset-password"), ("lockNow", "resetPassword")),
)


def check_device_admin_policies(facts: AppFacts) -> Iterator[CapabilityFinding]:
    configs = [
        (admin, config)
        for admin in device_admins(facts)
        if (config := facts.config(admin, "android.app.device_admin")) is not None
    ]
    for capability, policies, calls in _ADMIN_POLICIES:
        declared = [
            Evidence(EvidenceKind.CONFIG, f"<{policy}> for {admin.name}", config.path)
            for admin, config in configs
            for policy in policies
            if policy in config.children
        ]
        yield from graded(capability, declared, declared, facts.strings.exact(*calls))


_BOOT_ACTIONS = set(
    words("""
        android.intent.action.BOOT_COMPLETED android.intent.action.LOCKED_BOOT_COMPLETED
        android.intent.action.QUICKBOOT_POWERON com.htc.intent.action.QUICKBOOT_POWERON
    """)
)


def check_persistence(facts: AppFacts) -> Iterator[CapabilityFinding]:
    permission = facts.permissions("RECEIVE_BOOT_COMPLETED")
    boot = facts.with_actions(RECEIVER, _BOOT_ACTIONS) if permission else []
    running = facts.foreground_services()
    if boot or running:
        confidence = Confidence.HIGH if boot and running else Confidence.MEDIUM
        yield finding(C.PERSISTENCE, confidence, permission, boot, running)
    elif permission:
        yield finding(C.PERSISTENCE, Confidence.LOW, permission)


# Endpoints ------------------------------------------------------------------------------------

MAX_ENDPOINTS = 40


def check_exfiltration_endpoints(facts: AppFacts) -> Iterator[CapabilityFinding]:
    internet = facts.permissions("INTERNET")
    endpoints, standing_out = facts.endpoints() if internet else ([], [])
    if endpoints:
        shown = list(dict.fromkeys([*standing_out, *endpoints]))[:MAX_ENDPOINTS]
        cut = len(endpoints) > MAX_ENDPOINTS
        note = f"{len(endpoints)} endpoints; the first {MAX_ENDPOINTS} are listed." if cut else ""
        confidence = Confidence.MEDIUM if standing_out else Confidence.LOW
        yield finding(C.EXFILTRATION_ENDPOINTS, confidence, internet, shown, note=note)


# fmt: off
CHECKS: tuple[Check, ...] = (
    check_permission_rules, check_service_rules, check_background_location, check_sms_intercept,
    check_call_recording, check_accessibility_keylogging, check_screen_capture,
    check_browser_history, check_messaging_capture, check_remote_commands, check_hide_icon,
    check_masquerading, check_uninstall_protection, check_device_admin_policies,
    check_persistence, check_exfiltration_endpoints,
)
# fmt: on

NEEDLES = frozenset(
    [s for rule in PERMISSION_RULES for s in rule.substrings]
    + [*_BROWSER_URIS, *_URL_BAR_IDS, *MESSENGERS, *_MESSENGER_IDS, *_MESSAGE_FILES, *_INSTALLERS]
)
"""Every substring a rule asks :meth:`StringIndex.containing` about."""
