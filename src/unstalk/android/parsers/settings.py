"""``settings list secure|system|global``: one ``key=value`` line per setting.

Only the first ``=`` separates key and value: values may hold ``=`` themselves
(URLs, JSON, base64). Keys are identifier-like; a line whose part before ``=``
is not is reported rather than guessed at.
"""

from __future__ import annotations

import re

from unstalk.android.model import DeviceSettings, Parsed, ParseStatus
from unstalk.android.parsers._common import (
    Problems,
    finish,
    not_this_output,
    refusal,
    split_component_list,
    unparsed,
)

_KEY = re.compile(r"[A-Za-z0-9_.:\-/]+")

Table = tuple[tuple[str, str], ...]


def parse_settings_list(text: str, *, source: str) -> Parsed[Table]:
    """The ``(key, value)`` pairs of one namespace, in the order listed."""
    what = "`settings list`"
    reason = refusal(text, what)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    pairs: list[tuple[str, str]] = []
    lines = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        lines += 1
        key, sep, value = line.partition("=")
        if sep and _KEY.fullmatch(key):
            pairs.append((key, value))
        else:
            problems.unknown_line(number, line)
    if not pairs or len(pairs) * 2 < lines:
        return unparsed(source, not_this_output(what, text))
    return finish(source, tuple(pairs), problems)


def combine_settings(
    secure: Parsed[Table], system: Parsed[Table], global_: Parsed[Table]
) -> Parsed[DeviceSettings]:
    """The three namespaces as one value; a namespace that failed makes the whole ``PARTIAL``."""
    parts = (("secure", secure), ("system", system), ("global", global_))
    readable = [part for part in parts if part[1].value is not None]
    problems = tuple(
        f"{part.source}: {problem}" for _name, part in parts for problem in part.problems
    )
    source = ", ".join(part.source for _name, part in parts)
    if not readable:
        return Parsed(source=source, status=ParseStatus.UNPARSED, problems=problems)
    value = DeviceSettings(
        secure=secure.value or (),
        system=system.value or (),
        global_=global_.value or (),
    )
    ok = all(part.status is ParseStatus.OK for _name, part in parts)
    status = ParseStatus.OK if ok else ParseStatus.PARTIAL
    return Parsed(source=source, status=status, value=value, problems=problems)


def components_setting(
    settings: DeviceSettings, key: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A secure setting holding a ``:``-separated component list (enabled accessibility
    services, notification listeners): (components, entries not understood)."""
    value = settings.get("secure", key)
    if value is None:
        return (), ()
    return split_component_list(value)
