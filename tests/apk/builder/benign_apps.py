"""Synthetic apps that must not be called stalkerware: benign apps, dual-use and watchware."""

from __future__ import annotations

from tests.apk.builder.apk import ComponentSpec, IntentFilterSpec, SyntheticApp
from tests.apk.builder.components import (
    FGS_DATA_SYNC,
    FGS_LOCATION,
    FGS_MICROPHONE,
    boot_receiver,
    call_receiver,
    device_admin_config,
    device_admin_receiver,
    launcher_activity,
    permissions,
    service,
)

BENIGN = (
    SyntheticApp(
        package="org.example.notes",
        label="Pocket Notes",
        version_code=12,
        version_name="1.4.2",
        components=(launcher_activity("org.example.notes.NotesActivity"),),
        dex_strings=("Lorg/example/notes/NotesActivity;", "notes.db", "SELECT * FROM notes"),
        schemes=("v1", "v2"),
        key="rsa-a",
        min_sdk=21,
        models="A notes app with no permissions at all.",
    ),
    SyntheticApp(
        package="org.example.calculator",
        label="Calculator Plus",
        version_code=3,
        version_name="3.0",
        components=(launcher_activity(".CalculatorActivity"),),
        dex_strings=("Lorg/example/calculator/CalculatorActivity;", "sqrt", "0123456789"),
        schemes=("v2",),
        key="ec-a",
        label_from_resources=False,
        models="A calculator: no permissions, relative component name, inline label, EC key.",
    ),
    SyntheticApp(
        package="org.example.browser",
        label="Lite Browser",
        version_code=88,
        version_name="8.8",
        permissions=permissions("INTERNET"),
        components=(
            launcher_activity("org.example.browser.BrowserActivity"),
            ComponentSpec(
                "activity",
                "org.example.browser.OpenLinkActivity",
                exported=True,
                intent_filters=(
                    IntentFilterSpec(
                        ("android.intent.action.VIEW",),
                        ("android.intent.category.DEFAULT", "android.intent.category.BROWSABLE"),
                        data_schemes=("http", "https"),
                    ),
                ),
            ),
        ),
        dex_strings=("https://www.example.org/start", "https://search.example.org/?q=", "WebView"),
        schemes=("v1", "v2", "v3"),
        key="rsa-a",
        min_sdk=21,
        models="A web browser asking for INTERNET only; its dex holds ordinary URLs.",
    ),
)

DUAL_USE = (
    SyntheticApp(
        package="org.example.familymap",
        label="Family Map",
        version_code=410,
        version_name="4.1.0",
        permissions=permissions(
            "INTERNET",
            "ACCESS_FINE_LOCATION",
            "ACCESS_BACKGROUND_LOCATION",
            "FOREGROUND_SERVICE",
            "FOREGROUND_SERVICE_LOCATION",
            "POST_NOTIFICATIONS",
        ),
        components=(
            launcher_activity("org.example.familymap.MapActivity"),
            service("org.example.familymap.SharingService", FGS_LOCATION),
        ),
        dex_strings=(
            "https://api.familymap.example/v1/locations",
            "startForeground",
            "You are sharing your location with your family",
            "requestLocationUpdates",
        ),
        schemes=("v2", "v3"),
        key="ec-b",
        target_sdk=34,
        models=(
            "Location sharing everyone in the family sees: launcher icon, background location "
            "and a foreground service with a persistent notification. Dual-use, not stalkerware."
        ),
    ),
    SyntheticApp(
        package="org.example.kidsguardian",
        label="Guardian Kids",
        version_code=21,
        version_name="2.1",
        permissions=permissions(
            "INTERNET",
            "ACCESS_FINE_LOCATION",
            "RECEIVE_BOOT_COMPLETED",
            "FOREGROUND_SERVICE",
            "PACKAGE_USAGE_STATS",
        ),
        components=(
            launcher_activity("org.example.kidsguardian.ParentActivity"),
            service("org.example.kidsguardian.MonitorService", FGS_DATA_SYNC),
            boot_receiver("org.example.kidsguardian.BootReceiver"),
            device_admin_receiver("org.example.kidsguardian.AdminReceiver"),
        ),
        xml_configs=(("device_admin", device_admin_config("force-lock", "limit-password")),),
        dex_strings=(
            "https://parents.kidsguardian.example/api/report",
            "startForeground",
            "This phone is supervised by Guardian Kids",
            "queryUsageStats",
        ),
        schemes=("v1", "v2"),
        key="ec-b",
        min_sdk=21,
        models=(
            "Overt parental control (watchware): launcher icon, a foreground service with a "
            "persistent 'supervised' notification, boot start and a device admin."
        ),
    ),
    SyntheticApp(
        package="org.example.callnotes",
        label="Call Notes",
        version_code=60,
        version_name="6.0",
        permissions=permissions(
            "RECORD_AUDIO",
            "READ_PHONE_STATE",
            "FOREGROUND_SERVICE",
            "FOREGROUND_SERVICE_MICROPHONE",
            "POST_NOTIFICATIONS",
        ),
        components=(
            launcher_activity("org.example.callnotes.RecordingsActivity"),
            call_receiver("org.example.callnotes.CallReceiver"),
            service("org.example.callnotes.RecorderService", FGS_MICROPHONE),
        ),
        dex_strings=(
            "Landroid/media/MediaRecorder;",
            "MediaRecorder",
            "setAudioSource",
            "startForeground",
            "Recording this call",
        ),
        schemes=("v2",),
        key="ec-a",
        target_sdk=34,
        models=(
            "A visible call recorder: launcher icon and a microphone foreground service whose "
            "notification shows while recording; keeps files on the phone. Dual-use."
        ),
    ),
)
