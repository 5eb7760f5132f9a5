"""``dumpsys location``: which apps asked for the phone's location, and which ask now.

Android 9 to 11 (``Current Location Manager state:``):

- ``Active Records by Provider:`` then ``gps:`` and
  ``UpdateRecord[gps com.example(10145 foreground) Request[...] ...]`` lines;
- ``Historical Records by Provider:`` then
  ``com.example: gps: Min interval 1 seconds: Max interval 60 seconds: Duration
  requested 20 total, 3 foreground, out of the last 96 minutes: Currently active``
  (Android 9 prints ``Duration requested 20 out of the last ...``; 11 may end with
  ``: Last active 5 minutes ago``).

Android 12 to 15 (``Location Manager State:``):

- ``Location Providers:`` then ``gps provider:`` and, under ``listeners:``,
  ``10145/com.example[tag]/1A2B3C4D Request[...]`` (`` (inactive)`` when paused);
- ``Historical Aggregate Location Provider Data:`` then ``gps:`` and
  ``10145/com.example[tag]: min/max interval = 1s/60s, total/active/foreground
  duration = +2h1m/+1h/+5m, locations = 812``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta

from unstalk.android.model import Parsed
from unstalk.android.parsers._common import (
    Problems,
    finish,
    indent_of,
    not_this_output,
    parse_duration,
    refusal,
    unparsed,
)

WHAT = "`dumpsys location`"
_HEADERS = ("Current Location Manager state:", "Location Manager State:")

_IDENTITY = r"(?P<uid>\d+)/(?P<package>[A-Za-z0-9_.]+)(?:\[(?P<tag>[^\]]*)\])?"
_AGGREGATE = re.compile(
    _IDENTITY + r": min/max interval = \S+/\S+, total/active/foreground duration = "
    r"(?P<total>[^/]+)/(?P<active>[^/]+)/(?P<foreground>[^,]+), locations = (?P<count>\d+)"
)
_LISTENER = re.compile(_IDENTITY + r"/[0-9A-F]+ Request\[.*?(?P<inactive> \(inactive\))?")
_RECORD = re.compile(
    r"(?P<package>[A-Za-z0-9_.]+): (?P<provider>[a-z_]+): .*?Duration requested (?P<total>\d+)"
    r"(?: total, (?P<foreground>\d+) foreground,)? out of the last \d+ minutes"
    r"(?P<active>: Currently active)?(?:: Last active \d+ minutes ago)?"
)
_UPDATE_RECORD = re.compile(
    r"UpdateRecord\[(?P<provider>[a-z_]+) (?P<package>[A-Za-z0-9_.]+)\((?P<uid>\d+)[ )].*"
)


@dataclass(frozen=True, slots=True)
class LocationUse:
    """One app's use of one location provider."""

    package: str
    provider: str
    uid: int | None = None
    attribution: str | None = None
    active: bool = False
    """Requesting location at the time of the dump."""
    requested: timedelta | None = None
    """How long it has asked for location over the period the phone keeps."""
    foreground: timedelta | None = None
    """Of that, how long while the app was in the foreground."""
    deliveries: int | None = None
    """Locations delivered to it (Android 12+)."""


def parse_location(text: str, *, source: str) -> Parsed[tuple[LocationUse, ...]]:
    """Per app and provider: how long it asked for location and whether it asks now."""
    reason = refusal(text, WHAT)
    if reason is None and not any(header in text for header in _HEADERS):
        reason = not_this_output(WHAT, text)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    reader = _Reader(problems)
    reader.read(text.splitlines())
    return finish(source, reader.result(), problems)


_Key = tuple[str, str, str | None]


class _Reader:
    def __init__(self, problems: Problems) -> None:
        self._problems = problems
        self._uses: dict[_Key, LocationUse] = {}
        self._active: set[tuple[str, str]] = set()
        self._section = ""
        self._provider = ""
        self._in_listeners = False
        self._history_seen = False

    def read(self, lines: list[str]) -> None:
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if not text:
                continue
            indent = indent_of(line)
            if indent <= 2:
                self._section_header(text)
            elif indent == 4 and text.endswith(":"):
                self._provider = text[:-1].removesuffix(" provider")
                self._in_listeners = False
            elif self._section:
                self._section_line(number, indent, text)
        if not self._history_seen:
            self._problems.add("no historical location records section")

    def _section_header(self, text: str) -> None:
        sections = {
            "Active Records by Provider:": "active",
            "Location Providers:": "providers",
            "Historical Records by Provider:": "records",
            "Historical Aggregate Location Provider Data:": "aggregate",
        }
        self._section = sections.get(text, "")
        self._provider = ""
        self._history_seen = self._history_seen or self._section in ("records", "aggregate")

    def _section_line(self, number: int, indent: int, text: str) -> None:
        if self._section == "records" and indent == 4:
            self._record(number, text)
        elif self._section == "aggregate" and indent == 6:
            self._aggregate(number, text)
        elif self._section == "active" and indent == 6:
            match = _UPDATE_RECORD.fullmatch(text)
            if match is not None:
                self._active.add((match.group("package"), match.group("provider")))
        elif self._section == "providers":
            self._provider_line(indent, text)

    def _provider_line(self, indent: int, text: str) -> None:
        if indent == 6:
            self._in_listeners = text == "listeners:"
        elif indent == 8 and self._in_listeners:
            match = _LISTENER.match(text)
            if match is not None and not text.endswith("(inactive)"):
                self._active.add((match.group("package"), self._provider))

    def _record(self, number: int, text: str) -> None:
        match = _RECORD.fullmatch(text)
        if match is None:
            self._problems.unknown_line(number, text, "location record not understood")
            return
        foreground = match.group("foreground")
        self._add(
            LocationUse(
                package=match.group("package"),
                provider=match.group("provider"),
                active=bool(match.group("active")),
                requested=timedelta(minutes=int(match.group("total"))),
                foreground=timedelta(minutes=int(foreground)) if foreground else None,
            )
        )

    def _aggregate(self, number: int, text: str) -> None:
        match = _AGGREGATE.fullmatch(text)
        if match is None:
            self._problems.unknown_line(number, text, "location record not understood")
            return
        self._add(
            LocationUse(
                package=match.group("package"),
                provider=self._provider,
                uid=int(match.group("uid")),
                attribution=match.group("tag"),
                requested=parse_duration(match.group("total")),
                foreground=parse_duration(match.group("foreground")),
                deliveries=int(match.group("count")),
            )
        )

    def _add(self, use: LocationUse) -> None:
        self._uses.setdefault((use.package, use.provider, use.attribution), use)

    def result(self) -> tuple[LocationUse, ...]:
        uses = [
            replace(use, active=True) if (use.package, use.provider) in self._active else use
            for use in self._uses.values()
        ]
        known = {(use.package, use.provider) for use in uses}
        uses += [
            LocationUse(package=package, provider=provider, active=True)
            for package, provider in sorted(self._active - known)
        ]
        return tuple(uses)
