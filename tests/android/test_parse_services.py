"""``dumpsys location``, ``dumpsys usagestats`` and ``dumpsys activity services``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.android.parser_fixtures import OTHER_OUTPUTS, VERSIONS, ZONES, local, recorded
from unstalk.android.model import ParseStatus
from unstalk.android.parsers.activity_services import RunningService, parse_activity_services
from unstalk.android.parsers.location import LocationUse, parse_location
from unstalk.android.parsers.usagestats import AppUsage, parse_usagestats

LIFE360 = "com.life360.android.safetymapd"

# location ---------------------------------------------------------------------------------


def locations(version: str) -> dict[tuple[str, str], LocationUse]:
    result = parse_location(recorded(version, "dumpsys_location.txt"), source="l")
    assert result.status is ParseStatus.OK, result.problems
    assert result.value is not None
    return {(use.package, use.provider): use for use in result.value}


def test_android_9_historical_records() -> None:
    found = locations("android-9")
    assert found[(LIFE360, "fused")] == LocationUse(
        LIFE360, "fused", active=True, requested=timedelta(minutes=6211)
    )
    assert found[(LIFE360, "gps")] == LocationUse(LIFE360, "gps", requested=timedelta(minutes=412))
    assert found[("com.google.android.gms", "passive")].active
    assert len(found) == 5


def test_android_12_aggregates_and_current_requests_of_the_spy_app() -> None:
    found = locations("android-12")
    assert found[("com.thetruth", "fused")] == LocationUse(
        "com.thetruth",
        "fused",
        uid=10245,
        active=True,
        requested=timedelta(days=18, hours=11, minutes=4, seconds=2, milliseconds=812),
        foreground=timedelta(0),
        deliveries=26304,
    )
    assert found[(LIFE360, "fused")].active
    assert not found[("org.mozilla.firefox", "fused")].active  # its request is "(inactive)"
    assert found[("com.google.android.gms", "passive")].attribution == "fused_location_provider"


def test_android_14_has_no_spy_app() -> None:
    found = locations("android-14")
    assert {package for package, _provider in found} == {
        "com.google.android.gms",
        LIFE360,
        "org.mozilla.firefox",
    }


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_the_location_dump_are_unparsed(text: str) -> None:
    assert parse_location(text, source="l").status is ParseStatus.UNPARSED


def test_a_changed_record_is_named() -> None:
    text = recorded("android-12", "dumpsys_location.txt").replace(
        ", locations = 26304", ", delivered = 26304"
    )
    result = parse_location(text, source="l")
    assert result.status is ParseStatus.PARTIAL
    assert any("10245/com.thetruth" in problem for problem in result.problems)


def test_a_missing_history_section_is_reported() -> None:
    text = recorded("android-9", "dumpsys_location.txt").replace(
        "Historical Records by Provider:", "Request History:"
    )
    result = parse_location(text, source="l")
    assert result.status is ParseStatus.PARTIAL
    assert "no historical location records section" in result.problems


# usage stats ------------------------------------------------------------------------------


def usage(version: str) -> dict[str, AppUsage]:
    text = recorded(version, "dumpsys_usagestats.txt")
    result = parse_usagestats(text, source="u", tz=ZONES[version])
    assert result.status is ParseStatus.OK, result.problems
    assert result.value is not None
    return {item.package: item for item in result.value}


def test_android_9_last_use_from_stats_and_events() -> None:
    found = usage("android-9")
    assert found["com.whatsapp"] == AppUsage(
        "com.whatsapp", local("android-9", "2021-03-15 14:01:05"), None, 41
    )
    assert found[LIFE360].last_used == local("android-9", "2021-03-14 13:20:05")
    assert len(found) == 9


def test_android_12_the_spy_app_was_opened_once_and_runs_a_service_since() -> None:
    found = usage("android-12")
    assert found["com.thetruth"] == AppUsage(
        "com.thetruth",
        last_used=local("android-12", "2022-03-02 23:44:00"),
        last_service_used=local("android-12", "2022-03-21 10:04:30"),
        launch_count=0,
    )
    assert found[LIFE360].last_service_used == local("android-12", "2022-03-21 10:04:00")


def test_android_14_never_used_service_time_is_no_time() -> None:
    found = usage("android-14")
    assert found["com.whatsapp"].last_service_used is None  # printed as 1969-12-31 19:00:00
    assert found["com.whatsapp"].last_used == local("android-14", "2024-03-12 16:21:00")


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_usage_stats_are_unparsed(text: str) -> None:
    assert parse_usagestats(text, source="u").status is ParseStatus.UNPARSED


def test_a_usage_line_without_times_is_named() -> None:
    text = (
        recorded("android-14", "dumpsys_usagestats.txt")
        .replace(
            'lastTimeUsed="2024-03-12 16:21:00" totalTimeVisible',
            'usedAt="2024-03-12 16:21:00" totalTimeVisible',
        )
        .replace('lastTimeVisible="2024-03-12 16:21:00"', 'visibleAt="2024-03-12 16:21:00"')
    )
    result = parse_usagestats(text, source="u", tz=ZONES["android-14"])
    assert result.status is ParseStatus.PARTIAL
    assert any("package usage without a last-use time" in problem for problem in result.problems)


# running services -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_running_services_of_each_phone(version: str) -> None:
    result = parse_activity_services(recorded(version, "dumpsys_activity_services.txt"), source="s")
    assert result.status is ParseStatus.OK
    assert result.value is not None
    spy = [service for service in result.value if service.package == "com.thetruth"]
    assert len(result.value) == 4 + len(spy)
    assert (
        RunningService(
            "com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService",
            0,
            started=False,
            connections=1,
        )
        in result.value
    )
    if version == "android-12":
        assert spy == [
            RunningService("com.thetruth/com.thetruth.service.MainService", 0, True, 0),
            RunningService(
                "com.thetruth/com.thetruth.service.AccessibilityMonitorService", 0, False, 1
            ),
            RunningService("com.thetruth/com.thetruth.service.NotificationService", 0, False, 1),
        ]
    else:
        assert spy == []


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_the_services_dump_are_unparsed(text: str) -> None:
    assert parse_activity_services(text, source="s").status is ParseStatus.UNPARSED


def test_a_changed_service_record_is_named() -> None:
    text = recorded("android-12", "dumpsys_activity_services.txt").replace(
        "u0 com.thetruth/.service.MainService}", "user=0 com.thetruth/.service.MainService}"
    )
    result = parse_activity_services(text, source="s")
    assert result.status is ParseStatus.PARTIAL
    assert any("com.thetruth/.service.MainService" in problem for problem in result.problems)
