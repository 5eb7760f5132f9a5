"""``pm list packages``: one ``package:`` line per app, and the merge with ``dumpsys package``.

With ``-f -i -U --show-versioncode`` a line reads ``package:PATH=NAME versionCode:42
installer=com.android.vending uid:10234`` (two spaces before ``installer=``).
The APK path may itself hold ``=`` (Android 11+ folder names end in ``==``), so
the package name is what follows the last ``=`` before the name. ``installer=null``
means the phone recorded no installer. From Android 13 the ``uid:`` part lists
one uid per user (``uid:10234,1010234``) and lines come in no particular order.
``-s``, ``-3`` and ``-d`` print bare ``package:NAME`` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from unstalk.android.model import AppPackage, Parsed, ParseStatus
from unstalk.android.parsers._common import (
    Problems,
    finish,
    not_this_output,
    refusal,
    unparsed,
    user_of_uid,
)
from unstalk.android.parsers.package_dump import PackageDetails

WHAT = "`pm list packages`"

_NAME = r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*"
_LISTED = re.compile(
    rf"package:(?:(?P<path>/[^ ]*)=)?(?P<name>{_NAME})"
    r"(?: versionCode:(?P<version>-?\d+))?"
    r"(?:  installer=(?P<installer>\S+))?"
    r"(?: uid:(?P<uids>\d+(?:,\d+)*))?"
)
_BARE = re.compile(rf"package:(?P<name>{_NAME})")


@dataclass(frozen=True, slots=True)
class PackageListing:
    """One line of ``pm list packages -f -i -U --show-versioncode -u``."""

    name: str
    apk_path: str | None = None
    version_code: int | None = None
    installer: str | None = None
    uids: tuple[int, ...] = ()


def parse_package_list(text: str, *, source: str) -> Parsed[tuple[PackageListing, ...]]:
    """Every listed package, in the order printed."""
    reason = refusal(text, WHAT)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    found: list[PackageListing] = []
    lines = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        lines += 1
        match = _LISTED.fullmatch(line.strip())
        if match is None:
            problems.unknown_line(number, line)
            continue
        installer = match.group("installer")
        found.append(
            PackageListing(
                name=match.group("name"),
                apk_path=match.group("path"),
                version_code=int(match.group("version")) if match.group("version") else None,
                installer=None if installer in (None, "null") else installer,
                uids=tuple(int(uid) for uid in (match.group("uids") or "").split(",") if uid),
            )
        )
    if not found or len(found) * 2 < lines:
        return unparsed(source, not_this_output(WHAT, text))
    return finish(source, tuple(found), problems)


def parse_package_names(text: str, *, source: str) -> Parsed[frozenset[str]]:
    """The names of ``pm list packages -s|-3|-d``; an empty output is an empty list here."""
    if not text.strip():
        # No line at all is how pm says "no package matches" (e.g. nothing disabled).
        return finish(source, frozenset(), Problems())
    reason = refusal(text, WHAT)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    names: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _BARE.fullmatch(line.strip())
        if match is None:
            problems.unknown_line(number, line)
        else:
            names.add(match.group("name"))
    if not names:
        return unparsed(source, not_this_output(WHAT, text))
    return finish(source, frozenset(names), problems)


@dataclass(frozen=True, slots=True)
class PackageSources:
    """Everything the package lists and dump say, as parsed; any part may be missing."""

    listing: Parsed[tuple[PackageListing, ...]]
    details: Parsed[tuple[PackageDetails, ...]]
    system: Parsed[frozenset[str]]
    third_party: Parsed[frozenset[str]]
    disabled: Parsed[frozenset[str]]


def build_app_packages(sources: PackageSources) -> Parsed[tuple[AppPackage, ...]]:
    """One :class:`AppPackage` per package, the lists first and the dump filling in.

    Each fact comes from the source that states it; when no source states whether an
    app is a system app or disabled, the result says so in its problems.
    """
    parts = [
        (part.source, part.status, part.problems) for part in (sources.listing, sources.details)
    ] + [
        (part.source, part.status, part.problems)
        for part in (sources.system, sources.third_party, sources.disabled)
    ]
    origin = ", ".join(dict.fromkeys(part[0] for part in parts))
    problems = Problems()
    for part_source, _status, part_problems in parts:
        for problem in part_problems:
            problems.add(f"{part_source}: {problem}")
    listing = {entry.name: entry for entry in sources.listing.value or ()}
    details = {entry.name: entry for entry in sources.details.value or ()}
    if not listing and not details:
        return Parsed(source=origin, status=ParseStatus.UNPARSED, problems=problems.as_tuple())
    names = list(dict.fromkeys((*listing, *details)))
    merger = _Merger(sources, problems)
    apps = tuple(merger.merge(name, listing.get(name), details.get(name)) for name in names)
    merger.report()
    result = finish(origin, apps, problems)
    if any(status is not ParseStatus.OK for _source, status, _problems in parts):
        return Parsed(origin, ParseStatus.PARTIAL, result.value, result.problems)
    return result


class _Merger:
    def __init__(self, sources: PackageSources, problems: Problems) -> None:
        self._system = sources.system.value
        self._third_party = sources.third_party.value
        self._disabled = sources.disabled.value
        self._problems = problems
        self._system_unknown: list[str] = []
        self._enabled_unknown: list[str] = []

    def merge(
        self, name: str, listed: PackageListing | None, detail: PackageDetails | None
    ) -> AppPackage:
        uid = listed.uids[0] if listed and listed.uids else (detail.app_id if detail else None)
        installer = listed.installer if listed else None
        if installer is None and detail is not None:
            installer = detail.installer
        apk = listed.apk_path if listed and listed.apk_path else None
        code_path = detail.code_path if detail else None
        return AppPackage(
            name=name,
            uid=uid,
            installer=installer,
            version_name=detail.version_name if detail else None,
            version_code=_first(listed.version_code if listed else None, detail),
            system=self._is_system(name, detail),
            enabled=self._is_enabled(name, detail),
            apk_paths=tuple(path for path in (apk or code_path,) if path),
            first_install=detail.first_install if detail else None,
            last_update=detail.last_update if detail else None,
            granted_permissions=detail.granted_permissions if detail else (),
            requested_permissions=detail.requested_permissions if detail else (),
            users=_users(listed, detail),
        )

    def _is_system(self, name: str, detail: PackageDetails | None) -> bool:
        if self._system is not None and name in self._system:
            return True
        if self._third_party is not None and name in self._third_party:
            return False
        if detail is not None:
            return detail.system
        if self._system is not None and self._third_party is None:
            return False
        self._system_unknown.append(name)
        return False

    def _is_enabled(self, name: str, detail: PackageDetails | None) -> bool:
        if self._disabled is not None:
            return name not in self._disabled
        if detail is not None and detail.users:
            owner = next((user for user in detail.users if user.user == 0), detail.users[0])
            return owner.enabled
        self._enabled_unknown.append(name)
        return True

    def report(self) -> None:
        if self._system_unknown:
            self._problems.add(
                "no source tells whether these are system or third-party apps (taken as "
                f"third-party): {', '.join(self._system_unknown[:10])}"
            )
        if self._enabled_unknown:
            self._problems.add(
                "no source tells whether these apps are disabled (taken as enabled): "
                f"{', '.join(self._enabled_unknown[:10])}"
            )


def _first(version: int | None, detail: PackageDetails | None) -> int | None:
    if version is not None:
        return version
    return detail.version_code if detail else None


def _users(listed: PackageListing | None, detail: PackageDetails | None) -> tuple[int, ...]:
    if detail is not None and detail.users:
        return tuple(user.user for user in detail.users if user.installed)
    if listed is not None:
        return tuple(dict.fromkeys(user_of_uid(uid) for uid in listed.uids))
    return ()
