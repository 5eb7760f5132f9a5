"""Cutting concatenated dumps apart: each service's output comes back exactly as it printed it."""

from __future__ import annotations

import pytest

from tests.android.make_imports import SEPARATOR, SERVICES, bugreport_text, dumpsys_all, recorded
from unstalk.android.importers.sections import (
    dumpstate_section,
    dumpstate_time,
    find_service,
    split_services,
)


@pytest.mark.parametrize("version", ["android-9", "android-12", "android-14"])
def test_every_service_comes_back_untouched(version: str) -> None:
    dumps = split_services(dumpsys_all(version))

    assert [dump.name for dump in dumps] == list(SERVICES)
    for dump in dumps:
        assert dump.text == recorded(version, SERVICES[dump.name])
        assert dump.ended_at is not None and not dump.problems()


def test_header_line_numbers_point_into_the_whole_text() -> None:
    text = dumpsys_all("android-12")
    lines = text.splitlines()

    for dump in split_services(text):
        assert lines[dump.line - 1] == f"DUMP OF SERVICE {dump.name}:"


def test_the_full_dump_wins_over_a_priority_dump() -> None:
    ended = "was the duration of dumpsys notification, ending at: 2024-03-12"
    text = (
        f"{SEPARATOR}\nDUMP OF SERVICE CRITICAL notification:\nshort critical part\n"
        f"--------- 0.001s {ended} 16:40:00\n"
        f"{SEPARATOR}\nDUMP OF SERVICE notification:\nCurrent Notification Manager state:\n"
        f"--------- 0.101s {ended} 16:40:03\n"
    )
    dump = find_service(split_services(text), "notification")

    assert dump is not None and dump.priority is None
    assert dump.text == "Current Notification Manager state:\n"
    assert dump.ended_at == "2024-03-12 16:40:03"
    assert find_service(split_services(text), "package") is None


def test_a_dump_without_end_line_stops_at_the_next_service_and_says_so() -> None:
    text = (
        f"{SEPARATOR}\nDUMP OF SERVICE appops:\nCurrent AppOps Service state:\n"
        f"{SEPARATOR}\nDUMP OF SERVICE package:\nPackages:\n"
        "--------- 0.5s was the duration of dumpsys package, ending at: 2024-03-12 16:40:09\n"
    )
    appops, package = split_services(text)

    assert appops.text == "Current AppOps Service state:\n"
    assert "no end line" in appops.problems()[0]
    assert package.text == "Packages:\n" and not package.problems()


def test_a_service_that_timed_out_is_reported_cut_short() -> None:
    text = (
        f"{SEPARATOR}\nDUMP OF SERVICE package:\nPackages:\n  Package [a.b] (1a2b3c):\n\n"
        "*** SERVICE 'package' DUMP TIMEOUT (10000ms) EXPIRED ***\n\n"
        "--------- 10.001s was the duration of dumpsys package, ending at: 2024-03-12 16:40:19\n"
    )
    (dump,) = split_services(text)

    assert dump.timed_out
    assert "did not answer in time" in dump.problems()[0]


def test_system_properties_survive_lines_of_parallel_tasks() -> None:
    text = bugreport_text("android-14")
    section = dumpstate_section(text, "SYSTEM PROPERTIES")

    assert section is not None and section.complete
    assert section.command == "getprop"
    assert section.text == recorded("android-14", "getprop.txt")


def test_a_section_without_duration_line_ends_at_the_next_header() -> None:
    text = (
        "------ SYSTEM PROPERTIES (getprop) ------\n"
        "------ chmod debugfs (/system/bin/chmod 0755 /sys/kernel/debug) ------\n"
        "*** command '/system/bin/chmod 0755 /sys/kernel/debug' failed: exit code 1\n"
        "[ro.build.version.sdk]: [34]\n"
        "------ 0.014s was the duration of 'chmod debugfs' ------\n"
        "[ro.product.model]: [Pixel 7]\n"
        "------ STORAGE INFO (df) ------\n"
        "/dev/root 2.9G\n"
    )
    section = dumpstate_section(text, "SYSTEM PROPERTIES")

    assert section is not None and not section.complete
    assert section.text == "[ro.build.version.sdk]: [34]\n[ro.product.model]: [Pixel 7]\n"
    assert dumpstate_section(text, "KERNEL LOG") is None


def test_dumpstate_start_time_is_read_from_its_header() -> None:
    assert dumpstate_time(bugreport_text("android-9")) == "2021-03-15 14:19:40"
    assert dumpstate_time("Currently running services:\n") is None
