"""``dumpsys usagestats``: when each app was last used.

Per user (``user=0``) the dump prints ``Last 24 hour events`` then ``In-memory
daily|weekly|monthly|yearly stats``, each with a ``packages`` list:

- Android 9: ``package=com.example totalTime="1:02:03" lastTime="2021-03-15 09:30:00"
  appLaunchCount=5``;
- Android 10+: ``totalTimeUsed=``, ``lastTimeUsed=``, ``totalTimeVisible=``,
  ``lastTimeVisible=``, (12+) ``lastTimeComponentUsed=``, ``totalTimeFS=``,
  ``lastTimeFS=`` (foreground service), ``appLaunchCount=``;

and events: ``time="2021-03-15 09:12:03" type=MOVE_TO_FOREGROUND package=com.example
...`` (``ACTIVITY_RESUMED`` from Android 10). Times are the phone's local time;
``1970-01-01`` means never.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from unstalk.android.model import Parsed
from unstalk.android.parsers._common import (
    Problems,
    finish,
    not_this_output,
    parse_local_time,
    refusal,
    unparsed,
)

WHAT = "`dumpsys usagestats`"
_MARKERS = ("Last 24 hour events", "In-memory daily stats")

_PAIR = re.compile(r'(?P<key>\w+)=(?:"(?P<quoted>[^"]*)"|(?P<plain>\S+))')
_USE_KEYS = ("lastTime", "lastTimeUsed", "lastTimeVisible")
_SERVICE_KEYS = ("lastTimeFS",)
_USE_EVENTS = frozenset(
    {
        "MOVE_TO_FOREGROUND",
        "MOVE_TO_BACKGROUND",
        "ACTIVITY_RESUMED",
        "ACTIVITY_PAUSED",
        "ACTIVITY_STOPPED",
        "USER_INTERACTION",
    }
)
_SERVICE_EVENTS = frozenset({"FOREGROUND_SERVICE_START", "FOREGROUND_SERVICE_STOP"})
_LISTS = frozenset({"packages", "ChooserCounts", "configurations", "event aggregations", "events"})
_EPOCH_YEAR = 1970


@dataclass(frozen=True, slots=True)
class AppUsage:
    """The latest use of one app the phone still remembers."""

    package: str
    last_used: datetime | None = None
    """Latest time the app was on screen or touched."""
    last_service_used: datetime | None = None
    """Latest time it ran a foreground service (Android 10+ or events)."""
    launch_count: int | None = None


def parse_usagestats(
    text: str, *, source: str, tz: tzinfo | None = None
) -> Parsed[tuple[AppUsage, ...]]:
    """Per package, the latest use found in any interval or event; sorted by name."""
    reason = refusal(text, WHAT)
    if reason is None and not any(marker in text for marker in _MARKERS):
        reason = not_this_output(WHAT, text)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    reader = _Reader(problems, tz)
    for number, line in enumerate(text.splitlines(), 1):
        reader.line(number, len(line) - len(line.lstrip(" ")), line.strip())
    return finish(source, reader.result(), problems)


@dataclass
class _Usage:
    last_used: datetime | None = None
    last_service_used: datetime | None = None
    launch_count: int | None = None


class _Reader:
    def __init__(self, problems: Problems, tz: tzinfo | None) -> None:
        self._problems = problems
        self._tz = tz
        self._list = ""
        self._list_indent = 0
        self._usage: dict[str, _Usage] = {}

    def line(self, number: int, indent: int, text: str) -> None:
        if not text:
            return
        if self._list and indent <= self._list_indent:
            # Back at the list header's level: the list is over (App Standby lines also
            # start with ``package=`` and must not be read as usage).
            self._list = ""
        if text in _LISTS or text.startswith("Last 24 hour events"):
            self._list = "events" if text.startswith("Last") else text
            self._list_indent = indent
        elif self._list == "packages" and text.startswith("package="):
            self._package(number, text)
        elif self._list == "events" and text.startswith("time="):
            self._event(number, text)

    def _pairs(self, text: str) -> dict[str, str]:
        return {
            match.group("key"): match.group("quoted") or match.group("plain") or ""
            for match in _PAIR.finditer(text)
        }

    def _package(self, number: int, text: str) -> None:
        pairs = self._pairs(text)
        if not any(key in pairs for key in _USE_KEYS):
            self._problems.unknown_line(number, text, "package usage without a last-use time")
            return
        usage = self._usage.setdefault(pairs["package"], _Usage())
        for key in _USE_KEYS:
            usage.last_used = _later(usage.last_used, self._time(pairs.get(key)))
        for key in _SERVICE_KEYS:
            usage.last_service_used = _later(usage.last_service_used, self._time(pairs.get(key)))
        count = pairs.get("appLaunchCount", "")
        if count.isdigit():
            usage.launch_count = max(usage.launch_count or 0, int(count))

    def _event(self, number: int, text: str) -> None:
        pairs = self._pairs(text)
        if "package" not in pairs or "type" not in pairs:
            self._problems.unknown_line(number, text, "usage event without package or type")
            return
        when = self._time(pairs.get("time"))
        usage = self._usage.setdefault(pairs["package"], _Usage())
        if pairs["type"] in _USE_EVENTS:
            usage.last_used = _later(usage.last_used, when)
        elif pairs["type"] in _SERVICE_EVENTS:
            usage.last_service_used = _later(usage.last_service_used, when)

    def _time(self, text: str | None) -> datetime | None:
        if not text:
            return None
        value = parse_local_time(text, self._tz)
        if value is None:
            self._problems.add(f"time not understood: {text!r}")
        elif value.year <= _EPOCH_YEAR:
            return None
        return value

    def result(self) -> tuple[AppUsage, ...]:
        return tuple(
            AppUsage(name, usage.last_used, usage.last_service_used, usage.launch_count)
            for name, usage in sorted(self._usage.items())
        )


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if candidate is None:
        return current
    if current is None or candidate > current:
        return candidate
    return current
