"""``getprop``: device facts and the phone's time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from tests.android.parser_fixtures import OTHER_OUTPUTS, recorded
from unstalk.android.model import DeviceInfo, ParseStatus
from unstalk.android.parsers.getprop import device_timezone, parse_getprop, property_value

EXPECTED = {
    "android-9": ("SM-G950F", "samsung", "9", 28, "2020-10-01", "Europe/Berlin"),
    "android-12": ("Pixel 5", "Google", "12", 31, "2022-02-05", "Europe/London"),
    "android-14": ("Pixel 7", "Google", "14", 34, "2024-02-05", "America/New_York"),
    "android-15": ("SM-S921B", "samsung", "15", 35, "2025-04-01", "Europe/Paris"),
}


@pytest.mark.parametrize("version", sorted(EXPECTED))
def test_device_facts_of_each_recorded_phone(version: str) -> None:
    result = parse_getprop(recorded(version, "getprop.txt"), source="getprop.txt")
    assert result.status is ParseStatus.OK
    assert result.problems == ()
    info = result.value
    assert info is not None
    model, maker, release, sdk, patch, zone = EXPECTED[version]
    assert (info.model, info.manufacturer, info.android_version) == (model, maker, release)
    assert (info.sdk, info.security_patch) == (sdk, patch)
    assert (info.build_type, info.verified_boot_state) == ("user", "green")
    assert info.build_fingerprint is not None and f":{release}/" in info.build_fingerprint
    assert device_timezone(info) == ZoneInfo(zone)
    assert property_value(info, "ro.debuggable") == "0"


def test_a_value_spanning_lines_is_kept_whole() -> None:
    text = "[a.first]: [1]\n[ro.multi]: [line one\nline two]\n[z.last]: [2]\n"
    info = parse_getprop(text, source="g").value
    assert info is not None
    assert info.properties == (
        ("a.first", "1"),
        ("ro.multi", "line one\nline two"),
        ("z.last", "2"),
    )


def test_an_unknown_zone_name_gives_no_zone_rather_than_a_wrong_one() -> None:
    info = DeviceInfo(properties=(("persist.sys.timezone", "Mars/Olympus_Mons"),))
    assert device_timezone(info) is None
    assert device_timezone(DeviceInfo()) is None


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_getprop_are_unparsed(text: str) -> None:
    result = parse_getprop(text, source="getprop.txt")
    assert result.status is ParseStatus.UNPARSED
    assert result.value is None
    assert result.problems


def test_another_commands_output_is_unparsed() -> None:
    result = parse_getprop(recorded("android-12", "settings_secure.txt"), source="getprop.txt")
    assert result.status is ParseStatus.UNPARSED


def test_changed_lines_are_named_and_the_rest_still_read() -> None:
    text = recorded("android-14", "getprop.txt") + "ro.new.format = 1\n"
    result = parse_getprop(text, source="getprop.txt")
    assert result.status is ParseStatus.PARTIAL
    assert result.value is not None and result.value.model == "Pixel 7"
    assert len(result.problems) == 1
    assert "ro.new.format = 1" in result.problems[0]


def test_a_value_cut_short_is_reported() -> None:
    result = parse_getprop("[ro.product.model]: [Pixel 7]\n[ro.cut]: [no end", source="g")
    assert result.status is ParseStatus.PARTIAL
    assert "ro.cut" in result.problems[0]
