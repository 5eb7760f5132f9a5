"""Shared pieces of the Android parsers: Android's time, uid and component formats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from unstalk.android.model import ParseStatus
from unstalk.android.parsers._common import (
    PROBLEM_LIMIT,
    Problems,
    finish,
    full_component,
    parse_duration,
    parse_uid,
    refusal,
    split_component_list,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+1d2h3m4s5ms", timedelta(days=1, hours=2, minutes=3, seconds=4, milliseconds=5)),
        ("-314d1h25m2s33ms", -timedelta(days=314, hours=1, minutes=25, seconds=2, milliseconds=33)),
        ("+33ms", timedelta(milliseconds=33)),
        ("+30s0ms", timedelta(seconds=30)),
        ("-24m50s324ms", -timedelta(minutes=24, seconds=50, milliseconds=324)),
        ("0", timedelta(0)),
    ],
)
def test_android_durations_are_read_exactly(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "+", "1x", "+5m3"])
def test_text_that_is_no_duration_is_not_guessed(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    ("text", "uid"),
    [("1000", 1000), ("u0a103", 10103), ("u10a5", 1010005), ("u10s1000", 1001000), ("u0i7", 99007)],
)
def test_uids_in_android_short_form_become_numbers(text: str, uid: int) -> None:
    assert parse_uid(text) == uid


def test_short_component_names_are_expanded_and_full_ones_kept() -> None:
    assert full_component("com.x/.svc.Main") == "com.x/com.x.svc.Main"
    assert full_component("com.x/org.other.Main") == "com.x/org.other.Main"


def test_a_component_list_setting_keeps_order_and_names_what_it_cannot_read() -> None:
    components, bad = split_component_list("com.a/.A:com.b/com.b.B::not a component:com.a/com.a.A")
    assert components == ("com.a/com.a.A", "com.b/com.b.B")
    assert bad == ("not a component",)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("Can't find service: appops", "no such service"),
        ("/system/bin/sh: cmd: inaccessible or not found", "could not run"),
        ("Permission Denial: can't dump", "refused"),
        ("\x00garbage", "binary"),
    ],
)
def test_error_outputs_are_recognised_with_a_reason(text: str, needle: str) -> None:
    reason = refusal(text, "`dumpsys appops`")
    assert reason is not None
    assert needle in reason


def test_a_flood_of_problems_is_capped_and_counted() -> None:
    problems = Problems()
    for number in range(PROBLEM_LIMIT + 30):
        problems.unknown_line(number, "x" * 500)
    listed = problems.as_tuple()
    assert len(listed) == PROBLEM_LIMIT + 1
    assert listed[-1] == "... and 30 more problems not listed"
    assert all(len(problem) < 250 for problem in listed)
    assert finish("f", 1, problems).status is ParseStatus.PARTIAL
