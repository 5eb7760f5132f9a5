"""Typed results shared by every part of unstalk."""

from __future__ import annotations

from enum import StrEnum


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
