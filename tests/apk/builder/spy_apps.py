"""Synthetic apps modelling stalkerware: covert monitoring, and apps the bundled feed lists.

Each app carries one or two stalkerware traits (hidden icon, accessibility screen reading,
SMS interception ...) as manifests and dex strings only; there is no code in them.
"""

from __future__ import annotations

from tests.apk.builder.apk import SyntheticApp
from tests.apk.builder.components import (
    FGS_LOCATION,
    TYPE_VIEW_TEXT_CHANGED,
    TYPE_WINDOW_CONTENT_CHANGED,
    TYPE_WINDOW_STATE_CHANGED,
    accessibility_config,
    accessibility_service,
    activity,
    boot_receiver,
    call_receiver,
    device_admin_config,
    device_admin_receiver,
    launcher_activity,
    launcher_alias,
    notification_listener,
    permissions,
    service,
    sms_receiver,
)

MESSAGING_APPS = ("com.whatsapp", "org.telegram.messenger", "com.facebook.orca", "com.viber.voip")
FEED_C2_DOMAIN = "api.snoopza.com"
"""A c2 domain of the Snoopza family in the bundled Echap feed."""
FEED_PACKAGE = "com.thetruth"
"""A package name of the TheTruthSpy family in the bundled Echap feed."""
FEED_CERT_KEY = "rsa-feed"
"""Only one app is signed with this key: tests list its certificate in a test feed."""

COVERT = (
    SyntheticApp(
        package="com.android.system.wifisync",
        label="Wi-Fi Sync",
        version_code=7,
        version_name="1.0.7",
        permissions=permissions(
            "INTERNET",
            "ACCESS_FINE_LOCATION",
            "READ_CONTACTS",
            "RECEIVE_BOOT_COMPLETED",
            "FOREGROUND_SERVICE",
        ),
        components=(
            activity("com.android.system.wifisync.SetupActivity"),
            boot_receiver("com.android.system.wifisync.BootReceiver"),
            service("com.android.system.wifisync.SyncService", FGS_LOCATION),
        ),
        dex_strings=(
            "https://panel.wifisync-cloud.example/upload",
            "getLastKnownLocation",
            "content://com.android.contacts/contacts",
            "startForeground",
            "Wi-Fi optimisation is running",
        ),
        schemes=("v1",),
        key="rsa-b",
        min_sdk=21,
        target_sdk=28,
        models=(
            "Hidden icon: no launcher activity at all; starts at boot a foreground service whose "
            "notification poses as Wi-Fi optimisation, and sends location and contacts to a "
            "server. Old-style v1-only signature."
        ),
    ),
    SyntheticApp(
        package="net.example.phonecare",
        label="Phone Care",
        version_code=30,
        version_name="3.0",
        permissions=permissions(
            "INTERNET", "READ_CALL_LOG", "READ_CONTACTS", "ACCESS_FINE_LOCATION"
        ),
        components=(
            activity(".SetupActivity"),
            launcher_alias(".LauncherAlias", ".SetupActivity"),
            service(".SyncService"),
        ),
        dex_strings=(
            "setComponentEnabledSetting",
            "Landroid/content/pm/PackageManager;",
            "Landroid/content/ComponentName;",
            "net.example.phonecare.LauncherAlias",
            "content://call_log/calls",
            "https://phonecare-panel.example/api/logs",
        ),
        schemes=("v1", "v2"),
        key="ec-a",
        min_sdk=21,
        models=(
            "Icon hidden at runtime: the launcher entry is an activity-alias and the dex calls "
            "setComponentEnabledSetting on it after setup; reads call log and contacts."
        ),
    ),
    SyntheticApp(
        package="com.example.screenhelper",
        label="Screen Helper",
        version_code=5,
        version_name="0.5",
        permissions=permissions("INTERNET"),
        components=(
            launcher_activity("com.example.screenhelper.WelcomeActivity"),
            accessibility_service("com.example.screenhelper.HelperService"),
        ),
        xml_configs=(
            (
                "accessibility_service",
                accessibility_config(
                    event_types=TYPE_WINDOW_STATE_CHANGED
                    | TYPE_WINDOW_CONTENT_CHANGED
                    | TYPE_VIEW_TEXT_CHANGED,
                    window_content=True,
                    packages=MESSAGING_APPS,
                ),
            ),
        ),
        dex_strings=(
            *MESSAGING_APPS,
            "getRootInActiveWindow",
            "Landroid/view/accessibility/AccessibilityNodeInfo;",
            "findAccessibilityNodeInfosByViewId",
            "com.whatsapp:id/message_text",
            "https://screenhelper-sync.example/v1/messages",
        ),
        schemes=("v2",),
        key="rsa-b",
        utf8_strings=True,
        models=(
            "Accessibility service that reads window content of messaging apps (listed in its "
            "config and in the dex) and uploads it. Manifest string pool in UTF-8."
        ),
    ),
    SyntheticApp(
        package="com.android.devicecare.keeper",
        label="Device Care",
        version_code=112,
        version_name="1.1.2",
        permissions=permissions(
            "INTERNET", "ACCESS_FINE_LOCATION", "CAMERA", "RECEIVE_BOOT_COMPLETED"
        ),
        components=(
            activity("com.android.devicecare.keeper.MainActivity"),
            device_admin_receiver("com.android.devicecare.keeper.AdminReceiver"),
            boot_receiver("com.android.devicecare.keeper.BootReceiver"),
            service("com.android.devicecare.keeper.CommandService"),
        ),
        xml_configs=(
            (
                "device_admin",
                device_admin_config(
                    "limit-password",
                    "watch-login",
                    "reset-password",
                    "force-lock",
                    "wipe-data",
                    "disable-camera",
                ),
            ),
        ),
        dex_strings=(
            "Landroid/app/admin/DevicePolicyManager;",
            "isAdminActive",
            "lockNow",
            "takePicture",
            "https://devicecare-panel.example/cmd",
        ),
        schemes=("v1", "v2", "v3"),
        key="rsa-b",
        min_sdk=21,
        blank_attribute_names=True,
        models=(
            "Hidden device admin (resists removal, can wipe and lock) with camera and location. "
            "Its manifest blanks android:* attribute names, a trick that breaks name lookups."
        ),
    ),
    SyntheticApp(
        package="com.example.msgbackup",
        label="Message Backup",
        version_code=9,
        version_name="0.9",
        permissions=permissions("INTERNET", "RECEIVE_SMS", "READ_SMS"),
        components=(
            launcher_activity("com.example.msgbackup.StartActivity"),
            sms_receiver("com.example.msgbackup.SmsReceiver"),
            service("com.example.msgbackup.RelayService"),
        ),
        dex_strings=(
            "content://sms/inbox",
            "content://sms/sent",
            "createFromPdu",
            "abortBroadcast",
            "https://msgbackup-relay.example/sms",
        ),
        schemes=("v3",),
        key="ec-a",
        min_sdk=28,
        models=(
            "SMS interception: SMS_RECEIVED receiver at the highest priority plus READ_SMS, "
            "forwarding messages to a server. v3-only signature (minSdk 28)."
        ),
    ),
    SyntheticApp(
        package="com.android.callservice",
        label="Call Service",
        version_code=4,
        version_name="4",
        permissions=permissions(
            "RECORD_AUDIO",
            "READ_PHONE_STATE",
            "PROCESS_OUTGOING_CALLS",
            "RECEIVE_BOOT_COMPLETED",
            "INTERNET",
        ),
        components=(
            activity("com.android.callservice.ConfigActivity"),
            call_receiver("com.android.callservice.CallReceiver"),
            boot_receiver("com.android.callservice.BootReceiver"),
            service("com.android.callservice.RecorderService"),
        ),
        dex_strings=(
            "Landroid/media/MediaRecorder;",
            "MediaRecorder",
            "setAudioSource",
            "setOutputFile",
            "call_%d.amr",
            "https://callservice-upload.example/rec",
        ),
        schemes=("v1", "v2"),
        key="rsa-b",
        min_sdk=21,
        models=(
            "Covert call recording: PHONE_STATE / NEW_OUTGOING_CALL receiver, RECORD_AUDIO and "
            "MediaRecorder, no launcher icon and no notification, starts at boot."
        ),
    ),
    SyntheticApp(
        package="com.example.notifymirror",
        label="Notify Mirror",
        version_code=2,
        version_name="2.0",
        permissions=permissions("INTERNET"),
        components=(
            activity("com.example.notifymirror.SetupActivity"),
            notification_listener("com.example.notifymirror.MirrorListener"),
        ),
        dex_strings=("Lcom/example/notifymirror/MirrorListener;", "onNotificationPosted"),
        extra_dex=(
            (
                *MESSAGING_APPS,
                "android.text",
                "getNotification",
                "https://notifymirror.example/api/push",
            ),
        ),
        schemes=("v2", "v3"),
        key="rsa-b",
        models=(
            "Hidden notification listener copying messaging apps' notifications to a server; "
            "the telling strings sit in classes2.dex (multidex)."
        ),
    ),
)

FEED_LISTED = (
    SyntheticApp(
        package="com.android.backup.helper",
        label="Backup Helper",
        version_code=31,
        version_name="3.1",
        permissions=permissions("INTERNET", "RECEIVE_BOOT_COMPLETED", "READ_CONTACTS"),
        components=(
            launcher_activity("com.android.backup.helper.MainActivity"),
            boot_receiver("com.android.backup.helper.BootReceiver"),
            service("com.android.backup.helper.UploadService"),
        ),
        dex_strings=(
            f"https://{FEED_C2_DOMAIN}/api/v3/device/register",
            f"https://{FEED_C2_DOMAIN}/api/v3/upload",
        ),
        schemes=("v1", "v2"),
        key="ec-a",
        min_sdk=21,
        models=f"Talks to {FEED_C2_DOMAIN}, a c2 domain the bundled feed lists (Snoopza).",
    ),
    SyntheticApp(
        package=FEED_PACKAGE,
        label="Sync Services",
        version_code=1,
        version_name="1.0",
        permissions=permissions("INTERNET", "RECEIVE_BOOT_COMPLETED"),
        components=(
            launcher_activity("com.thetruth.MainActivity"),
            boot_receiver("com.thetruth.BootReceiver"),
        ),
        dex_strings=("Lcom/thetruth/MainActivity;",),
        schemes=("v1",),
        key="rsa-b",
        min_sdk=21,
        target_sdk=26,
        label_from_resources=False,
        models=f"Package name {FEED_PACKAGE}, listed by the bundled feed (TheTruthSpy).",
    ),
    SyntheticApp(
        package="com.example.coreupdater",
        label="Core Updater",
        version_code=15,
        version_name="1.5",
        permissions=permissions("INTERNET", "ACCESS_FINE_LOCATION", "RECEIVE_BOOT_COMPLETED"),
        components=(
            launcher_activity("com.example.coreupdater.UpdateActivity"),
            boot_receiver("com.example.coreupdater.BootReceiver"),
            service("com.example.coreupdater.PingService"),
        ),
        dex_strings=("https://coreupdater.example/api/ping", "getLastKnownLocation"),
        schemes=("v1", "v2", "v3"),
        key=FEED_CERT_KEY,
        min_sdk=21,
        models=(
            "Signed with the only certificate tests put into a test feed; by itself it starts at "
            "boot and reads location with no notification (suspicious)."
        ),
    ),
)
