"""``dumpsys notification``'s ``Notification listeners:`` section and the
``enabled_notification_listeners`` secure setting.

Apps allowed to read every notification (messages included) are what matters
here. The section (same shape from Android 9 to 15) lists:

- ``Allowed notification listeners:``: ``pkgA/ClsA:pkgB/ClsB (user: 0 isPrimary: true)``
  (Android 12+ may add `` isUserChanged: true`` inside the parentheses);
- ``All notification listeners (N) enabled for current profiles:``:
  ``ComponentInfo{pkg/pkg.Cls}``;
- ``Live notification listeners (N):``: ``ComponentInfo{pkg/pkg.Cls} (user 0): ...``, the
  ones bound now;
- ``Snoozed notification listeners (N):``.

The other sections (notification records, assistants, condition providers) are
not read: the command is run without ``--noredact`` so no message text is kept.
"""

from __future__ import annotations

import re

from unstalk.android.model import Parsed, ParseStatus
from unstalk.android.parsers._common import (
    Problems,
    finish,
    full_component,
    indent_of,
    is_component,
    merge_unique,
    not_this_output,
    refusal,
    setting_components,
    unparsed,
)

WHAT = "`dumpsys notification`"
SETTING = "enabled_notification_listeners"
HEADER = "Current Notification Manager state:"
SECTION = "Notification listeners:"

_APPROVED = re.compile(
    r"(?P<items>.*) \(user: (?P<user>\d+) isPrimary: (?:true|false)(?: isUserChanged: \w+)?\)"
)
_COMPONENT_INFO = re.compile(r"ComponentInfo\{(?P<component>[^}]+)\}(?: \(user -?\d+\).*)?")
_ENABLED_HEADER = re.compile(r"All notification listeners \(\d+\) enabled for current profiles:")
_LIVE_HEADER = re.compile(r"Live notification listeners \(\d+\):")


def parse_notification_listeners(
    text: str, *, source: str, enabled_setting: str | None = None
) -> Parsed[tuple[str, ...]]:
    """Components allowed to read notifications (dump and setting together), full form."""
    setting_problems = Problems()
    from_setting = setting_components(SETTING, enabled_setting, setting_problems)
    reason = refusal(text, WHAT)
    if reason is None and HEADER not in text:
        reason = not_this_output(WHAT, text)
    if reason is not None:
        if enabled_setting is None:
            return unparsed(source, reason)
        return Parsed(
            source=source,
            status=ParseStatus.PARTIAL,
            value=from_setting,
            problems=(f"{reason}; listeners taken from the {SETTING} setting only",),
        )
    problems = Problems()
    reader = _Reader(problems)
    reader.read(text.splitlines())
    for problem in setting_problems.as_tuple():
        problems.add(problem)
    return finish(source, merge_unique(reader.components, from_setting), problems)


class _Reader:
    def __init__(self, problems: Problems) -> None:
        self._problems = problems
        self.components: tuple[str, ...] = ()
        self._list = ""
        self._list_indent = 0
        self._seen_enabled_list = False

    def read(self, lines: list[str]) -> None:
        start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
        if start is None:
            self._problems.add(f"no '{SECTION}' section: listeners could not be read")
            return
        section_indent = indent_of(lines[start])
        for number in range(start + 2, len(lines) + 1):
            line = lines[number - 1]
            if not line.strip():
                continue
            if indent_of(line) <= section_indent:
                break
            self._line(number, line)
        if not self._seen_enabled_list:
            self._problems.add(
                "the listeners section has no 'All notification listeners (N) enabled' list"
            )

    def _line(self, number: int, line: str) -> None:
        text = line.strip()
        indent = indent_of(line)
        if self._list and indent > self._list_indent:
            self._item(number, text)
            return
        self._list, self._list_indent = "", indent
        if text == "Allowed notification listeners:":
            self._list = "allowed"
        elif _ENABLED_HEADER.fullmatch(text):
            self._list, self._seen_enabled_list = "enabled", True
        elif _LIVE_HEADER.fullmatch(text):
            self._list = "live"
        elif text.endswith(":"):
            self._list = "other"
        elif ":" not in text and "=" not in text:
            self._problems.unknown_line(number, text)

    def _item(self, number: int, text: str) -> None:
        if self._list == "allowed":
            match = _APPROVED.fullmatch(text)
            if match is None:
                self._problems.unknown_line(number, text, "allowed listener")
                return
            items = [item for item in match.group("items").split(":") if item.strip()]
            self._add(number, items)
        elif self._list in ("enabled", "live"):
            match = _COMPONENT_INFO.fullmatch(text)
            if match is None:
                self._problems.unknown_line(number, text, f"{self._list} listener")
                return
            self._add(number, [match.group("component")])

    def _add(self, number: int, items: list[str]) -> None:
        for item in items:
            if is_component(item.strip()):
                self.components = merge_unique(self.components, (full_component(item),))
            else:
                self._problems.unknown_line(number, item, "not a component name")
