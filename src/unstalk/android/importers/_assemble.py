"""From the outputs an importer found to a parsed :class:`Acquisition`, the same way for all.

Each importer finds the text of each output (a file, a dumpsys section) or the
reason there is none; this module runs the parsers over them in the one right
order (getprop first, for the phone's time zone; settings before the services
whose state a setting completes) and turns every absent output into a
``MISSING`` part that says why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Protocol, TypeVar

from unstalk.android.model import (
    Acquisition,
    AppPackage,
    DeviceInfo,
    Parsed,
    ParseStatus,
)
from unstalk.android.parsers.accessibility import parse_accessibility
from unstalk.android.parsers.appops import parse_appops
from unstalk.android.parsers.device_policy import parse_device_policy
from unstalk.android.parsers.getprop import device_timezone, parse_getprop
from unstalk.android.parsers.launcher import parse_launcher_activities
from unstalk.android.parsers.notification import parse_notification_listeners
from unstalk.android.parsers.package_dump import PackageDetails, parse_dumpsys_package
from unstalk.android.parsers.packages import PackageSources, build_app_packages
from unstalk.android.parsers.root import parse_root_checks
from unstalk.android.parsers.settings import Table, combine_settings, parse_settings_list

_T = TypeVar("_T")

Details = Parsed[tuple[PackageDetails, ...]]
Packages = Parsed[tuple[AppPackage, ...]]


@dataclass(frozen=True, slots=True)
class Found:
    """One output as an importer found it: its text, or why there is none."""

    source: str
    """The file (or ``file: DUMP OF SERVICE name``) it comes from."""
    text: str | None = None
    missing: str = ""
    """Why there is no text (when ``text`` is ``None``)."""
    problems: tuple[str, ...] = ()
    """What the importer knows is wrong with the text (cut short, command failed)."""


def absent(source: str, reason: str) -> Found:
    return Found(source=source, missing=reason)


def missing(source: str, reason: str) -> Parsed[_T]:
    return Parsed(source=source, status=ParseStatus.MISSING, problems=(reason,))


def parse(found: Found, parser: Callable[[str, str], Parsed[_T]]) -> Parsed[_T]:
    """``parser(text, source)`` over ``found``; absent becomes ``MISSING``."""
    if found.text is None:
        return missing(found.source, found.missing or f"{found.source} is not in the acquisition")
    result = parser(found.text, found.source)
    return with_problems(result, found.problems)


def with_problems(result: Parsed[_T], problems: tuple[str, ...]) -> Parsed[_T]:
    """``result`` with more problems; an ``OK`` result becomes ``PARTIAL``."""
    if not problems:
        return result
    status = ParseStatus.PARTIAL if result.status is ParseStatus.OK else result.status
    return Parsed(result.source, status, result.value, (*result.problems, *problems))


def parse_settings(found: Found) -> Parsed[Table]:
    return parse(found, lambda text, source: parse_settings_list(text, source=source))


class _Part(Protocol):
    """What every ``Parsed`` has, whatever its value type."""

    @property
    def source(self) -> str: ...
    @property
    def status(self) -> ParseStatus: ...
    @property
    def problems(self) -> tuple[str, ...]: ...


def _all_missing(parts: Sequence[_Part]) -> Parsed[_T] | None:
    """One ``MISSING`` result for parts that are all missing (else ``None``: parse them)."""
    if any(part.status is not ParseStatus.MISSING for part in parts):
        return None
    source = ", ".join(dict.fromkeys(part.source for part in parts))
    problems = tuple(dict.fromkeys(problem for part in parts for problem in part.problems))
    return Parsed(source=source, status=ParseStatus.MISSING, problems=problems)


def merge_packages(sources: PackageSources) -> Packages:
    """:func:`build_app_packages`, but ``MISSING`` (not "could not parse") when nothing is there."""
    parts = (sources.listing, sources.details, sources.system, sources.third_party)
    none: Packages | None = _all_missing((*parts, sources.disabled))
    return none if none is not None else build_app_packages(sources)


@dataclass(frozen=True, slots=True)
class RootSources:
    source: str
    which_su: Found
    ls_stdout: Found
    ls_stderr: str | None = None
    extra: tuple[str, ...] = ()
    """Indicators the importer read itself (AndroidQF's ``root_binaries.json``)."""


@dataclass(frozen=True, slots=True)
class Sources:
    """Every output an importer found, ready to be parsed."""

    getprop: Found
    package_dump: Found
    accessibility: Found
    device_policy: Found
    notification: Found
    appops: Found
    launcher: Found
    settings: tuple[Parsed[Table], Parsed[Table], Parsed[Table]]
    """secure, system, global."""
    root: RootSources
    dump_time: datetime | None
    """When the dumps were taken: aware, or naive in the phone's local time."""


@dataclass(frozen=True, slots=True)
class Provenance:
    source: str
    format: str
    apk_files: tuple[tuple[str, str], ...] = ()
    file_hashes: tuple[tuple[str, str], ...] = ()
    integrity: tuple[str, ...] = ()


def _setting(secure: Parsed[Table], key: str) -> str | None:
    """A secure setting's value: ``None`` when the settings are unknown, ``""`` when unset."""
    if secure.value is None:
        return None
    return next((value for name, value in secure.value if name == key), "")


def _device_and_clock(
    sources: Sources,
) -> tuple[Parsed[DeviceInfo], tzinfo | None, datetime | None]:
    """The device facts, its time zone (dumps print local times), and when the dump was taken."""
    device = parse(sources.getprop, lambda text, source: parse_getprop(text, source=source))
    tz = device_timezone(device.value) if device.value is not None else None
    now = sources.dump_time
    if now is not None and now.tzinfo is None and tz is not None:
        now = now.replace(tzinfo=tz)
    return device, tz, now


def assemble(
    sources: Sources, build_packages: Callable[[Details], Packages], origin: Provenance
) -> Acquisition:
    """Parse every output in ``sources`` into one :class:`Acquisition`."""
    device, tz, now = _device_and_clock(sources)
    secure = sources.settings[0]
    details = parse(
        sources.package_dump,
        lambda text, source: parse_dumpsys_package(text, source=source, tz=tz),
    )
    packages = build_packages(details)
    return Acquisition(
        source=origin.source,
        format=origin.format,
        device=device,
        packages=packages,
        accessibility=parse(
            sources.accessibility,
            lambda text, source: parse_accessibility(
                text,
                source=source,
                enabled_setting=_setting(secure, "enabled_accessibility_services"),
            ),
        ),
        device_admins=parse(
            sources.device_policy, lambda text, source: parse_device_policy(text, source=source)
        ),
        notification_listeners=parse(
            sources.notification,
            lambda text, source: parse_notification_listeners(
                text,
                source=source,
                enabled_setting=_setting(secure, "enabled_notification_listeners"),
            ),
        ),
        appops=parse(
            sources.appops, lambda text, source: parse_appops(text, source=source, now=now, tz=tz)
        ),
        settings=_all_missing(sources.settings) or combine_settings(*sources.settings),
        launcher_packages=parse(
            sources.launcher, lambda text, source: parse_launcher_activities(text, source=source)
        ),
        root_indicators=_root(sources.root, device.value, packages),
        apk_files=origin.apk_files,
        file_hashes=dict(origin.file_hashes),
        integrity=origin.integrity,
    )


def _root(
    root: RootSources, device: DeviceInfo | None, packages: Packages
) -> Parsed[tuple[str, ...]]:
    names = [app.name for app in packages.value] if packages.value is not None else None
    result = parse_root_checks(
        source=root.source,
        which_su=root.which_su.text,
        ls_stdout=root.ls_stdout.text,
        ls_stderr=root.ls_stderr,
        device=device,
        packages=names,
    )
    problems = (*root.which_su.problems, *root.ls_stdout.problems)
    if result.value is None:
        # No check could run at all: nothing was there to check, which is not a parse failure.
        reasons = (root.which_su.missing, root.ls_stdout.missing, *result.problems)
        return missing(root.source, "; ".join(reason for reason in reasons if reason))
    if root.extra and result.value is not None:
        value = tuple(dict.fromkeys((*result.value, *root.extra)))
        result = Parsed(result.source, result.status, value, result.problems)
    return with_problems(result, problems)
