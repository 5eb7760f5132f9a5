"""Pieces every adapter uses: findings with their advice, the outcome, the summary, feed info.

The adapters (:mod:`unstalk.report.from_android`, ``from_network``, ``from_apk``)
read a check's JSON through lenient input models (:class:`Input`: unknown fields
are ignored, so a newer check's output still converts) and build a
:class:`~unstalk.report.model.Report` with these helpers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from unstalk.errors import ReportError
from unstalk.models import Severity
from unstalk.report.advice import advice_for
from unstalk.report.model import (
    Evidence,
    FeedInfo,
    NotCheckedItem,
    Outcome,
    ReportFinding,
    Summary,
)

URGENT = frozenset({Severity.CRITICAL, Severity.HIGH})
_M = TypeVar("_M", bound=BaseModel)


class Input(BaseModel):
    """A check's JSON as read: fields unstalk does not use are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class PartEvidence(Input):
    """One fact of a phone check's finding: the file, the part of it, the value (as written)."""

    source: str = ""
    part: str = ""
    value: str


class NotCheckedInput(Input):
    """A part a phone check could not read in full, as its JSON says it."""

    part: str
    source: str = ""
    status: str = ""
    reasons: list[str] = Field(default_factory=list)


UNREAD = frozenset({"unparsed", "missing"})
"""Statuses of a part nothing at all was read from: such a part makes a report incomplete."""


def not_checked_item(item: NotCheckedInput) -> NotCheckedItem:
    return NotCheckedItem(
        part=item.part,
        reason="; ".join(item.reasons) or item.status,
        source=item.source,
        complete_miss=item.status in UNREAD,
    )


class FeedInput(Input):
    format: str = ""
    source: str = ""
    version: str | None = None


def feed_info(feed: FeedInput | None) -> FeedInfo | None:
    if feed is None:
        return None
    origin = "bundled" if feed.source in ("", "bundled") else feed.source
    return FeedInfo(name=f"{feed.format or 'feed'} ({origin})", version=feed.version)


def validated(model: type[_M], data: object, what: str) -> _M:
    """``data`` read as ``model``; :class:`ReportError` naming the first problem when it is not."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ReportError(
            f"The {what} result cannot be read ({where}: {first['msg']}).",
            advice="Give the JSON file the check wrote, unchanged (--format json -o FILE).",
        ) from e


def finding(
    code: str,
    severity: Severity,
    title: str,
    explanation: str,
    evidence: Iterable[Evidence],
    *,
    subject: str | None = None,
    time: datetime | None = None,
    params: Mapping[str, str] | None = None,
) -> ReportFinding:
    """A finding with the advice its code calls for (none for a code no table knows)."""
    advice = advice_for(code)
    return ReportFinding(
        id=f"{code}:{subject}" if subject else code,
        code=code,
        severity=severity,
        title=title,
        explanation=explanation,
        meaning=advice.meaning if advice else "",
        do=advice.do if advice else (),
        dont=advice.dont if advice else (),
        evidence=tuple(evidence),
        subject=subject,
        time=time,
        params=dict(params or {}),
    )


def ordered(findings: Iterable[ReportFinding]) -> tuple[ReportFinding, ...]:
    """Most urgent first; the order within a severity is the checks' own."""
    return tuple(sorted(findings, key=lambda f: f.severity.rank))


def summarise(
    findings: Iterable[ReportFinding], stalkerware: Iterable[str], watchware: Iterable[str]
) -> Summary:
    every = list(findings)
    return Summary(
        stalkerware=tuple(dict.fromkeys(stalkerware)),
        watchware=tuple(dict.fromkeys(watchware)),
        urgent=sum(1 for f in every if f.severity in URGENT),
        review=sum(1 for f in every if f.severity in (Severity.MEDIUM, Severity.LOW)),
    )


def outcome(summary: Summary, not_checked: Iterable[NotCheckedItem]) -> Outcome:
    """Found beats incomplete: a part that could not be read never hides what was found."""
    if summary.stalkerware or summary.urgent:
        return Outcome.FOUND
    if any(item.complete_miss for item in not_checked):
        return Outcome.INCOMPLETE
    return Outcome.NOTHING_FOUND
