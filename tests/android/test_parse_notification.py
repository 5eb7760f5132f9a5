"""``dumpsys notification``: apps allowed to read every notification."""

from __future__ import annotations

import pytest

from tests.android.parser_fixtures import OTHER_OUTPUTS, VERSIONS, recorded
from unstalk.android.model import ParseStatus
from unstalk.android.parsers.notification import parse_notification_listeners

SYSTEMUI = (
    "com.android.systemui/com.android.systemui.statusbar.phone.NotificationListenerWithPlugins"
)
SAMSUNG_HOME = (
    "com.sec.android.app.launcher/com.android.launcher3.notification.NotificationListener"
)
PIXEL_HOME = (
    "com.google.android.apps.nexuslauncher/com.android.launcher3.notification.NotificationListener"
)
SPY = "com.thetruth/com.thetruth.service.NotificationService"

EXPECTED = {
    "android-9": (SAMSUNG_HOME, SYSTEMUI),
    "android-12": (PIXEL_HOME, SPY, SYSTEMUI),
    "android-14": (PIXEL_HOME, SYSTEMUI),
}


@pytest.mark.parametrize("version", VERSIONS)
def test_listeners_of_each_phone(version: str) -> None:
    result = parse_notification_listeners(recorded(version, "dumpsys_notification.txt"), source="n")
    assert result.status is ParseStatus.OK, result.problems
    assert result.value == EXPECTED[version]


def test_assistants_and_condition_providers_are_not_listeners() -> None:
    result = parse_notification_listeners(
        recorded("android-14", "dumpsys_notification.txt"), source="n"
    )
    assert result.value is not None
    assert not any(
        name.startswith(("com.android.ext.services", "android/")) for name in result.value
    )


def test_the_setting_adds_what_the_dump_does_not_show() -> None:
    result = parse_notification_listeners(
        recorded("android-14", "dumpsys_notification.txt"),
        source="n",
        enabled_setting=f"{PIXEL_HOME}:com.example/.Listener",
    )
    assert result.status is ParseStatus.OK
    assert result.value == (PIXEL_HOME, SYSTEMUI, "com.example/com.example.Listener")


def test_the_setting_alone_when_the_dump_fails_is_partial() -> None:
    result = parse_notification_listeners("", source="n", enabled_setting=SPY)
    assert result.status is ParseStatus.PARTIAL
    assert result.value == (SPY,)


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_the_dump_are_unparsed(text: str) -> None:
    assert parse_notification_listeners(text, source="n").status is ParseStatus.UNPARSED


def test_another_dump_is_unparsed() -> None:
    text = recorded("android-9", "dumpsys_device_policy.txt")
    assert parse_notification_listeners(text, source="n").status is ParseStatus.UNPARSED


def test_a_changed_allowed_line_is_named() -> None:
    text = recorded("android-12", "dumpsys_notification.txt").replace(
        " (user: 0 isPrimary: true)\n    All notification listeners",
        " [user 0, primary]\n    All notification listeners",
    )
    result = parse_notification_listeners(text, source="n")
    assert result.status is ParseStatus.PARTIAL
    assert len(result.problems) == 1
    assert result.problems[0].startswith("line 39: allowed listener: 'com.google.android.apps")
    assert result.value is not None and SPY in result.value  # still read from the enabled list


def test_a_missing_enabled_list_is_reported() -> None:
    text = recorded("android-12", "dumpsys_notification.txt").replace(
        "All notification listeners (2) enabled for current profiles:", "Enabled listeners (2):"
    )
    result = parse_notification_listeners(text, source="n")
    assert result.status is ParseStatus.PARTIAL
    assert "no 'All notification listeners (N) enabled' list" in result.problems[0]
