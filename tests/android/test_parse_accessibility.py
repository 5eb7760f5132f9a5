"""``dumpsys accessibility`` with the ``enabled_accessibility_services`` setting."""

from __future__ import annotations

import pytest

from tests.android.parser_fixtures import OTHER_OUTPUTS, VERSIONS, recorded
from unstalk.android.model import AccessibilityState, ParseStatus
from unstalk.android.parsers.accessibility import parse_accessibility
from unstalk.android.parsers.settings import parse_settings_list

TALKBACK = "com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService"
SPY = "com.thetruth/com.thetruth.service.AccessibilityMonitorService"

EXPECTED = {
    "android-9": AccessibilityState(enabled=(TALKBACK,), bound=("TalkBack",)),
    "android-12": AccessibilityState(enabled=(TALKBACK, SPY), bound=("TalkBack", "System Service")),
    "android-14": AccessibilityState(enabled=(TALKBACK,), bound=("TalkBack",)),
}


def setting(version: str) -> str | None:
    table = parse_settings_list(recorded(version, "settings_secure.txt"), source="s").value
    assert table is not None
    return dict(table).get("enabled_accessibility_services")


@pytest.mark.parametrize("version", VERSIONS)
def test_enabled_and_bound_services_of_each_phone(version: str) -> None:
    result = parse_accessibility(
        recorded(version, "dumpsys_accessibility.txt"),
        source="dumpsys_accessibility.txt",
        enabled_setting=setting(version),
    )
    assert result.status is ParseStatus.OK, result.problems
    assert result.value == EXPECTED[version]


@pytest.mark.parametrize("version", ["android-12", "android-14"])
def test_android_10_and_later_dumps_name_enabled_services_themselves(version: str) -> None:
    result = parse_accessibility(recorded(version, "dumpsys_accessibility.txt"), source="a")
    assert result.status is ParseStatus.OK
    assert result.value == EXPECTED[version]


def test_android_9_without_the_setting_says_what_it_cannot_know() -> None:
    result = parse_accessibility(recorded("android-9", "dumpsys_accessibility.txt"), source="a")
    assert result.status is ParseStatus.PARTIAL
    assert result.value == AccessibilityState(enabled=(), bound=("TalkBack",))
    assert result.problems == (
        "user 0: this Android version does not list enabled services in the dump and the "
        "enabled_accessibility_services setting was not given",
    )


def test_samsung_android_15_installed_block_and_short_names() -> None:
    result = parse_accessibility(recorded("android-15", "dumpsys_accessibility.txt"), source="a")
    assert result.status is ParseStatus.OK, result.problems
    assert result.value == AccessibilityState(enabled=(TALKBACK,), bound=("TalkBack",))


def test_older_samsung_multi_line_lists() -> None:
    text = (
        "ACCESSIBILITY MANAGER (dumpsys accessibility)\n\n"
        "User state[attributes:{id=0, currentUser=true\n"
        "  mIsBixbyRunning = false\n"
        "  }\n"
        "  installed services: {\n"
        "    0 : com.samsung.accessibility/.universalswitch.UniversalSwitchService\n"
        "  }\n"
        "  enabled services: {\n"
        "    0 : com.samsung.accessibility/.universalswitch.UniversalSwitchService  (A11yTool)\n"
        "  }\n"
        "  binding services: {\n"
        "  }\n"
        "  bound services:{\n"
        "  }\n"
        "  AccessibilityInputFilter:{\n"
        "  }]\n"
    )
    result = parse_accessibility(text, source="a")
    assert result.status is ParseStatus.OK
    assert result.value == AccessibilityState(
        enabled=(
            "com.samsung.accessibility/com.samsung.accessibility.universalswitch.UniversalSwitchService",
        )
    )


def test_the_setting_alone_is_used_when_the_dump_fails_and_says_so() -> None:
    result = parse_accessibility(
        "Can't find service: accessibility", source="a", enabled_setting=f"{SPY}:{TALKBACK}"
    )
    assert result.status is ParseStatus.PARTIAL
    assert result.value == AccessibilityState(enabled=(SPY, TALKBACK))
    assert "setting only" in result.problems[0]


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_the_dump_are_unparsed(text: str) -> None:
    result = parse_accessibility(text, source="dumpsys_accessibility.txt")
    assert result.status is ParseStatus.UNPARSED
    assert result.value is None


def test_another_dump_is_not_the_accessibility_dump() -> None:
    text = recorded("android-14", "dumpsys_notification.txt")
    assert parse_accessibility(text, source="a").status is ParseStatus.UNPARSED


def test_a_renamed_services_list_is_named_not_skipped() -> None:
    text = recorded("android-14", "dumpsys_accessibility.txt").replace(
        "Enabled services:{", "Active a11y services:{"
    )
    result = parse_accessibility(text, source="a")
    assert result.status is ParseStatus.PARTIAL
    assert result.value is not None and result.value.enabled == ()
    assert any("Active a11y services" in problem for problem in result.problems)
    assert "user 0: no 'Enabled services' list" in result.problems


def test_an_entry_that_is_no_component_is_named() -> None:
    text = recorded("android-12", "dumpsys_accessibility.txt").replace(
        "{com.thetruth/com.thetruth.service.AccessibilityMonitorService}", "{service #2}"
    )
    result = parse_accessibility(text, source="a")
    assert result.status is ParseStatus.PARTIAL
    assert result.value is not None and result.value.enabled == (TALKBACK,)
    assert any("service #2" in problem for problem in result.problems)


def test_a_bad_setting_entry_is_named() -> None:
    result = parse_accessibility(
        recorded("android-14", "dumpsys_accessibility.txt"),
        source="a",
        enabled_setting=f"{TALKBACK}:garbage entry",
    )
    assert result.status is ParseStatus.PARTIAL
    assert any("garbage entry" in problem for problem in result.problems)
