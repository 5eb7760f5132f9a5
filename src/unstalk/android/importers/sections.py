"""Cutting concatenated dumps into the output of each service or command.

``dumpsys`` run for every service (AndroidQF's ``dumpsys.txt``, the DUMPSYS
sections of a bugreport) frames each service's output the same way in Android
9 to 15 (``frameworks/native/cmds/dumpsys``)::

    -------------------------------------------------------------------------------
    DUMP OF SERVICE package:
    ...the service's own output...
    --------- 0.912s was the duration of dumpsys package, ending at: 2024-03-12 16:40:01

In a bugreport, services dumped at a priority carry it in the header
(``DUMP OF SERVICE CRITICAL cpuinfo:``, ``DUMP OF SERVICE HIGH meminfo:``); the
full dump of a service is the one without. A service that did not answer in time
gets ``*** SERVICE 'name' DUMP TIMEOUT (10000ms) EXPIRED ***``.

dumpstate (the bugreport's main text) frames each command as
``------ TITLE (command) ------`` and ends it with ``------ 0.050s was the
duration of 'TITLE' ------``. It runs some commands in parallel, so another
command's header or duration line can land inside a section; those lines are
never part of a command's output and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SERVICE_HEADER = re.compile(
    r"^DUMP OF SERVICE (?:(?P<priority>CRITICAL|HIGH|NORMAL) )?(?P<name>[^\s:]+):[ \t]*\r?$",
    re.MULTILINE,
)
_SEPARATOR = "-" * 79
_DUMPSTATE_LINE = re.compile(r"^------ .* ------[ \t]*\r?\n?", re.MULTILINE)
"""A dumpstate section header or duration line (six dashes on both sides)."""
_COMMAND_FAILED = re.compile(r"^\*\*\* command '.*' failed: .*\r?\n?", re.MULTILINE)
_DUMPSTATE_TIME = re.compile(r"^== dumpstate: (?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", re.M)


@dataclass(frozen=True, slots=True)
class ServiceDump:
    """One service's output, cut out of a concatenated ``dumpsys``."""

    name: str
    priority: str | None
    """``CRITICAL`` or ``HIGH`` for a bugreport's priority dumps; ``None`` for the full one."""
    text: str
    line: int
    """Line number of the ``DUMP OF SERVICE`` header in the whole text (from 1)."""
    ended_at: str | None
    """``YYYY-MM-DD HH:MM:SS`` in the phone's local time, from the footer; ``None`` if absent."""
    timed_out: bool

    @property
    def label(self) -> str:
        priority = f"{self.priority} " if self.priority else ""
        return f"DUMP OF SERVICE {priority}{self.name}"

    def problems(self) -> tuple[str, ...]:
        """What makes this output incomplete, in words."""
        found: list[str] = []
        if self.timed_out:
            found.append(f"the {self.name} service did not answer in time: its dump is cut short")
        elif self.ended_at is None:
            found.append(
                f"the dump of the {self.name} service has no end line: it may be cut short"
            )
        return tuple(found)


def split_services(text: str) -> tuple[ServiceDump, ...]:
    """Every ``DUMP OF SERVICE`` section of ``text``, in order."""
    headers = list(_SERVICE_HEADER.finditer(text))
    dumps: list[ServiceDump] = []
    line = 1
    position = 0
    for index, header in enumerate(headers):
        line += text.count("\n", position, header.start())
        position = header.start()
        limit = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        dumps.append(_service(text, header, limit, line))
    return tuple(dumps)


def _service(text: str, header: re.Match[str], limit: int, line: int) -> ServiceDump:
    name = header.group("name")
    start = header.end() + 1
    footer = re.compile(
        rf"^--------- [\d.]+s was the duration of dumpsys {re.escape(name)}"
        r"(?:, ending at: (?P<end>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d))?.*$",
        re.MULTILINE,
    ).search(text, start, limit)
    if footer is not None:
        body = text[start : footer.start()]
        ended_at = footer.group("end")
    else:
        body = text[start:limit]
        ended_at = None
        # Without a footer the section runs on to the next header: trim what belongs to it.
        cut = _DUMPSTATE_LINE.search(body)
        if cut is not None:
            body = body[: cut.start()]
        body = body.removesuffix(f"{_SEPARATOR}\n").removesuffix(f"{_SEPARATOR}\r\n")
    body = _DUMPSTATE_LINE.sub("", body)
    timed_out = f"*** SERVICE '{name}' DUMP TIMEOUT" in body
    return ServiceDump(name, header.group("priority"), body, line, ended_at, timed_out)


def find_service(dumps: tuple[ServiceDump, ...], name: str) -> ServiceDump | None:
    """The full dump of service ``name``: the one without priority, else the longest."""
    matching = [dump for dump in dumps if dump.name == name]
    if not matching:
        return None
    plain = [dump for dump in matching if dump.priority in (None, "NORMAL")]
    return max(plain or matching, key=lambda dump: len(dump.text))


@dataclass(frozen=True, slots=True)
class CommandSection:
    """One command's output in a dumpstate text."""

    title: str
    command: str
    text: str
    complete: bool
    """``False`` when dumpstate printed no duration line for it (the text may be cut short)."""


def dumpstate_section(text: str, title: str) -> CommandSection | None:
    """The output of the dumpstate command titled ``title`` (e.g. ``SYSTEM PROPERTIES``)."""
    header = re.compile(
        rf"^------ {re.escape(title)} \((?P<command>.*)\) ------[ \t]*\r?$", re.MULTILINE
    ).search(text)
    if header is None:
        return None
    start = header.end() + 1
    end = re.compile(
        rf"^------ [\d.]+s was the duration of '{re.escape(title)}' ------", re.MULTILINE
    ).search(text, start)
    body = text[start : end.start()] if end is not None else _until_next_section(text, start)
    body = _COMMAND_FAILED.sub("", _DUMPSTATE_LINE.sub("", body))
    return CommandSection(title, header.group("command"), body, end is not None)


def _until_next_section(text: str, start: int) -> str:
    """From ``start`` to the next dumpstate header that follows some output of this section."""
    seen_output = False
    position = start
    while position < len(text):
        newline = text.find("\n", position)
        stop = len(text) if newline < 0 else newline + 1
        line = text[position:stop]
        if _DUMPSTATE_LINE.fullmatch(line):
            if seen_output and not line.rstrip().endswith("' ------"):
                return text[start:position]
        elif line.strip() and not line.startswith("*** command "):
            seen_output = True
        position = stop
    return text[start:]


def dumpstate_time(text: str) -> str | None:
    """When dumpstate started (``== dumpstate: YYYY-MM-DD HH:MM:SS``, phone's local time)."""
    match = _DUMPSTATE_TIME.search(text, 0, 4096)
    return match.group("time") if match else None
