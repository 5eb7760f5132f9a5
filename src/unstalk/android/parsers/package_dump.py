"""``dumpsys package``: the ``Packages:`` section, one ``Package [name] (hash):`` block per app.

Each block holds ``key=value`` lines (``userId=`` up to Android 12, ``appId=``
from 13; ``firstInstallTime=`` per package up to 12, per user from 13; the
installer as ``installerPackageName=`` and, from Android 14, the whole install
source: ``installerPackageUid=``, ``initiatingPackageName=``,
``originatingPackageName=``, ``packageSource=``), flag lists (``flags=[ SYSTEM
HAS_CODE ]``), permission lists and one ``User N:`` block per user with
``installed=`` and ``enabled=`` (0 default, 1 enabled, 2 disabled, 3 disabled by
the user, 4 disabled until used) and the runtime permissions granted to it.

A full dump (no package name given) prints no ``requested permissions:`` list, and
packages sharing a uid (``sharedUser=``) print no permissions at all: those come
from the APK or from ``dumpsys package PKG``.

Times are the phone's local time; pass the phone's zone (see
:func:`unstalk.android.parsers.getprop.device_timezone`) to get aware datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from unstalk.android.model import Parsed
from unstalk.android.parsers._common import (
    Problems,
    finish,
    indent_of,
    not_this_output,
    parse_local_time,
    quote,
    refusal,
    unparsed,
)

WHAT = "`dumpsys package`"

_PACKAGE = re.compile(r"Package \[(?P<name>[^\]]+)\] \((?P<hash>[0-9a-f]+)\):")
_USER = re.compile(r"User (?P<user>\d+): (?P<attrs>.*)")
_GRANT = re.compile(r"(?P<perm>[^\s:]+): granted=(?P<granted>true|false)(?:, .*)?")
_REQUESTED = re.compile(r"(?P<perm>[^\s:]+)(?:: restricted=(?:true|false))?")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*=")
# Lines of a User block; Android 11 prints "overlay paths:" at package depth inside it.
_USER_LEVEL = re.compile(
    r"(?:gids=|runtime permissions:|lastDisabledCaller:|installReason=|firstInstallTime="
    r"|uninstallReason=|dataDir=|disabledComponents:|enabledComponents:|harmfulAppWarning:)"
)
_KEY_COLON = re.compile(r"[A-Za-z][A-Za-z0-9 _]*: \S.*")
_SIGNATURES = re.compile(
    r"PackageSignatures\{[0-9a-f]+ version:(?P<version>\d+), signatures:\[(?P<current>[^\]]*)\]"
    r"(?:, past signatures:\[(?P<past>[^\]]*)\])?\}"
)
_EPOCH_YEAR = 1970
_DISABLED_STATES = frozenset({2, 3, 4})


@dataclass(frozen=True, slots=True)
class PackageUserState:
    """One user's view of a package (the ``User N:`` block)."""

    user: int
    installed: bool
    enabled_state: int
    """0 default, 1 enabled, 2 disabled, 3 disabled by the user, 4 disabled until used."""
    hidden: bool = False
    suspended: bool = False
    stopped: bool = False
    first_install: datetime | None = None
    """From Android 13, the per-user install time."""
    granted_runtime: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.enabled_state not in _DISABLED_STATES


@dataclass(frozen=True, slots=True)
class PackageDetails:
    """What ``dumpsys package`` says about one package."""

    name: str
    app_id: int | None = None
    version_code: int | None = None
    version_name: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    code_path: str | None = None
    flags: frozenset[str] = frozenset()
    private_flags: frozenset[str] = frozenset()
    first_install: datetime | None = None
    last_update: datetime | None = None
    installer: str | None = None
    """``installerPackageName``; ``None`` when the phone recorded none (``null``)."""
    initiating_installer: str | None = None
    """The app that asked for the install (Android 14: ``initiatingPackageName``)."""
    originating_installer: str | None = None
    """Where the APK came from, e.g. a browser (``originatingPackageName``)."""
    package_source: int | None = None
    """Android 14 ``packageSource``: 1 other, 2 store, 3 local file, 4 downloaded file."""
    signing_version: int | None = None
    signatures: tuple[str, ...] = ()
    """``Arrays.hashCode`` of each signing certificate, in hex as the phone prints it."""
    past_signatures: tuple[str, ...] = ()
    requested_permissions: tuple[str, ...] = ()
    install_permissions: tuple[str, ...] = ()
    """Install-time permissions granted."""
    users: tuple[PackageUserState, ...] = ()

    @property
    def system(self) -> bool:
        return "SYSTEM" in self.flags

    @property
    def granted_permissions(self) -> tuple[str, ...]:
        runtime = (perm for user in self.users for perm in user.granted_runtime)
        return tuple(dict.fromkeys((*self.install_permissions, *runtime)))


def java_signature_hash(certificate: bytes) -> str:
    """The identity the phone prints for a signing certificate (``signatures:[...]``).

    Android prints ``Integer.toHexString(Arrays.hashCode(der))``; computing it from a
    certificate lets a pulled APK be matched to the dump.
    """
    value = 1
    for byte in certificate:
        signed = byte - 256 if byte > 127 else byte
        value = (31 * value + signed) & 0xFFFFFFFF
    return format(value, "x")


def parse_dumpsys_package(
    text: str, *, source: str, tz: tzinfo | None = None
) -> Parsed[tuple[PackageDetails, ...]]:
    """Every package of the ``Packages:`` section, in the order the phone printed them."""
    reason = refusal(text, WHAT)
    if reason is not None:
        return unparsed(source, reason)
    blocks = _package_blocks(text.splitlines())
    if blocks is None:
        return unparsed(source, not_this_output(WHAT, text) + "; no 'Packages:' section")
    problems = Problems()
    details = tuple(_BlockParser(number, lines, tz, problems).parse() for number, lines in blocks)
    if not details:
        problems.add("the 'Packages:' section lists no package")
    return finish(source, details, problems)


def _package_blocks(lines: list[str]) -> list[tuple[int, list[str]]] | None:
    """(line number of the block's header, block lines) for the ``Packages:`` section."""
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "Packages:"), None)
    if start is None:
        return None
    blocks: list[tuple[int, list[str]]] = []
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if line and not line[0].isspace():
            break
        if line.lstrip().startswith("Package [") and _PACKAGE.fullmatch(line.strip()):
            blocks.append((index + 1, [line]))
        elif blocks:
            blocks[-1][1].append(line)
    return blocks


@dataclass
class _User:
    user: int
    attrs: dict[str, str]
    first_install: str | None = None
    runtime: list[str] = field(default_factory=list)


class _BlockParser:
    """Reads one ``Package [...]`` block; problems name the line in the whole file."""

    def __init__(self, first: int, lines: list[str], tz: tzinfo | None, problems: Problems) -> None:
        self._first = first
        self._lines = lines
        self._tz = tz
        self._problems = problems
        header = _PACKAGE.fullmatch(lines[0].strip())
        self._name = header.group("name") if header else lines[0].strip()
        self._base = indent_of(lines[0])
        self._fields: dict[str, str] = {}
        self._lists: dict[str, list[str]] = {}
        self._users: list[_User] = []
        self._list: str | None = None
        self._user_list: str | None = None

    def parse(self) -> PackageDetails:
        for offset, line in enumerate(self._lines[1:], 1):
            if line.strip():
                self._line(self._first + offset, line)
        return self._details()

    def _line(self, number: int, line: str) -> None:
        depth = indent_of(line) - self._base
        text = line.strip()
        if depth == 2:
            self._package_level(number, text)
        elif depth == 4:
            self._second_level(number, text)
        elif depth == 6:
            if self._users and self._user_list is not None:
                self._user_item(number, text)
        elif depth < 6:
            # Deeper lines are details of details; an odd indent is a format unstalk does not know.
            self._problems.unknown_line(number, line, f"unexpected indent in {self._name}")

    def _package_level(self, number: int, text: str) -> None:
        self._list = self._user_list = None
        user = _USER.fullmatch(text)
        if user is not None:
            self._users.append(_User(int(user.group("user")), _pairs(user.group("attrs"))))
        elif text.endswith(":"):
            self._list = text[:-1]
        elif _FIELD.match(text):
            key, _, value = text.partition("=")
            self._fields.setdefault(key, value)
        else:
            self._problems.unknown_line(number, text, f"not understood in {self._name}")

    def _second_level(self, number: int, text: str) -> None:
        if self._list is not None and not (self._users and _USER_LEVEL.match(text)):
            self._lists.setdefault(self._list, []).append(text)
            return
        self._list = None
        if not self._users:
            if not _FIELD.match(text):
                self._problems.unknown_line(number, text, f"not understood in {self._name}")
            return
        user = self._users[-1]
        self._user_list = text[:-1] if text.endswith(":") else None
        if text.startswith("firstInstallTime="):
            user.first_install = text.partition("=")[2]
        elif not (text.endswith(":") or _FIELD.match(text) or _KEY_COLON.fullmatch(text)):
            self._problems.unknown_line(number, text, f"not understood in {self._name}")

    def _user_item(self, number: int, text: str) -> None:
        if self._user_list != "runtime permissions":
            return
        match = _GRANT.fullmatch(text)
        if match is None:
            self._problems.unknown_line(number, text, f"runtime permission of {self._name}")
        elif match.group("granted") == "true":
            self._users[-1].runtime.append(match.group("perm"))

    def _details(self) -> PackageDetails:
        fields = self._fields
        versions = _pairs("versionCode=" + fields.get("versionCode", ""))
        app_id = fields.get("appId", fields.get("userId"))
        signing = _SIGNATURES.fullmatch(fields.get("signatures", ""))
        if "versionCode" not in fields or app_id is None:
            self._problems.add(f"{self._name}: no versionCode or app id line")
        if fields.get("signatures") and signing is None:
            self._problems.add(
                f"{self._name}: signatures not understood: {quote(fields['signatures'])}"
            )
        users = tuple(self._user_state(user) for user in self._users)
        return PackageDetails(
            name=self._name,
            app_id=_int(app_id),
            version_code=_int(versions.get("versionCode")),
            version_name=fields.get("versionName"),
            min_sdk=_int(versions.get("minSdk")),
            target_sdk=_int(versions.get("targetSdk")),
            code_path=fields.get("codePath"),
            flags=_flags(fields.get("flags", fields.get("pkgFlags", ""))),
            private_flags=_flags(fields.get("privateFlags", "")),
            first_install=self._first_install(users),
            last_update=self._time(fields.get("lastUpdateTime")),
            installer=_package_name(fields.get("installerPackageName")),
            initiating_installer=_package_name(
                fields.get("initiatingPackageName", fields.get("installInitiatingPackageName"))
            ),
            originating_installer=_package_name(
                fields.get("originatingPackageName", fields.get("installOriginatingPackageName"))
            ),
            package_source=_int(fields.get("packageSource")),
            signing_version=_int(
                fields.get("apkSigningVersion", signing.group("version") if signing else None)
            ),
            signatures=_hashes(signing.group("current") if signing else ""),
            past_signatures=_hashes(signing.group("past") or "" if signing else ""),
            requested_permissions=self._permissions("requested permissions", _REQUESTED),
            install_permissions=self._permissions("install permissions", _GRANT),
            users=users,
        )

    def _permissions(self, name: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
        found: list[str] = []
        for item in self._lists.get(name, []):
            match = pattern.fullmatch(item)
            if match is None:
                self._problems.add(f"{self._name}: {name} entry not understood: {quote(item)}")
            elif match.groupdict().get("granted", "true") == "true":
                found.append(match.group("perm"))
        return tuple(found)

    def _user_state(self, user: _User) -> PackageUserState:
        attrs = user.attrs
        if "installed" not in attrs or "enabled" not in attrs:
            self._problems.add(f"{self._name}: User {user.user} line lacks installed= or enabled=")
        return PackageUserState(
            user=user.user,
            installed=attrs.get("installed") == "true",
            enabled_state=_int(attrs.get("enabled")) or 0,
            hidden=attrs.get("hidden") == "true",
            suspended=attrs.get("suspended") == "true",
            stopped=attrs.get("stopped") == "true",
            first_install=self._time(user.first_install),
            granted_runtime=tuple(user.runtime),
        )

    def _first_install(self, users: tuple[PackageUserState, ...]) -> datetime | None:
        package_level = self._time(self._fields.get("firstInstallTime"))
        if package_level is not None:
            return package_level
        times = [
            user.first_install
            for user in users
            if user.installed and user.first_install and user.first_install.year > _EPOCH_YEAR
        ]
        return min(times) if times else None

    def _time(self, text: str | None) -> datetime | None:
        if text is None:
            return None
        value = parse_local_time(text, self._tz)
        if value is None:
            self._problems.add(f"{self._name}: time not understood: {quote(text)}")
        return value


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def _pairs(text: str) -> dict[str, str]:
    """``a=1 b=2`` as a dict; words without ``=`` are left out."""
    pairs: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition("=")
        if sep:
            pairs[key] = value
    return pairs


def _flags(text: str) -> frozenset[str]:
    return frozenset(text.strip().strip("[]").split())


def _package_name(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip()
    return None if value in ("", "null") else value


def _hashes(text: str) -> tuple[str, ...]:
    items = (item.strip().split(" ", 1)[0] for item in text.split(","))
    return tuple(item for item in items if item)
