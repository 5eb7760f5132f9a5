"""No output, however mangled, makes a parser crash: it becomes a result that says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.android.parser_fixtures import recorded
from unstalk.android.model import ParseStatus
from unstalk.android.parsers.accessibility import parse_accessibility
from unstalk.android.parsers.activity_services import parse_activity_services
from unstalk.android.parsers.appops import parse_appops
from unstalk.android.parsers.device_policy import parse_device_policy
from unstalk.android.parsers.getprop import parse_getprop
from unstalk.android.parsers.launcher import parse_launcher_activities
from unstalk.android.parsers.location import parse_location
from unstalk.android.parsers.notification import parse_notification_listeners
from unstalk.android.parsers.package_dump import parse_dumpsys_package
from unstalk.android.parsers.packages import parse_package_list, parse_package_names
from unstalk.android.parsers.settings import parse_settings_list
from unstalk.android.parsers.usagestats import parse_usagestats


class _Result(Protocol):
    @property
    def status(self) -> ParseStatus: ...
    @property
    def value(self) -> object: ...
    @property
    def problems(self) -> tuple[str, ...]: ...


Parser = Callable[..., _Result]

PARSERS: dict[str, Parser] = {
    "getprop.txt": parse_getprop,
    "packages.txt": parse_package_list,
    "packages_system.txt": parse_package_names,
    "dumpsys_package.txt": parse_dumpsys_package,
    "dumpsys_accessibility.txt": parse_accessibility,
    "dumpsys_device_policy.txt": parse_device_policy,
    "dumpsys_notification.txt": parse_notification_listeners,
    "dumpsys_appops.txt": parse_appops,
    "dumpsys_location.txt": parse_location,
    "dumpsys_usagestats.txt": parse_usagestats,
    "dumpsys_activity_services.txt": parse_activity_services,
    "settings_secure.txt": parse_settings_list,
    "launcher_activities.txt": parse_launcher_activities,
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=25, deadline=None)
@given(cut=st.floats(min_value=0.0, max_value=1.0), noise=st.text(max_size=200))
def test_a_cut_or_noisy_output_gives_a_result_not_a_crash(
    name: str, cut: float, noise: str
) -> None:
    text = recorded("android-12", name)
    mangled = text[: int(len(text) * cut)] + noise
    result = PARSERS[name](mangled, source=name)
    assert isinstance(result.status, ParseStatus)
    assert (result.value is None) == (result.status is ParseStatus.UNPARSED)
    assert len(result.problems) <= 21


PM_LISTS = {"packages.txt", "packages_system.txt"}
"""``package:NAME`` lines are a valid (short) package list too: that pair may read each other."""


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_parser_refuses_every_other_commands_output(name: str) -> None:
    for other in PARSERS:
        if other == name or {name, other} <= PM_LISTS:
            continue
        result = PARSERS[name](recorded("android-14", other), source=name)
        assert result.status is ParseStatus.UNPARSED, other
