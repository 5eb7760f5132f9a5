"""``dumpsys appops``: modes and last access of each app's ops, Android 9 to 14 formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from tests.android.parser_fixtures import (
    DUMP_TIMES,
    OTHER_OUTPUTS,
    VERSIONS,
    ZONES,
    local,
    recorded,
)
from unstalk.android.model import AppOpUse, ParseStatus
from unstalk.android.parsers.appops import parse_appops

COUNTS = {"android-9": 26, "android-12": 42, "android-14": 26}


def ops(
    version: str, *, now: datetime | None = None, tz: tzinfo | None = None
) -> dict[tuple[str, str], AppOpUse]:
    text = recorded(version, "dumpsys_appops.txt")
    result = parse_appops(text, source="a", now=now, tz=tz)
    assert result.status is ParseStatus.OK, result.problems
    assert result.value is not None
    return {(use.package, use.op): use for use in result.value}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_op_of_every_package_is_read(version: str) -> None:
    found = ops(version, tz=ZONES[version])
    assert len(found) == COUNTS[version]
    location = found[("com.life360.android.safetymapd", "FINE_LOCATION")]
    assert location.mode == "allow"
    assert location.last_access is not None
    assert DUMP_TIMES[version] - location.last_access < timedelta(minutes=2)
    denied = found[("com.whatsapp", "COARSE_LOCATION")]
    assert (denied.mode, denied.last_access) == ("ignore", None)  # only rejected attempts


def test_the_spy_apps_camera_microphone_and_location_on_android_12() -> None:
    found = ops("android-12", tz=ZONES["android-12"])
    expected = {
        "CAMERA": "2022-03-21 08:12:44.026",
        "RECORD_AUDIO": "2022-03-21 09:31:06.226",
        "FINE_LOCATION": "2022-03-21 10:03:12.226",
        "READ_SMS": "2022-03-21 09:50:00.226",
    }
    for op, when in expected.items():
        use = found[("com.thetruth", op)]
        assert use == AppOpUse("com.thetruth", op, "allow", local("android-12", when), 10245)
    assert found[("com.thetruth", "SYSTEM_ALERT_WINDOW")].last_access is None


def test_android_9_per_state_times() -> None:
    found = ops("android-9", tz=ZONES["android-9"])
    camera = found[("com.whatsapp", "CAMERA")]
    assert camera == AppOpUse(
        "com.whatsapp", "CAMERA", "allow", local("android-9", "2021-03-13 18:29:35.412"), 10203
    )
    gms = found[("com.google.android.gms", "COARSE_LOCATION")]
    assert gms.last_access == local("android-9", "2021-03-15 14:16:53.412")  # latest of two states
    assert found[("android", "WAKE_LOCK")].uid == 1000


@pytest.mark.parametrize("version", VERSIONS)
def test_the_dump_time_places_times_as_exactly_as_the_phone_zone(version: str) -> None:
    by_zone = ops(version, tz=ZONES[version])
    by_clock = ops(version, now=DUMP_TIMES[version].astimezone(UTC))
    assert by_zone.keys() == by_clock.keys()
    for key, use in by_zone.items():
        assert use.last_access == by_clock[key].last_access


def test_without_zone_or_dump_time_the_phone_time_stays_naive() -> None:
    use = ops("android-14")[("com.whatsapp", "CAMERA")]
    assert use.last_access == datetime(2024, 3, 10, 20, 49, 30, 518000)


LEGACY = """Current AppOps Service state:
  Uid u0a123:
    Package com.example.tracker:
      CAMERA: mode=0; time=+1h2m3s ago; duration=+5s
      FINE_LOCATION: mode=4; time=+30s0ms ago
      READ_SMS: mode=1; rejectTime=+2d0h0m0s0ms ago
"""


def test_relative_only_times_need_the_dump_time() -> None:
    now = datetime(2019, 1, 1, 12, 0, tzinfo=UTC)
    result = parse_appops(LEGACY, source="a", now=now)
    assert result.status is ParseStatus.OK
    assert result.value == (
        AppOpUse(
            "com.example.tracker",
            "CAMERA",
            "allow",
            now - timedelta(hours=1, minutes=2, seconds=3),
            10123,
        ),
        AppOpUse(
            "com.example.tracker", "FINE_LOCATION", "foreground", now - timedelta(seconds=30), 10123
        ),
        AppOpUse("com.example.tracker", "READ_SMS", "ignore", None, 10123),
    )
    without = parse_appops(LEGACY, source="a")
    assert without.status is ParseStatus.PARTIAL
    assert without.value is not None and all(use.last_access is None for use in without.value)
    assert "2 last-access times are relative" in without.problems[0]


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_the_dump_are_unparsed(text: str) -> None:
    assert parse_appops(text, source="a").status is ParseStatus.UNPARSED


def test_another_dump_is_unparsed() -> None:
    text = recorded("android-12", "dumpsys_location.txt")
    assert parse_appops(text, source="a").status is ParseStatus.UNPARSED


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("      CAMERA (allow): \n", "      CAMERA [allow]\n"),
        ("Access: [fgsvc-s] 2022-03-21 09:31:06.226", "Access: [fgsvc-s] at 09:31 on 2022-03-21"),
    ],
)
def test_a_changed_op_or_time_line_is_named(old: str, new: str) -> None:
    text = recorded("android-12", "dumpsys_appops.txt")
    assert old in text
    result = parse_appops(text.replace(old, new), source="a", tz=ZONES["android-12"])
    assert result.status is ParseStatus.PARTIAL
    assert any(new.strip()[:20] in problem for problem in result.problems), result.problems


def test_no_uid_block_is_reported() -> None:
    result = parse_appops("Current AppOps Service state:\n  Settings:\n", source="a")
    assert result.status is ParseStatus.PARTIAL
    assert result.value == ()
    assert "no 'Uid' block" in result.problems[0]
