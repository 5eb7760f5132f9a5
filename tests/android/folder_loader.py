"""Parse one of our acquisition folders into an :class:`Acquisition` with the pure parsers.

The tests of detection and checks use it for the recorded folders and the generator's
output, so they do not depend on the importers: this is the same wiring, kept short.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

from tests.android.parser_fixtures import RECORDED
from unstalk.android.model import Acquisition, DeviceInfo, Parsed, ParseStatus
from unstalk.android.parsers.accessibility import parse_accessibility
from unstalk.android.parsers.appops import parse_appops
from unstalk.android.parsers.device_policy import parse_device_policy
from unstalk.android.parsers.getprop import device_timezone, parse_getprop
from unstalk.android.parsers.launcher import parse_launcher_activities
from unstalk.android.parsers.notification import parse_notification_listeners
from unstalk.android.parsers.package_dump import parse_dumpsys_package
from unstalk.android.parsers.packages import (
    PackageSources,
    build_app_packages,
    parse_package_list,
    parse_package_names,
)
from unstalk.android.parsers.root import parse_root_checks
from unstalk.android.parsers.settings import combine_settings, parse_settings_list
from unstalk.feed.index import FeedIndex
from unstalk.feed.model import Feed
from unstalk.feed.store import bundled_dir
from unstalk.feed.store import load_folder as load_feed_folder


def _read(folder: Path, name: str) -> str | None:
    path = folder / name
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


def _missing(name: str) -> Parsed[object]:
    return Parsed(source=name, status=ParseStatus.MISSING, problems=(f"{name} is missing",))


def load_folder(folder: Path, *, now: datetime | None = None) -> Acquisition:
    """Every part of the folder parsed; a file that is absent becomes a MISSING part."""

    def text(name: str) -> str:
        return _read(folder, name) or ""

    device = parse_getprop(text("getprop.txt"), source="getprop.txt")
    info = device.value or DeviceInfo()
    tz = device_timezone(info)
    settings = combine_settings(
        parse_settings_list(text("settings_secure.txt"), source="settings_secure.txt"),
        parse_settings_list(text("settings_system.txt"), source="settings_system.txt"),
        parse_settings_list(text("settings_global.txt"), source="settings_global.txt"),
    )
    secure = settings.value
    packages = build_app_packages(
        PackageSources(
            parse_package_list(text("packages.txt"), source="packages.txt"),
            parse_dumpsys_package(text("dumpsys_package.txt"), source="dumpsys_package.txt", tz=tz),
            parse_package_names(text("packages_system.txt"), source="packages_system.txt"),
            parse_package_names(
                text("packages_third_party.txt"), source="packages_third_party.txt"
            ),
            parse_package_names(text("packages_disabled.txt"), source="packages_disabled.txt"),
        )
    )
    names = [app.name for app in packages.value or ()]
    return Acquisition(
        source=str(folder),
        format="unstalk",
        device=device,
        packages=packages,
        accessibility=parse_accessibility(
            text("dumpsys_accessibility.txt"),
            source="dumpsys_accessibility.txt",
            enabled_setting=secure.get("secure", "enabled_accessibility_services")
            if secure
            else None,
        ),
        device_admins=parse_device_policy(
            text("dumpsys_device_policy.txt"), source="dumpsys_device_policy.txt"
        ),
        notification_listeners=parse_notification_listeners(
            text("dumpsys_notification.txt"),
            source="dumpsys_notification.txt",
            enabled_setting=secure.get("secure", "enabled_notification_listeners")
            if secure
            else None,
        ),
        appops=parse_appops(
            text("dumpsys_appops.txt"), source="dumpsys_appops.txt", now=now, tz=tz
        ),
        settings=settings,
        launcher_packages=parse_launcher_activities(
            text("launcher_activities.txt"), source="launcher_activities.txt"
        ),
        root_indicators=parse_root_checks(
            source="root_indicators.txt",
            which_su=_read(folder, "root_which_su.txt"),
            ls_stdout=_read(folder, "root_indicators.txt"),
            ls_stderr=_read(folder, "root_indicators.stderr.txt"),
            device=device.value,
            packages=names if packages.value is not None else None,
        ),
    )


@functools.cache
def bundled_feed() -> Feed:
    """The Echap snapshot shipped with unstalk, loaded once per test run."""
    return load_feed_folder(bundled_dir())


@functools.cache
def bundled_index() -> FeedIndex:
    return FeedIndex.build(bundled_feed())


def recorded_phone(version: str) -> Acquisition:
    """A recorded phone (``recorded/<version>``), parsed."""
    return load_folder(RECORDED / version)
