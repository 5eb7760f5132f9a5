"""Manifest components and XML configs as real apps declare them, for the synthetic corpus.

Each helper returns the declaration the Android documentation prescribes for the feature
(the binding permission, the intent action, the meta-data name), so an analyser that
recognises real apps recognises these.
"""

from __future__ import annotations

from tests.apk.builder.apk import ComponentSpec, IntentFilterSpec, MetaDataSpec
from tests.apk.builder.axml_writer import Element, HexInt, el

MAIN = "android.intent.action.MAIN"
LAUNCHER = "android.intent.category.LAUNCHER"
BOOT_COMPLETED = "android.intent.action.BOOT_COMPLETED"
SMS_RECEIVED = "android.provider.Telephony.SMS_RECEIVED"
PHONE_STATE = "android.intent.action.PHONE_STATE"
NEW_OUTGOING_CALL = "android.intent.action.NEW_OUTGOING_CALL"
DEVICE_ADMIN_ENABLED = "android.app.action.DEVICE_ADMIN_ENABLED"
ACCESSIBILITY_ACTION = "android.accessibilityservice.AccessibilityService"
NOTIFICATION_LISTENER_ACTION = "android.service.notification.NotificationListenerService"

# android.content.pm.ServiceInfo.FOREGROUND_SERVICE_TYPE_* flags.
FGS_DATA_SYNC = 0x1
FGS_LOCATION = 0x8
FGS_MICROPHONE = 0x80

# android.view.accessibility.AccessibilityEvent.TYPE_* and AccessibilityServiceInfo values.
TYPE_VIEW_TEXT_CHANGED = 0x10
TYPE_WINDOW_STATE_CHANGED = 0x20
TYPE_NOTIFICATION_STATE_CHANGED = 0x40
TYPE_WINDOW_CONTENT_CHANGED = 0x800
TYPES_ALL_MASK = 0xFFFFFFFF
FEEDBACK_GENERIC = 0x10
FLAG_REPORT_VIEW_IDS = 0x10
FLAG_RETRIEVE_INTERACTIVE_WINDOWS = 0x40


def launcher_activity(name: str) -> ComponentSpec:
    """The activity with the home-screen icon (MAIN + LAUNCHER)."""
    return ComponentSpec(
        "activity",
        name,
        exported=True,
        intent_filters=(IntentFilterSpec((MAIN,), (LAUNCHER,)),),
    )


def activity(name: str) -> ComponentSpec:
    return ComponentSpec("activity", name, exported=False)


def launcher_alias(name: str, target: str) -> ComponentSpec:
    """An activity-alias carrying the launcher icon: disabling it at runtime hides the icon."""
    return ComponentSpec(
        "activity-alias",
        name,
        exported=True,
        enabled=True,
        target_activity=target,
        intent_filters=(IntentFilterSpec((MAIN,), (LAUNCHER,)),),
    )


def receiver(
    name: str, *actions: str, priority: int | None = None, permission: str | None = None
) -> ComponentSpec:
    return ComponentSpec(
        "receiver",
        name,
        exported=True,
        permission=permission,
        intent_filters=(IntentFilterSpec(actions, priority=priority),),
    )


def boot_receiver(name: str) -> ComponentSpec:
    return receiver(name, BOOT_COMPLETED, "android.intent.action.QUICKBOOT_POWERON")


def sms_receiver(name: str, priority: int = 2147483647) -> ComponentSpec:
    """SMS_RECEIVED at the highest priority, so it runs before the messaging app."""
    return receiver(
        name, SMS_RECEIVED, priority=priority, permission="android.permission.BROADCAST_SMS"
    )


def call_receiver(name: str) -> ComponentSpec:
    return receiver(name, PHONE_STATE, NEW_OUTGOING_CALL)


def service(name: str, foreground_type: int | None = None) -> ComponentSpec:
    return ComponentSpec("service", name, exported=False, foreground_service_type=foreground_type)


def accessibility_service(name: str, config: str = "accessibility_service") -> ComponentSpec:
    return ComponentSpec(
        "service",
        name,
        exported=False,
        permission="android.permission.BIND_ACCESSIBILITY_SERVICE",
        intent_filters=(IntentFilterSpec((ACCESSIBILITY_ACTION,)),),
        meta_data=(MetaDataSpec("android.accessibilityservice", xml=config),),
    )


def notification_listener(name: str) -> ComponentSpec:
    return ComponentSpec(
        "service",
        name,
        exported=True,
        permission="android.permission.BIND_NOTIFICATION_LISTENER_SERVICE",
        intent_filters=(IntentFilterSpec((NOTIFICATION_LISTENER_ACTION,)),),
    )


def device_admin_receiver(name: str, config: str = "device_admin") -> ComponentSpec:
    return ComponentSpec(
        "receiver",
        name,
        exported=True,
        permission="android.permission.BIND_DEVICE_ADMIN",
        intent_filters=(IntentFilterSpec((DEVICE_ADMIN_ENABLED,)),),
        meta_data=(MetaDataSpec("android.app.device_admin", xml=config),),
    )


def accessibility_config(
    *, event_types: int, window_content: bool, packages: tuple[str, ...] = ()
) -> Element:
    """res/xml accessibility-service configuration."""
    attrs: dict[str, str | bool | int | HexInt] = {
        "android:description": "Keeps the app running smoothly.",
        "android:accessibilityEventTypes": HexInt(event_types),
        "android:accessibilityFeedbackType": HexInt(FEEDBACK_GENERIC),
        "android:accessibilityFlags": HexInt(
            FLAG_REPORT_VIEW_IDS | FLAG_RETRIEVE_INTERACTIVE_WINDOWS
        ),
        "android:notificationTimeout": 100,
        "android:canRetrieveWindowContent": window_content,
    }
    if packages:
        attrs["android:packageNames"] = ",".join(packages)
    return el("accessibility-service", attrs)


def device_admin_config(*policies: str) -> Element:
    """res/xml device-admin configuration with its ``<uses-policies>`` entries."""
    return el("device-admin", None, el("uses-policies", None, *(el(p) for p in policies)))


def permissions(*names: str) -> tuple[str, ...]:
    """Platform permission names from their short form: ``permissions("READ_SMS")``."""
    return tuple(f"android.permission.{name}" for name in names)
