"""``cmd package query-activities`` for launcher activities: which apps show an icon."""

from __future__ import annotations

import pytest

from tests.android.parser_fixtures import OTHER_OUTPUTS, VERSIONS, recorded
from unstalk.android.model import ParseStatus
from unstalk.android.parsers.launcher import parse_launcher_activities

COMMON = {
    "com.android.settings",
    "com.android.vending",
    "com.android.chrome",
    "com.google.android.youtube",
    "com.whatsapp",
    "org.telegram.messenger",
    "com.spotify.music",
    "com.instagram.android",
    "com.life360.android.safetymapd",
    "org.mozilla.firefox",
}
EXTRA = {
    "android-9": {
        "com.samsung.android.messaging",
        "com.samsung.android.dialer",
        "com.sec.android.app.camera",
    },
    "android-12": {
        "com.google.android.apps.messaging",
        "com.google.android.dialer",
        "com.google.android.GoogleCamera",
        "com.google.android.apps.youtube.music",
    },
    "android-14": {
        "com.google.android.apps.messaging",
        "com.google.android.dialer",
        "com.google.android.GoogleCamera",
        "com.google.android.apps.youtube.music",
        "com.duolingo",
    },
}


@pytest.mark.parametrize("version", VERSIONS)
def test_apps_with_an_icon_on_each_phone(version: str) -> None:
    result = parse_launcher_activities(recorded(version, "launcher_activities.txt"), source="l")
    assert result.status is ParseStatus.OK
    assert result.value == frozenset(COMMON | EXTRA[version])
    assert "com.thetruth" not in result.value
    assert "com.google.android.marvin.talkback" not in result.value


BRIEF = """2 activities found:
  Activity #0:
    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true
    com.whatsapp/.Main
  Activity #1:
    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false
    org.mozilla.firefox/.App
"""

FULL = """1 activities found:
  Activity #0:
    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false
    ActivityInfo:
      name=com.whatsapp.Main
      packageName=com.whatsapp
      enabled=true exported=true directBootAware=false
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [(BRIEF, {"com.whatsapp", "org.mozilla.firefox"}), (FULL, {"com.whatsapp"})],
)
def test_the_brief_and_full_forms(text: str, expected: set[str]) -> None:
    result = parse_launcher_activities(text, source="l")
    assert result.status is ParseStatus.OK
    assert result.value == frozenset(expected)


def test_no_launcher_activity_is_an_empty_answer() -> None:
    result = parse_launcher_activities("No activities found\n", source="l")
    assert (result.status, result.value) == (ParseStatus.OK, frozenset())


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_the_query_are_unparsed(text: str) -> None:
    assert parse_launcher_activities(text, source="l").status is ParseStatus.UNPARSED


@pytest.mark.parametrize("other", ["packages.txt", "settings_secure.txt", "getprop.txt"])
def test_another_commands_output_is_unparsed(other: str) -> None:
    text = recorded("android-14", other)
    assert parse_launcher_activities(text, source="l").status is ParseStatus.UNPARSED


def test_a_line_in_a_new_format_is_named() -> None:
    text = recorded("android-14", "launcher_activities.txt") + "com.example/.Main (disabled)\n"
    result = parse_launcher_activities(text, source="l")
    assert result.status is ParseStatus.PARTIAL
    assert "com.example/.Main (disabled)" in result.problems[0]
