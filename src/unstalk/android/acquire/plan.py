"""What an acquisition asks the phone, and the guard that keeps every question read-only.

Each :class:`PlanStep` is one command run as ``adb -s SERIAL shell <command>``;
its output is written untouched to ``output`` in the acquisition folder. The
file names are a contract with the parsers and the recorded test fixtures
(``tests/android/recorded/FILES.md``), so change them only together.

:func:`check_read_only` runs before anything is sent to the phone. It accepts
only the command shapes listed here and refuses everything else (installing,
uninstalling, clearing data, changing settings, deleting files, starting
activities ...). ``adb shell`` hands the command to the phone's shell as one
string, so every word must also be free of shell syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from unstalk.errors import DeviceError


class UnsafeCommandError(DeviceError):
    """unstalk refused to send a command that is not known to be read-only."""


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One read-only device command and where its output goes."""

    output: str
    """File name in the acquisition folder, e.g. ``getprop.txt``."""
    command: tuple[str, ...]
    """The command as run by the phone's shell, one word per item."""
    timeout: float
    """Seconds to wait before deciding the phone stopped answering."""
    label: str
    """Short description shown while the step runs."""
    normal_exit_codes: frozenset[int] = frozenset({0})
    """Exit codes that mean the command worked (``which`` exits 1 when it finds nothing)."""

    @property
    def stderr_output(self) -> str:
        """File name for the command's error output, written only when there is some."""
        stem = self.output.rsplit(".", 1)[0]
        return f"{stem}.stderr.txt"


ROOT_PATHS = (
    "/system/bin/su",
    "/system/xbin/su",
    "/sbin/su",
    "/su/bin/su",
    "/system/su",
    "/system/bin/.ext/su",
    "/system/usr/we-need-root/su",
    "/data/local/su",
    "/data/local/bin/su",
    "/data/local/xbin/su",
    "/cache/su",
    "/dev/su",
    "/system/app/Superuser.apk",
    "/system/app/SuperSU",
    "/sbin/magisk",
    "/system/bin/magisk",
    "/data/adb/magisk",
    "/data/adb/ksu",
    "/init.magisk.rc",
)
"""Places where rooting tools leave an ``su`` binary or their own files."""

_LAUNCHER_QUERY = (
    "cmd",
    "package",
    "query-activities",
    "--components",
    "-a",
    "android.intent.action.MAIN",
    "-c",
    "android.intent.category.LAUNCHER",
)


def _step(
    output: str, command: str | tuple[str, ...], timeout: float, label: str, *, found: int = 0
) -> PlanStep:
    """A plan step; ``found`` is a second normal exit code (a search that found nothing)."""
    words = tuple(command.split()) if isinstance(command, str) else command
    return PlanStep(output, words, timeout, label, frozenset({0, found}))


PLAN: tuple[PlanStep, ...] = (
    # getprop comes first: acquisition.json takes the model and Android version from it.
    _step("getprop.txt", "getprop", 30, "system properties"),
    _step(
        "packages.txt",
        "pm list packages -f -i -U --show-versioncode -u",
        60,
        "installed apps",
    ),
    _step("packages_system.txt", "pm list packages -s", 60, "system apps"),
    _step("packages_third_party.txt", "pm list packages -3", 60, "third-party apps"),
    _step("packages_disabled.txt", "pm list packages -d", 60, "disabled apps"),
    _step("dumpsys_package.txt", "dumpsys package", 180, "app details"),
    _step("dumpsys_accessibility.txt", "dumpsys accessibility", 60, "accessibility services"),
    _step("dumpsys_device_policy.txt", "dumpsys device_policy", 60, "device administrators"),
    _step("dumpsys_notification.txt", "dumpsys notification", 60, "notification listeners"),
    _step("dumpsys_appops.txt", "dumpsys appops", 90, "app permissions in use"),
    _step("dumpsys_location.txt", "dumpsys location", 60, "location requests"),
    _step("dumpsys_usagestats.txt", "dumpsys usagestats", 120, "app usage"),
    _step("dumpsys_activity_services.txt", "dumpsys activity services", 90, "running services"),
    _step("settings_secure.txt", "settings list secure", 30, "secure settings"),
    _step("settings_system.txt", "settings list system", 30, "system settings"),
    _step("settings_global.txt", "settings list global", 30, "global settings"),
    _step("launcher_activities.txt", _LAUNCHER_QUERY, 60, "apps with a launcher icon"),
    _step("root_which_su.txt", "which su", 15, "root check (su on PATH)", found=1),
    # toybox ls exits 1 when any path is missing, which on a phone that is not rooted is all.
    _step(
        "root_indicators.txt", ("ls", "-ld", *ROOT_PATHS), 15, "root check (known files)", found=1
    ),
)

GETPROP_OUTPUT = "getprop.txt"
THIRD_PARTY_OUTPUT = "packages_third_party.txt"
"""Plan outputs the acquisition itself reads: device facts, and which APKs to pull."""

PULL_TIMEOUT = 300.0
"""Seconds allowed for pulling one APK (large apps over a slow cable)."""
PM_PATH_TIMEOUT = 30.0


def step_for(command: Sequence[str], plan: Sequence[PlanStep] = PLAN) -> PlanStep | None:
    """The plan step that runs exactly ``command``, if any."""
    wanted = tuple(command)
    return next((step for step in plan if step.command == wanted), None)


# Package names are letters, digits, '_' and '.'; everything sent is held to a strict
# character set so the phone's shell can never see a quote, ';', '|', '$', '>' or '&'.
_SAFE_WORD = re.compile(r"[A-Za-z0-9._/:=+,@-]+")
_PACKAGE = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")
_PROPERTY = re.compile(r"[A-Za-z0-9._-]+")
_ABSOLUTE_PATH = re.compile(r"/[A-Za-z0-9._/+-]*")

_PM_LIST_FLAGS = frozenset({"-f", "-i", "-U", "-u", "-s", "-3", "-d", "-e", "--show-versioncode"})
_DUMPSYS_SERVICES: dict[str, frozenset[tuple[str, ...]]] = {
    "package": frozenset({()}),
    "accessibility": frozenset({()}),
    "device_policy": frozenset({()}),
    "notification": frozenset({()}),
    "appops": frozenset({()}),
    "location": frozenset({()}),
    "usagestats": frozenset({()}),
    "activity": frozenset({("services",)}),
}
_SETTINGS_NAMESPACES = frozenset({"secure", "system", "global"})
_LS_FLAGS = frozenset({"-l", "-ld", "-d"})


def is_package_name(name: str) -> bool:
    """True for a well-formed Android package name (safe in a path and a shell command)."""
    return _PACKAGE.fullmatch(name) is not None


def _getprop(args: tuple[str, ...]) -> bool:
    return not args or (len(args) == 1 and _PROPERTY.fullmatch(args[0]) is not None)


def _pm(args: tuple[str, ...]) -> bool:
    if args[:2] == ("list", "packages"):
        return set(args[2:]) <= _PM_LIST_FLAGS
    return len(args) == 2 and args[0] == "path" and is_package_name(args[1])


def _dumpsys(args: tuple[str, ...]) -> bool:
    return bool(args) and args[1:] in _DUMPSYS_SERVICES.get(args[0], frozenset())


def _settings(args: tuple[str, ...]) -> bool:
    if len(args) == 2 and args[0] == "list":
        return args[1] in _SETTINGS_NAMESPACES
    return (
        len(args) == 3
        and args[0] == "get"
        and args[1] in _SETTINGS_NAMESPACES
        and _PROPERTY.fullmatch(args[2]) is not None
    )


def _cmd(args: tuple[str, ...]) -> bool:
    if args[:2] != ("package", "query-activities"):
        return False
    rest = list(args[2:])
    while rest:
        word = rest.pop(0)
        if word in ("--components", "--brief"):
            continue
        if word in ("-a", "-c") and rest and _PROPERTY.fullmatch(rest.pop(0)):
            continue
        return False
    return True


def _which(args: tuple[str, ...]) -> bool:
    return len(args) == 1 and _PROPERTY.fullmatch(args[0]) is not None


def _ls(args: tuple[str, ...]) -> bool:
    flags = [a for a in args if a.startswith("-")]
    paths = [a for a in args if not a.startswith("-")]
    return (
        set(flags) <= _LS_FLAGS
        and bool(paths)
        and all(_ABSOLUTE_PATH.fullmatch(p) and ".." not in p.split("/") for p in paths)
    )


_ALLOWED: dict[str, Callable[[tuple[str, ...]], bool]] = {
    "getprop": _getprop,
    "pm": _pm,
    "dumpsys": _dumpsys,
    "settings": _settings,
    "cmd": _cmd,
    "which": _which,
    "ls": _ls,
}


def check_read_only(command: Sequence[str]) -> None:
    """Raise :class:`UnsafeCommandError` unless ``command`` is a known read-only query."""
    words = tuple(command)
    shown = " ".join(words) or "(empty command)"
    unsafe = [w for w in words if not _SAFE_WORD.fullmatch(w)]
    allowed = _ALLOWED.get(words[0]) if words else None
    if unsafe or allowed is None or not allowed(words[1:]):
        raise UnsafeCommandError(
            f"unstalk refused to send '{shown}' to the phone: it is not on the list of "
            "read-only commands.",
            advice="A check never changes the phone. This is a bug in unstalk; please report it.",
        )
