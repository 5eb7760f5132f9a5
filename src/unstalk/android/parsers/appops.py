"""``dumpsys appops``: each app's app-op modes and when it last used each op.

After ``Current AppOps Service state:`` and some watcher sections come
``  Uid u0a123:`` blocks with ``    Package pkg:`` blocks and one line per op.
The op line and its times changed over the years:

- up to Android 8 (and ``appops get``): ``CAMERA: mode=allow; time=+1h2m3s ago``,
  or ``CAMERA (allow); time=+1d2h3m4s5ms ago``: times relative to the dump only;
- Android 9: ``CAMERA (allow): `` then ``Access: top   = 2019-06-10 20:15:03.123
  (-1d2h3m4s5ms)``, one line per process state, the next ones indented without
  ``Access:``;
- Android 10: ``Access: [top-s] 2020-03-20 10:17:56.786 (-2m48s432ms) duration=+1s``;
- Android 11 to 15: the same lines inside one ``null=[ ... ]`` (or ``tag=[``)
  group per attribution tag, and ``Reject: [fg-s]2021-05-19 ...`` (no space).

Absolute times are the phone's local time: with ``tz`` they become aware
datetimes; without it, ``now`` (when the dump was taken) and the relative part
give the time; with neither they stay naive. A legacy relative-only time needs
``now``; without it the time is left out and the result says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from unstalk.android.model import AppOpUse, Parsed
from unstalk.android.parsers._common import (
    Problems,
    finish,
    indent_of,
    not_this_output,
    parse_duration,
    parse_local_time,
    parse_uid,
    refusal,
    unparsed,
)

WHAT = "`dumpsys appops`"
HEADER = "Current AppOps Service state:"

_UID = re.compile(r"Uid (?P<uid>\S+):")
_PACKAGE = re.compile(r"Package (?P<package>\S+):")
_OP = re.compile(
    r"(?P<op>[A-Z][A-Z0-9_]*) \((?P<mode>[a-z]+)(?: / switch [A-Z0-9_]+=[a-z]+)?\)"
    r"(?P<rest>:|(?:; .*)?)"
)
_LEGACY_OP = re.compile(r"(?P<op>[A-Z][A-Z0-9_]*): mode=(?P<mode>\w+)(?P<rest>(?:; .*)?)")
_TIME = re.compile(
    r"(?:(?P<kind>Access|Reject): )?(?:\[(?P<key>[^\]]*)\] ?)?(?:(?P<state>[a-z]+)\s+= )?"
    r"(?P<abs>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \((?P<rel>[^)]*)\)(?P<rest>.*)"
)
_LEGACY_TIME = re.compile(r"; time=(?P<ago>[^;]+) ago")
_UID_KEYS = (
    "state=",
    "pendingState=",
    "capability=",
    "pendingCapability=",
    "appWidgetVisible=",
    "pendingAppWidgetVisible=",
    "pendingStateCommitTime=",
    "foregroundOps:",
    "hasForegroundWatchers=",
    "startNesting=",
)
_OP_KEYS = ("duration=", "Running start at:", "startNesting=", "]")
_MODE_NUMBERS = {"0": "allow", "1": "ignore", "2": "deny", "3": "default", "4": "foreground"}


@dataclass
class _Op:
    package: str
    op: str
    mode: str
    uid: int | None
    last_access: datetime | None = None


def parse_appops(
    text: str, *, source: str, now: datetime | None = None, tz: tzinfo | None = None
) -> Parsed[tuple[AppOpUse, ...]]:
    """Every (package, op) with its mode and last access, in the order printed."""
    reason = refusal(text, WHAT)
    if reason is None and HEADER not in text:
        reason = not_this_output(WHAT, text)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    reader = _Reader(problems, now, tz)
    reader.read(text.splitlines())
    uses = tuple(
        AppOpUse(package=op.package, op=op.op, mode=op.mode, last_access=op.last_access, uid=op.uid)
        for op in reader.ops
    )
    return finish(source, uses, problems)


class _Reader:
    def __init__(self, problems: Problems, now: datetime | None, tz: tzinfo | None) -> None:
        self._problems = problems
        self._now = now
        self._tz = tz
        self.ops: list[_Op] = []
        self._uid: int | None = None
        self._in_uids = False
        self._package: str | None = None
        self._op: _Op | None = None
        self._kind = ""
        self._lost_times = 0
        self._uid_blocks = 0

    def read(self, lines: list[str]) -> None:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            indent = indent_of(line)
            text = line.strip()
            if indent <= 2:
                self._top_level(text)
            elif self._in_uids:
                self._uid_line(number, indent, text)
        if not self._uid_blocks:
            self._problems.add("no 'Uid' block: the app-ops of no app are listed")
        if self._lost_times:
            self._problems.add(
                f"{self._lost_times} last-access times are relative to the dump and no dump "
                "time was given: they are left out"
            )

    def _top_level(self, text: str) -> None:
        match = _UID.fullmatch(text)
        self._in_uids = match is not None
        self._package = None
        self._op = None
        if match is not None:
            self._uid_blocks += 1
            self._uid = parse_uid(match.group("uid"))
            if self._uid is None:
                self._problems.add(f"uid not understood: {match.group('uid')!r}")

    def _uid_line(self, number: int, indent: int, text: str) -> None:
        if indent == 4:
            self._op = None
            match = _PACKAGE.fullmatch(text)
            if match is not None:
                self._package = match.group("package")
            elif not text.startswith(_UID_KEYS):
                self._problems.unknown_line(number, text, "not an app-op line")
        elif indent == 6:
            self._op_line(number, text)
        elif self._op is not None:
            self._time_line(number, text)

    def _op_line(self, number: int, text: str) -> None:
        self._op = None
        match = _OP.fullmatch(text) or _LEGACY_OP.fullmatch(text)
        if match is None:
            if self._package is not None:
                self._problems.unknown_line(number, text, "not an app-op line")
            return
        if self._package is None:
            return  # a uid-wide mode (``COARSE_LOCATION: mode=ignore``): no package to tie it to
        mode = _MODE_NUMBERS.get(match.group("mode"), match.group("mode"))
        self._op = _Op(self._package, match.group("op"), mode, self._uid)
        self.ops.append(self._op)
        legacy = _LEGACY_TIME.search(match.group("rest"))
        if legacy is not None:
            self._legacy_time(legacy.group("ago"))

    def _time_line(self, number: int, text: str) -> None:
        if text.endswith("=[") or text.startswith(_OP_KEYS):
            return
        match = _TIME.fullmatch(text)
        if match is None:
            self._problems.unknown_line(number, text, "not an access time")
            return
        if match.group("kind"):
            self._kind = match.group("kind")
        if self._kind == "Access" and self._op is not None:
            self._access(self._when(match.group("abs"), match.group("rel")))

    def _when(self, absolute: str, relative: str) -> datetime | None:
        if self._tz is not None:
            return parse_local_time(absolute, self._tz)
        offset = parse_duration(relative)
        if self._now is not None and offset is not None:
            return self._now + offset
        return parse_local_time(absolute, None)

    def _legacy_time(self, ago: str) -> None:
        offset = parse_duration(ago)
        if self._now is None or offset is None:
            self._lost_times += 1
            return
        self._access(self._now - offset)

    def _access(self, when: datetime | None) -> None:
        if when is None or self._op is None:
            return
        if self._op.last_access is None or when > self._op.last_access:
            self._op.last_access = when
