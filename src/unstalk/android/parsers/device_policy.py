"""``dumpsys device_policy``: device administrators and device / profile owners.

Under ``Current Device Policy Manager state:`` (same shape from Android 9 to 15):

- ``Device Owner:`` then ``admin=ComponentInfo{pkg/pkg.Cls}``, ``name=``, ``package=``;
- ``Profile Owner (User N):`` with the same lines (a work profile, or an app that
  made itself the owner of a secondary user);
- ``Enabled Device Admins (User N, provisioningState: S):`` then one
  ``pkg/.Cls:`` line per active administrator, its details indented below it,
  and after them ``mPasswordOwner=``-style lines at the administrators' level.
"""

from __future__ import annotations

import re

from unstalk.android.model import DeviceAdmins, Parsed
from unstalk.android.parsers._common import (
    Problems,
    finish,
    full_component,
    indent_of,
    is_component,
    merge_unique,
    not_this_output,
    refusal,
    unparsed,
)

WHAT = "`dumpsys device_policy`"
HEADER = "Current Device Policy Manager state:"

_ADMINS = re.compile(r"Enabled Device Admins \(User (?P<user>\d+), provisioningState: \d+\):")
_OWNER = re.compile(r"(?:Device Owner|Profile Owner \(User (?P<user>\d+)\)):")
_ADMIN_FIELD = re.compile(r"admin=ComponentInfo\{(?P<component>[^}]+)\}")
_KEY_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9_ ()]*[=:].*")


def parse_device_policy(text: str, *, source: str) -> Parsed[DeviceAdmins]:
    """Active administrators of every user, the device owner and profile owners."""
    reason = refusal(text, WHAT)
    if reason is None and HEADER not in text:
        reason = not_this_output(WHAT, text)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    reader = _Reader(problems)
    for number, line in enumerate(text.splitlines(), 1):
        reader.line(number, line)
    reader.finish()
    value = DeviceAdmins(
        active=tuple(reader.active),
        device_owner=reader.device_owner,
        profile_owners=tuple(reader.profile_owners),
    )
    return finish(source, value, problems)


class _Reader:
    def __init__(self, problems: Problems) -> None:
        self._problems = problems
        self.active: list[str] = []
        self.device_owner: str | None = None
        self.profile_owners: list[str] = []
        self._section = ""
        self._section_indent = 0
        self._owner_line = 0
        self._owner_found = True
        self._admin_lists = 0

    def line(self, number: int, line: str) -> None:
        text = line.strip()
        if not text:
            return
        indent = indent_of(line)
        if self._section and indent <= self._section_indent:
            self._end_section()
        if _ADMINS.fullmatch(text):
            self._begin("admins", indent, number)
            self._admin_lists += 1
        elif _OWNER.fullmatch(text):
            self._begin(
                "profile owner" if text.startswith("Profile") else "device owner", indent, number
            )
        elif self._section == "admins":
            self._admin_line(number, indent, text)
        elif self._section:
            self._owner_field(text)

    def _begin(self, section: str, indent: int, number: int) -> None:
        self._section, self._section_indent = section, indent
        self._owner_line, self._owner_found = number, section == "admins"

    def _admin_line(self, number: int, indent: int, text: str) -> None:
        if indent != self._section_indent + 2:
            return
        if text.endswith(":") and is_component(text[:-1]):
            self.active = list(merge_unique(tuple(self.active), (full_component(text[:-1]),)))
        elif not _KEY_VALUE.fullmatch(text):
            self._problems.unknown_line(number, text, "not an administrator line")

    def _owner_field(self, text: str) -> None:
        match = _ADMIN_FIELD.fullmatch(text)
        if match is None:
            return
        self._owner_found = True
        component = full_component(match.group("component"))
        if self._section == "device owner":
            self.device_owner = component
        elif component not in self.profile_owners:
            self.profile_owners.append(component)

    def _end_section(self) -> None:
        if not self._owner_found:
            self._problems.add(f"line {self._owner_line}: {self._section} without an admin= line")
        self._section, self._owner_found = "", True

    def finish(self) -> None:
        self._end_section()
        if not self._admin_lists:
            self._problems.add("no 'Enabled Device Admins' list: administrators could not be read")
