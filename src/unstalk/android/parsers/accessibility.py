"""``dumpsys accessibility`` and the ``enabled_accessibility_services`` secure setting.

The dump has one ``User state[`` block per user. What it lists changed:

- Android 9: ``services:{Service[label=...], ...}]``, the services bound now,
  by label only. Which services the user switched on is not printed: it comes
  from the setting.
- Android 10 and 11: ``Bound services:{...}``, ``Enabled services:{{pkg/.Cls}, ...}``,
  ``Binding services:{...}`` (and ``Crashed services:{...}`` from 11).
- Android 12 to 15: the same lists after shortcut and magnification lines, then
  ``Client list info:``; Samsung adds an ``installed services: {`` block
  (``0 : pkg/.Cls  (A11yTool)``).

Bound services are always printed by label (``Service[label=TalkBack, ...]``), never
by component name, so :attr:`AccessibilityState.bound` holds those labels.
Component names are given in full form (``pkg/pkg.Cls``) whatever form the phone used.
"""

from __future__ import annotations

import re

from unstalk.android.model import AccessibilityState, Parsed, ParseStatus
from unstalk.android.parsers._common import (
    Problems,
    finish,
    full_component,
    is_component,
    merge_unique,
    not_this_output,
    refusal,
    setting_components,
    unparsed,
)

WHAT = "`dumpsys accessibility`"
HEADER = "ACCESSIBILITY MANAGER (dumpsys accessibility)"
SETTING = "enabled_accessibility_services"

_LABEL = re.compile(r"Service\[label=(?P<label>[^,\]]*)")
_BRACED = re.compile(r"\{([^{}]*)\}")
_USER_ID = re.compile(r"attributes:\{id=(?P<user>\d+)")
_ENTRY = re.compile(r"(?:\d+ : )?(?P<component>\S+)(?:\s+\(\w+\))?")
_LISTS = {
    "services:": "bound",
    "bound services:": "bound",
    "enabled services:": "enabled",
    "installed services:": "other",
    "binding services:": "other",
    "crashed services:": "other",
}


class _UserBlock:
    def __init__(self, line: int) -> None:
        self.line = line
        self.user: int | None = None
        self.has_bound = False
        self.has_enabled = False
        self.legacy = False


def parse_accessibility(
    text: str, *, source: str, enabled_setting: str | None = None
) -> Parsed[AccessibilityState]:
    """Enabled services (dump and setting together) and the labels of bound services.

    ``enabled_setting`` is the value of the ``enabled_accessibility_services`` secure
    setting when known (``None`` when it was not collected; ``""`` when it is empty).
    """
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
            value=AccessibilityState(enabled=from_setting),
            problems=(
                f"{reason}; enabled services taken from the {SETTING} setting only",
                *setting_problems.as_tuple(),
            ),
        )
    problems = Problems()
    reader = _DumpReader(problems)
    reader.read(text.splitlines())
    reader.check(enabled_setting is not None)
    for problem in setting_problems.as_tuple():
        problems.add(problem)
    enabled = merge_unique(reader.enabled, from_setting)
    return finish(source, AccessibilityState(enabled=enabled, bound=reader.bound), problems)


class _DumpReader:
    """One pass over the dump: user blocks and the service lists in them."""

    def __init__(self, problems: Problems) -> None:
        self._problems = problems
        self.enabled: tuple[str, ...] = ()
        self.bound: tuple[str, ...] = ()
        self._blocks: list[_UserBlock] = []
        self._pending: list[str] = []
        self._pending_kind = ""
        self._pending_line = 0

    def read(self, lines: list[str]) -> None:
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if self._pending_kind:
                self._continue(text)
            elif text.startswith("User state["):
                self._blocks.append(_UserBlock(number))
                self._attributes(text)
            elif self._blocks:
                self._block_line(number, text)

    def _block_line(self, number: int, text: str) -> None:
        self._attributes(text)
        key = text.partition("{")[0].strip().lower()
        kind = _LISTS.get(key) if "{" in text else None
        if kind is not None:
            block = self._blocks[-1]
            if kind == "bound":
                block.has_bound = True
                block.legacy = key == "services:"
            block.has_enabled = block.has_enabled or kind == "enabled"
            self._pending, self._pending_kind, self._pending_line = [], kind, number
            self._continue(text.partition("{")[2])
        elif "services" in text.partition(":")[0].lower():
            self._problems.unknown_line(number, text, "unknown accessibility service list")

    def _attributes(self, text: str) -> None:
        match = _USER_ID.search(text)
        if match is not None and self._blocks:
            self._blocks[-1].user = int(match.group("user"))

    def _continue(self, text: str) -> None:
        self._pending.append(text)
        joined = "\n".join(self._pending)
        if joined.count("}") > joined.count("{"):
            self._close(joined[: joined.rfind("}")])

    def _close(self, body: str) -> None:
        kind, self._pending_kind = self._pending_kind, ""
        if kind == "bound":
            labels = tuple(match.group("label").strip() for match in _LABEL.finditer(body))
            if body.strip() and not labels:
                self._problems.unknown_line(self._pending_line, body, "bound services")
            self.bound = merge_unique(self.bound, labels)
        elif kind == "enabled":
            self.enabled = merge_unique(self.enabled, self._components(body))

    def _components(self, body: str) -> tuple[str, ...]:
        # {pkg/.Cls} items (AOSP) or "0 : pkg/.Cls" lines (Samsung's multi-line lists).
        items = [item.strip() for item in _BRACED.findall(body)]
        rest = _BRACED.sub("", body)
        items += [chunk.strip() for chunk in re.split(r"[\n,]", rest) if chunk.strip()]
        found: list[str] = []
        for item in items:
            match = _ENTRY.fullmatch(item)
            if match is not None and is_component(match.group("component")):
                found.append(full_component(match.group("component")))
            else:
                self._problems.unknown_line(self._pending_line, item, "enabled service")
        return tuple(found)

    def check(self, have_setting: bool) -> None:
        """Name what the dump left unsaid; the setting fills Android 9's missing list."""
        if self._pending_kind:
            self._problems.add(
                f"line {self._pending_line}: the {self._pending_kind} services list never "
                "closes (output cut short?)"
            )
        if not self._blocks:
            self._problems.add("no 'User state[' block: the services of no user are listed")
        for block in self._blocks:
            user = f"user {block.user}" if block.user is not None else f"line {block.line}"
            if not block.has_bound:
                self._problems.add(f"{user}: no bound services list")
            if block.legacy and not have_setting:
                self._problems.add(
                    f"{user}: this Android version does not list enabled services in the "
                    f"dump and the {SETTING} setting was not given"
                )
            elif not block.legacy and not block.has_enabled:
                self._problems.add(f"{user}: no 'Enabled services' list")
