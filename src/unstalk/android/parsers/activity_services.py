"""``dumpsys activity services``: the services running at the time of the dump.

Under ``ACTIVITY MANAGER SERVICES (dumpsys activity services)`` each user's
``User N active services:`` list has one
``* ServiceRecord{5e1b2c3 u0 com.example/.SyncService}`` line per service, followed
(without ``-a``) by ``app=ProcessRecord{...}`` and ``created=-1h2m started=true
connections=2``. A spy app usually keeps a service running to report back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from unstalk.android.model import Parsed
from unstalk.android.parsers._common import (
    Problems,
    finish,
    full_component,
    is_component,
    not_this_output,
    quote,
    refusal,
    unparsed,
)

WHAT = "`dumpsys activity services`"
HEADER = "ACTIVITY MANAGER SERVICES (dumpsys activity services)"

_RECORD = re.compile(r"\* ServiceRecord\{[0-9a-f]+ u(?P<user>\d+) (?P<component>[^\s}]+)\}")
_STATE = re.compile(r"created=\S+ started=(?P<started>true|false) connections=(?P<count>\d+)")
_USER_HEADER = re.compile(r"User \d+ active services:")


@dataclass(frozen=True, slots=True)
class RunningService:
    component: str
    """``pkg/pkg.Cls``, full form."""
    user: int
    started: bool | None = None
    """Started (runs on its own) rather than only bound by another app."""
    connections: int | None = None

    @property
    def package(self) -> str:
        return self.component.partition("/")[0]


def parse_activity_services(text: str, *, source: str) -> Parsed[tuple[RunningService, ...]]:
    """Every running service, in the order listed."""
    reason = refusal(text, WHAT)
    if reason is None and HEADER not in text:
        reason = not_this_output(WHAT, text)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    services: list[RunningService] = []
    in_list = False
    for number, line in enumerate(text.splitlines(), 1):
        item = line.strip()
        if line.startswith("  ") and not line.startswith("   "):
            in_list = bool(_USER_HEADER.fullmatch(item)) or item.startswith("* ")
        if not in_list or not item:
            continue
        if item.startswith("* ServiceRecord{"):
            service = _record(number, item, problems)
            if service is not None:
                services.append(service)
        elif services and (state := _STATE.fullmatch(item)) is not None:
            services[-1] = replace(
                services[-1],
                started=state.group("started") == "true",
                connections=int(state.group("count")),
            )
    return finish(source, tuple(services), problems)


def _record(number: int, item: str, problems: Problems) -> RunningService | None:
    match = _RECORD.fullmatch(item)
    # Android 10+ names a service instance as ``pkg/.Cls:instance``.
    component = match.group("component").partition(":")[0] if match else ""
    if match is None or not is_component(component):
        problems.add(f"line {number}: service record not understood: {quote(item)}")
        return None
    return RunningService(component=full_component(component), user=int(match.group("user")))
