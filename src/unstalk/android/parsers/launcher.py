"""``cmd package query-activities`` for ``MAIN``/``LAUNCHER``: apps with an icon in the app list.

An app that requests intrusive access yet shows no icon is hiding from the
person. Three output forms are read:

- ``--components``: one ``pkg/.Activity`` per line;
- ``--brief``: ``N activities found:``, then per activity ``  Activity #0:``,
  ``    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true``
  and ``    pkg/.Activity``;
- no option: the same headers followed by a full ``ResolveInfo`` dump with
  ``packageName=pkg`` lines.

``No activities found`` is an empty answer, not a failure.
"""

from __future__ import annotations

import re

from unstalk.android.model import Parsed
from unstalk.android.parsers._common import (
    Problems,
    finish,
    is_component,
    not_this_output,
    refusal,
    unparsed,
)

WHAT = "`cmd package query-activities`"

_KNOWN = re.compile(
    r"\d+ activities found:|Activity #\d+:|ActivityInfo:|Filter:"
    r"|priority=-?\d+ preferredOrder=-?\d+ match=0x[0-9a-f]+ .*|[A-Za-z]+=.*"
)
_PACKAGE_NAME = re.compile(r"packageName=(?P<name>[A-Za-z0-9_.]+)")


def parse_launcher_activities(text: str, *, source: str) -> Parsed[frozenset[str]]:
    """Names of the packages that have at least one launcher activity."""
    if text.strip() == "No activities found":
        return finish(source, frozenset(), Problems())
    reason = refusal(text, WHAT)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    packages: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        item = line.strip()
        if not item:
            continue
        if is_component(item):
            packages.add(item.partition("/")[0])
        elif (match := _PACKAGE_NAME.fullmatch(item)) is not None:
            packages.add(match.group("name"))
        elif not _KNOWN.fullmatch(item) and not line.startswith("      "):
            # Deeper lines are the rest of a full ResolveInfo dump.
            problems.unknown_line(number, line)
    if not packages:
        return unparsed(source, not_this_output(WHAT, text))
    return finish(source, frozenset(packages), problems)
