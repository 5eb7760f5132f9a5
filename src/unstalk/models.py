"""Typed results shared by every part of unstalk."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

_T = TypeVar("_T")

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
"""What a JSON document holds: every check writes its results in these values."""


class Severity(StrEnum):
    """How urgently a finding needs attention, most urgent first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most urgent tier; sort by this to list urgent findings first."""
        return _RANK[self]


_RANK = {severity: rank for rank, severity in enumerate(Severity)}


class ParseStatus(StrEnum):
    OK = "ok"
    PARTIAL = "partial"
    """Read, but some lines or sections were not understood (see ``problems``)."""
    UNPARSED = "unparsed"
    """The format is not one unstalk knows: nothing was concluded from it."""
    MISSING = "missing"
    """The acquisition has no such output (command failed or was not run)."""


@dataclass(frozen=True, slots=True)
class Parsed(Generic[_T]):
    """A parser's answer: the value (when any), how well it went, and what went wrong."""

    source: str
    """The acquisition file (or dumpstate section) it was read from."""
    status: ParseStatus
    value: _T | None = None
    problems: tuple[str, ...] = ()
