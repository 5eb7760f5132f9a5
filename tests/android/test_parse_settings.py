"""``settings list secure|system|global``."""

from __future__ import annotations

import pytest

from tests.android.parser_fixtures import OTHER_OUTPUTS, VERSIONS, recorded
from unstalk.android.model import ParseStatus
from unstalk.android.parsers.settings import (
    combine_settings,
    components_setting,
    parse_settings_list,
)

TALKBACK = "com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService"


def read(version: str, namespace: str) -> object:
    return parse_settings_list(
        recorded(version, f"settings_{namespace}.txt"), source=f"settings_{namespace}.txt"
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_the_three_namespaces_of_each_phone(version: str) -> None:
    parts = [
        parse_settings_list(
            recorded(version, f"settings_{name}.txt"), source=f"settings_{name}.txt"
        )
        for name in ("secure", "system", "global")
    ]
    result = combine_settings(*parts)
    assert result.status is ParseStatus.OK
    settings = result.value
    assert settings is not None
    assert settings.get("secure", "accessibility_enabled") == "1"
    assert settings.get("global", "adb_enabled") == "1"
    assert settings.get("system", "screen_off_timeout") == "60000"
    assert settings.get("secure", "no_such_key") is None
    enabled, bad = components_setting(settings, "enabled_accessibility_services")
    assert enabled[0] == TALKBACK and bad == ()


def test_the_spy_apps_entries_in_the_android_12_settings() -> None:
    secure = parse_settings_list(recorded("android-12", "settings_secure.txt"), source="s")
    assert secure.value is not None
    table = dict(secure.value)
    assert table["enabled_accessibility_services"] == (
        f"{TALKBACK}:com.thetruth/com.thetruth.service.AccessibilityMonitorService"
    )
    assert table["enabled_notification_listeners"].endswith(
        ":com.thetruth/com.thetruth.service.NotificationService"
    )


def test_values_keep_their_own_equals_signs() -> None:
    result = parse_settings_list("a=b=c\nurl=https://x.example/?q=1&r=2\nempty=\n", source="s")
    assert result.value == (("a", "b=c"), ("url", "https://x.example/?q=1&r=2"), ("empty", ""))


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_settings_are_unparsed(text: str) -> None:
    assert parse_settings_list(text, source="s").status is ParseStatus.UNPARSED


def test_another_commands_output_is_unparsed() -> None:
    text = recorded("android-14", "dumpsys_device_policy.txt")
    assert parse_settings_list(text, source="s").status is ParseStatus.UNPARSED


def test_a_line_that_is_no_setting_is_named() -> None:
    text = recorded("android-14", "settings_global.txt") + "second line of a multi-line value\n"
    result = parse_settings_list(text, source="s")
    assert result.status is ParseStatus.PARTIAL
    assert "second line of a multi-line value" in result.problems[0]


def test_a_namespace_that_failed_makes_the_whole_partial_and_says_which() -> None:
    secure = parse_settings_list(
        "cmd: Failure calling service settings", source="settings_secure.txt"
    )
    system = parse_settings_list(
        recorded("android-9", "settings_system.txt"), source="settings_system.txt"
    )
    global_ = parse_settings_list(
        recorded("android-9", "settings_global.txt"), source="settings_global.txt"
    )
    result = combine_settings(secure, system, global_)
    assert result.status is ParseStatus.PARTIAL
    assert result.value is not None and result.value.secure == ()
    assert result.problems[0].startswith("settings_secure.txt: the service did not answer")
    none = combine_settings(secure, secure, secure)
    assert none.status is ParseStatus.UNPARSED
