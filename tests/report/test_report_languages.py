"""Every report in every language: nothing the tool wrote is left in English.

The golden reports (Android, network, APK, iPhone) and the report of every app of the
synthetic APK corpus are rendered in each translated language. A text may stay English,
marked ``lang="en"``, only when it is raw evidence: what a device or tool said, a file
path, a package or host name (docs/reports.md, "What stays in English").
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from unstalk.report.check_texts import TEMPLATES
from unstalk.report.html import render_html
from unstalk.report.i18n import LANGUAGES
from unstalk.report.model import Report

from .fixtures import SOURCES, corpus_report, report_of

ENGLISH_SPAN = re.compile(r'<span lang="en">([^<]*)</span>')
TOOL_MESSAGES = frozenset({"Permission denied", "No such file or directory"})
"""Operating-system messages the checks quote as they are."""
FRAGMENT = 40
"""Fixed texts of templates at least this long must not appear untranslated."""


def raw_evidence(text: str) -> bool:
    """A path, package, host or tool message: said by the device, not by this tool."""
    return " " not in text.strip() or text.strip() in TOOL_MESSAGES


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {**{kind: report_of(kind) for kind in SOURCES}, "apk-corpus": corpus_report()}


def _fragments() -> set[str]:
    pieces = (piece.strip() for t in TEMPLATES for piece in re.split(r"\{\w+\}", t))
    return {piece for piece in pieces if len(piece) >= FRAGMENT}


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_only_raw_evidence_stays_english(lang: str, reports: dict[str, Report]) -> None:
    leftovers = {
        f"{kind}: {unescape(text)}"
        for kind, report in reports.items()
        for text in ENGLISH_SPAN.findall(render_html(report, lang))
        if not raw_evidence(unescape(text))
    }
    assert sorted(leftovers) == []


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_no_sentence_is_half_translated(lang: str, reports: dict[str, Report]) -> None:
    # A template matched around an English clause would hide it outside a lang="en" span.
    fragments = _fragments()
    found = {
        f"{kind}: {fragment}"
        for kind, report in reports.items()
        for html in [unescape(ENGLISH_SPAN.sub("", render_html(report, lang)))]
        for fragment in fragments
        if fragment in html
    }
    assert sorted(found) == []


def test_the_corpus_report_has_every_kind_of_verdict(reports: dict[str, Report]) -> None:
    # The language tests only mean something if the corpus reaches every summary shape.
    verdicts = {app.verdict.value for app in reports["apk-corpus"].apps}
    assert {"stalkerware", "suspicious", "no_evidence"} <= verdicts
