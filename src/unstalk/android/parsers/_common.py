"""Helpers shared by the parsers: results, refusals, Android time and uid formats.

Every parser starts with :func:`refusal`, which recognises outputs that are not
data at all (empty output, "Can't find service", a shell or Java error), so that
such a file becomes an ``UNPARSED`` result that says why instead of an empty,
reassuring answer.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import TypeVar

from unstalk.android.model import Parsed, ParseStatus

_T = TypeVar("_T")

PROBLEM_LIMIT = 20
"""At most this many problems are listed; the rest are counted in one last entry."""

_QUOTE_LIMIT = 160


class Problems:
    """What a parser could not read, bounded so a hostile file cannot flood a report."""

    def __init__(self, limit: int = PROBLEM_LIMIT) -> None:
        self._items: list[str] = []
        self._limit = limit
        self._dropped = 0

    def add(self, message: str) -> None:
        if len(self._items) < self._limit:
            self._items.append(message)
        else:
            self._dropped += 1

    def unknown_line(self, number: int, line: str, what: str = "line not understood") -> None:
        self.add(f"line {number}: {what}: {quote(line)}")

    def __bool__(self) -> bool:
        return bool(self._items)

    def as_tuple(self) -> tuple[str, ...]:
        if self._dropped:
            return (*self._items, f"... and {self._dropped} more problems not listed")
        return tuple(self._items)


def quote(line: str) -> str:
    """A line as shown in a problem: stripped, shortened, quoted."""
    text = line.strip()
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT] + "..."
    return repr(text)


def finish(source: str, value: _T, problems: Problems) -> Parsed[_T]:
    """``OK`` when nothing went wrong, else ``PARTIAL`` with the problems listed."""
    status = ParseStatus.PARTIAL if problems else ParseStatus.OK
    return Parsed(source=source, status=status, value=value, problems=problems.as_tuple())


def unparsed(source: str, reason: str) -> Parsed[_T]:
    return Parsed(source=source, status=ParseStatus.UNPARSED, value=None, problems=(reason,))


_ERROR_PREFIXES: tuple[tuple[str, str], ...] = (
    ("Can't find service:", "the phone has no such service"),
    ("cmd: Can't find service:", "the phone has no such service"),
    ("cmd: Failure calling service", "the service did not answer"),
    ("Permission Denial", "the phone refused the request"),
    ("Exception occurred while executing", "the command failed on the phone"),
    ("Security exception:", "the phone refused the request"),
    ("java.lang.", "the command failed on the phone"),
    ("Error:", "the command failed on the phone"),
    ("error:", "adb reported an error"),
    ("/system/bin/sh:", "the phone's shell could not run the command"),
    ("Unknown command:", "the command is not supported on this phone"),
    ("Unknown option:", "the command is not supported on this phone"),
)


def refusal(text: str, what: str) -> str | None:
    """Why ``text`` holds no data for ``what`` (empty, binary or an error), else ``None``."""
    if "\x00" in text:
        return f"the output of {what} contains binary data, not text"
    first = next((line.strip() for line in text.splitlines() if line.strip()), None)
    if first is None:
        return f"the output of {what} is empty"
    for prefix, meaning in _ERROR_PREFIXES:
        if first.startswith(prefix):
            return f"{meaning} ({what}): {quote(first)}"
    if "inaccessible or not found" in first:
        return f"the phone's shell could not run the command ({what}): {quote(first)}"
    return None


def not_this_output(what: str, text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return f"this is not the output of {what} (it starts with {quote(first)})"


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


_DURATION = re.compile(
    r"(?P<sign>[+-])?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?!s))?"
    r"(?:(?P<s>\d+)s)?(?:(?P<ms>\d+)ms)?"
)


def parse_duration(text: str) -> timedelta | None:
    """Android's ``TimeUtils.formatDuration`` form (``+1d2h3m4s5ms``, ``-5m0s1ms``, ``0``)."""
    text = text.strip()
    if text == "0":
        return timedelta(0)
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.group(k) for k in ("d", "h", "m", "s", "ms")):
        return None
    value = timedelta(
        days=int(match.group("d") or 0),
        hours=int(match.group("h") or 0),
        minutes=int(match.group("m") or 0),
        seconds=int(match.group("s") or 0),
        milliseconds=int(match.group("ms") or 0),
    )
    return -value if match.group("sign") == "-" else value


_LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?")


def parse_local_time(text: str, tz: tzinfo | None) -> datetime | None:
    """A ``yyyy-MM-dd HH:mm:ss[.SSS]`` time as the phone printed it, in the phone's zone.

    Without ``tz`` the result is naive: the phone's local time, zone unknown.
    """
    text = text.strip()
    if _LOCAL_TIME.fullmatch(text) is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=tz) if tz is not None else value


_UID = re.compile(r"(?P<plain>\d+)|u(?P<user>\d+)(?P<kind>a|s|i|ai)(?P<num>\d+)")
_PER_USER_RANGE = 100_000
_FIRST_APPLICATION_UID = 10_000
_FIRST_ISOLATED_UID = 99_000
_FIRST_APP_ZYGOTE_ISOLATED_UID = 90_000


def parse_uid(text: str) -> int | None:
    """A uid as ``UserHandle.formatUid`` prints it (``1000``, ``u0a123``, ``u10s1000``)."""
    match = _UID.fullmatch(text.strip())
    if match is None:
        return None
    if match.group("plain") is not None:
        return int(match.group("plain"))
    base = {
        "a": _FIRST_APPLICATION_UID,
        "s": 0,
        "i": _FIRST_ISOLATED_UID,
        "ai": _FIRST_APP_ZYGOTE_ISOLATED_UID,
    }[match.group("kind")]
    return int(match.group("user")) * _PER_USER_RANGE + base + int(match.group("num"))


def user_of_uid(uid: int) -> int:
    return uid // _PER_USER_RANGE


def full_component(component: str) -> str:
    """``pkg/.Cls`` (Android's short form) as ``pkg/pkg.Cls``; other forms unchanged."""
    package, slash, cls = component.strip().partition("/")
    if slash and cls.startswith("."):
        return f"{package}/{package}{cls}"
    return component.strip()


_COMPONENT = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*/[A-Za-z0-9_.$]+")


def is_component(text: str) -> bool:
    return _COMPONENT.fullmatch(text) is not None


def split_component_list(value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A colon-separated settings value: (components in full form, entries not understood)."""
    good: list[str] = []
    bad: list[str] = []
    for item in value.split(":"):
        entry = item.strip()
        if not entry or entry == "null":
            continue
        if is_component(entry):
            component = full_component(entry)
            if component not in good:
                good.append(component)
        else:
            bad.append(entry)
    return tuple(good), tuple(bad)


def setting_components(setting: str, value: str | None, problems: Problems) -> tuple[str, ...]:
    """The components of a colon-separated secure setting; entries not understood are named."""
    if value is None:
        return ()
    components, bad = split_component_list(value)
    for entry in bad:
        problems.add(f"{setting}: entry not understood: {quote(entry)}")
    return components


def merge_unique(*groups: tuple[str, ...]) -> tuple[str, ...]:
    """The items of every group, first appearance first, without repeats."""
    return tuple(dict.fromkeys(item for group in groups for item in group))


def as_text(data: bytes) -> str:
    """Command output as text; bytes that are not UTF-8 become U+FFFD rather than an error."""
    return data.decode("utf-8", errors="replace")
