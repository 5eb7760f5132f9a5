"""Saying a report in one language: check sentences, headlines and the names of things.

:func:`say` translates a sentence a check wrote in English (see
:mod:`unstalk.report.check_texts`); :func:`headline` words the report's answer
from its :class:`~unstalk.report.model.Summary`; the tables give the words for
severities, verdicts, outcomes and kinds of check. Nothing here ever calls a
device "clean": the best answer is "no known stalkerware found by these checks".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from unstalk.models import Severity
from unstalk.report.check_texts import TEMPLATES, WORDS
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


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    """A pattern per template with names in it; one without names is looked up as it is."""
    patterns: list[tuple[re.Pattern[str], str]] = []
    for template in TEMPLATES:
        parts = re.split(r"\{(\w+)\}", template)
        if len(parts) == 1:
            continue
        seen: set[str] = set()
        pieces = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                pieces.append(re.escape(part))
            elif part in seen:
                # A name said twice in a sentence is the same name both times.
                pieces.append(f"(?P={part})")
            else:
                seen.add(part)
                pieces.append(f"(?P<{part}>.+?)")
        patterns.append((re.compile("".join(pieces), re.DOTALL), template))
    return tuple(patterns)


def names_in(text: str) -> dict[str, str]:
    """The names that fill ``text``'s template (``{"family": "X"}``); empty when none matches."""
    for pattern, _template in _compiled():
        found = pattern.fullmatch(text)
        if found is not None:
            return found.groupdict()
    return {}


def say(text: str, tr: Translator) -> Said:
    """``text`` (a check's English sentence) in ``tr``'s language, when a template knows it."""
    if tr.lang == "en" or not text:
        return Said(text, tr.lang)
    if tr.has(text):
        return Said(tr.gettext(text), tr.lang)
    for pattern, template in _compiled():
        found = pattern.fullmatch(text)
        if found is None or not tr.has(template):
            continue
        names = {key: _word(value, tr) for key, value in found.groupdict().items()}
        return Said(tr.gettext(template).format(**names), tr.lang)
    return Said(text, "en")


def _word(value: str, tr: Translator) -> str:
    return tr.gettext(value) if value in WORDS else value


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
