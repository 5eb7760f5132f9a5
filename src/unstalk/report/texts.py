"""Saying a report in one language: check sentences, headlines and the names of things.

:func:`say` translates a sentence a check wrote in English (see
:mod:`unstalk.report.check_texts`); :func:`headline` words the report's answer
from its :class:`~unstalk.report.model.Summary`; the tables give the words for
severities, verdicts, outcomes and kinds of check. Nothing here ever calls a
device "clean": the best answer is "no known stalkerware found by these checks".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from unstalk.models import Severity
from unstalk.report.check_texts import TEMPLATES, WORDS
from unstalk.report.criteria_texts import LIST_AND
from unstalk.report.i18n import N_, Translator
from unstalk.report.model import AppVerdict, ChecklistStatus, EvidenceKind, Kind, Outcome, Summary

SEVERITY_WORDS = {
    Severity.CRITICAL: N_("Critical"),
    Severity.HIGH: N_("High"),
    Severity.MEDIUM: N_("Medium"),
    Severity.LOW: N_("Low"),
    Severity.INFO: N_("For information"),
}
SEVERITY_HELP = {
    Severity.CRITICAL: N_("Act on these first, with an advocate."),
    Severity.HIGH: N_("Need a closer look soon."),
    Severity.MEDIUM: N_("Worth a look."),
    Severity.LOW: N_("Minor, but worth knowing."),
    Severity.INFO: N_("Context; nothing to do unless something else points here."),
}
VERDICT_WORDS = {
    AppVerdict.STALKERWARE: N_("Stalkerware"),
    AppVerdict.WATCHWARE: N_("Watchware (overt monitoring)"),
    AppVerdict.SUSPICIOUS: N_("To review (dual-use or suspicious)"),
    AppVerdict.NO_EVIDENCE: N_("No evidence found by these checks"),
    AppVerdict.NOT_ANALYSED: N_("Could not be analysed"),
}
OUTCOME_WORDS = {
    Outcome.FOUND: N_("Something was found"),
    Outcome.NOTHING_FOUND: N_("No known stalkerware found by these checks"),
    Outcome.INCOMPLETE: N_("Not everything could be checked"),
}
KIND_WORDS = {
    Kind.APK: N_("App files (APK)"),
    Kind.ANDROID: N_("Android phone"),
    Kind.IOS: N_("iPhone"),
    Kind.NETWORK: N_("Network traffic"),
}
CHECKLIST_WORDS = {
    ChecklistStatus.TO_CHECK: N_("To check"),
    ChecklistStatus.CHECKED: N_("Checked by the tool"),
    ChecklistStatus.COULD_NOT_CHECK: N_("Could not be checked"),
}
EVIDENCE_WORDS = {
    EvidenceKind.INDICATOR: N_("Indicator match"),
    EvidenceKind.FEATURE: N_("App feature"),
    EvidenceKind.OBSERVATION: N_("Observation"),
}
NOTHING_FOUND = N_("No known stalkerware found by these checks.")


@dataclass(frozen=True, slots=True)
class Said:
    """A sentence in the report's language, or in English when no translation exists."""

    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A template cut at its names: the fixed texts around them, and the names in order.

    Matching looks for each fixed text after the last in one pass, so it takes time in
    proportion to the text whatever the text holds: a regular expression with several
    open names could backtrack for ever on a hostile one.
    """

    template: str
    fixed: tuple[str, ...]
    names: tuple[str, ...]

    def match(self, text: str) -> dict[str, str] | None:
        head, tail = self.fixed[0], self.fixed[-1]
        end = len(text) - len(tail)
        if end < len(head) or not text.startswith(head) or not text.endswith(tail):
            return None
        values: dict[str, str] = {}
        at = len(head)
        for name, after in zip(self.names, (*self.fixed[1:-1], None), strict=True):
            stop = end if after is None else text.find(after, at + 1, end)
            value = text[at:stop]
            if stop < 0 or not value or values.setdefault(name, value) != value:
                return None
            at = stop + len(after or "")
        return values


@cache
def _compiled() -> tuple[_Pattern, ...]:
    """A pattern per template with names in it; one without names is looked up as it is.

    The template with the most fixed text comes first: where two match, as "It can
    monitor through: {labels}." and its longer form do, the longer one is meant.
    """
    patterns = []
    for template in TEMPLATES:
        parts = re.split(r"\{(\w+)\}", template)
        if len(parts) > 1:
            patterns.append(_Pattern(template, tuple(parts[::2]), tuple(parts[1::2])))
    return tuple(sorted(patterns, key=lambda p: -sum(len(f) for f in p.fixed)))


def names_in(text: str) -> dict[str, str]:
    """The names that fill ``text``'s template (``{"family": "X"}``); empty when none matches."""
    if len(text) > MAX_TEXT:
        return {}
    for pattern in _compiled():
        found = pattern.match(text)
        if found is not None:
            return found
    return {}


def say(text: str, tr: Translator) -> Said:
    """``text`` (a check's English sentence) in ``tr``'s language, when a template knows it.

    A text no single template covers (a verdict summary made of several sentences)
    is translated sentence by sentence; it stays English, marked so, when any
    sentence is unknown, so a reader never gets half a translation.
    """
    if tr.lang == "en" or not text:
        return Said(text, tr.lang)
    if len(text) > MAX_TEXT:
        return Said(text, "en")
    said = _sentence(text, tr, strict=True)
    if said is None:
        said = _sentences(text, tr)
    if said is None:
        said = _sentence(text, tr, strict=False)
    return Said(text, "en") if said is None else Said(said, tr.lang)


MAX_TEXT = 8000
"""Longer texts stay English: no check writes one, and matching is kept cheap."""
MAX_PIECES = 60
MAX_GROUP = 4
"""Pieces joined back together at most: a name may hold a full stop ("Mr. Spy")."""
_BOUNDARY = re.compile(r"(?<=[.!?]) (?=[A-Z'\"(])|; ")
MAX_LIST = MAX_TEXT // 8
"""A longer placeholder value is kept as written rather than read as a list of words."""
_LIST_SEPARATOR = re.compile(r"(, | and )")


def _sentence(text: str, tr: Translator, *, strict: bool) -> str | None:
    """One text matched whole; ``strict`` refuses names that run over a sentence end."""
    if tr.has(text):
        return tr.gettext(text)
    for pattern in _compiled():
        values = pattern.match(text)
        if values is None or not tr.has(pattern.template):
            continue
        if strict and any(_BOUNDARY.search(value) for value in values.values()):
            continue
        names = {key: _word(value, tr) for key, value in values.items()}
        return tr.gettext(pattern.template).format(**names)
    return None


def _sentences(text: str, tr: Translator) -> str | None:
    """``text`` split at sentence ends and translated piece by piece, or None."""
    parts = _BOUNDARY.split(text)
    if len(parts) < 2 or len(parts) > MAX_PIECES:
        return None
    separators = [m.group() for m in _BOUNDARY.finditer(text)]
    groups = _segment(
        parts, separators, lambda piece: _sentence(piece, tr, strict=False) is not None
    )
    if groups is None:
        return None
    said = [_sentence(group, tr, strict=False) or group for group, _sep in groups]
    return "".join(piece + sep for piece, (_group, sep) in zip(said, groups, strict=True))


def _segment(
    parts: list[str], separators: list[str], known: Callable[[str], bool]
) -> list[tuple[str, str]] | None:
    """``parts`` grouped so that every group is ``known``, fewest joins first, or None.

    Each group comes with the separator that followed it ("" for the last). A
    table over the positions keeps this linear in the number of parts.
    """
    count = len(parts)
    tail = separators + [""]
    ahead: list[tuple[int, str] | None] = [None] * count + [(count, "")]
    for start in range(count - 1, -1, -1):
        for size in range(1, min(MAX_GROUP, count - start) + 1):
            end = start + size
            if ahead[end] is None:
                continue
            group = "".join(parts[i] + tail[i] for i in range(start, end - 1)) + parts[end - 1]
            if known(group):
                ahead[start] = (end, group)
                break
    groups: list[tuple[str, str]] = []
    at = 0
    while at < count:
        step = ahead[at]
        if step is None:
            return None
        groups.append((step[1], tail[step[0] - 1]))
        at = step[0]
    return groups


def _word(value: str, tr: Translator) -> str:
    """A placeholder's value: a known word or list of known words translated, else as it is."""
    if value in _WORDS:
        return tr.gettext(value)
    if len(value) > MAX_LIST:
        return value
    pieces = _LIST_SEPARATOR.split(value)
    parts, separators = pieces[::2], pieces[1::2]
    if len(parts) < 2 or len(parts) > MAX_PIECES:
        return value
    groups = _segment(parts, separators, _WORDS.__contains__)
    if groups is None:
        return value
    items = [tr.gettext(group) for group, _sep in groups]
    if len(items) == 1:
        return items[0]
    if all(sep != " and " for _group, sep in groups):
        return ", ".join(items)
    return tr.gettext(LIST_AND).format(first=", ".join(items[:-1]), last=items[-1])


_WORDS = frozenset(WORDS)


def headline(outcome: Outcome, summary: Summary, tr: Translator) -> str:
    """The report's answer in one or two sentences; never says a device is clean."""
    _ = tr.gettext
    if summary.stalkerware:
        return _("Known stalkerware found: {names}.").format(names=_names(summary.stalkerware, tr))
    parts = [_(NOTHING_FOUND)]
    if summary.urgent:
        parts.append(
            tr.ngettext(
                "But {n} finding needs a closer look soon.",
                "But {n} findings need a closer look soon.",
                summary.urgent,
            ).format(n=summary.urgent)
        )
    if summary.watchware:
        parts.append(
            _("Known monitoring apps (watchware): {names}.").format(
                names=_names(summary.watchware, tr)
            )
        )
    if summary.review and not summary.urgent:
        parts.append(
            tr.ngettext(
                "{n} thing to review below.", "{n} things to review below.", summary.review
            ).format(n=summary.review)
        )
    if outcome is Outcome.INCOMPLETE:
        parts.append(_("Some parts could not be checked, so this answer is not complete."))
    return " ".join(parts)


HEADLINE_NAMES = 5


def _names(names: tuple[str, ...], tr: Translator) -> str:
    shown = ", ".join(names[:HEADLINE_NAMES])
    more = len(names) - HEADLINE_NAMES
    if more <= 0:
        return shown
    return tr.ngettext("{names} and {n} more", "{names} and {n} more", more).format(
        names=shown, n=more
    )
