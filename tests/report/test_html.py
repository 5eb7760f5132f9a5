"""The HTML report: one self-contained file, accessible, in every language, never "clean"."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from rich.console import Console

from unstalk.report.html import render_html
from unstalk.report.i18n import LANGUAGES, translator
from unstalk.report.model import Report
from unstalk.report.text import print_summary

from .catalogs import read_catalog
from .fixtures import report_of

KINDS = ("android", "network", "apk", "ios")
CLEAN_WORDS = re.compile(r"\b(clean|propre|limpio|limpia|sauber|limpo|limpa)\b", re.IGNORECASE)


class _Page(HTMLParser):
    """Headings, tables, resources the page would load, and its text outside English quotes."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tables = 0
        self.headers = 0
        self.loads: list[str] = []
        self.scripts = 0
        self.texts: list[str] = []
        self._quiet: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        self.tables += tag == "table"
        self.headers += tag == "th"
        self.scripts += tag == "script"
        self.loads += [v for k, v in attrs if k in ("src", "href") and v]
        if (tag == "span" and found.get("lang") == "en") or tag in ("code", "style"):
            self._quiet.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._quiet and self._quiet[-1] == tag:
            self._quiet.pop()

    def handle_data(self, data: str) -> None:
        if not self._quiet and data.strip():
            self.texts.append(data.strip())


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {kind: report_of(kind) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_the_page_loads_nothing_and_runs_nothing(kind: str, reports: dict[str, Report]) -> None:
    html = render_html(reports[kind], "en")
    page = _page(html)
    internal = [link for link in page.loads if not link.startswith("#")]
    assert internal == [] and page.scripts == 0
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "@media print" in html


@pytest.mark.parametrize("kind", KINDS)
def test_headings_go_down_one_level_at_a_time_and_tables_have_headers(
    kind: str, reports: dict[str, Report]
) -> None:
    page = _page(render_html(reports[kind], "en"))
    assert page.headings[0] == 1
    jumps = [(a, b) for a, b in zip(page.headings, page.headings[1:], strict=False) if b > a + 1]
    assert jumps == []
    assert page.tables and page.headers >= page.tables


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_language_is_declared(lang: str, reports: dict[str, Report]) -> None:
    html = render_html(reports["android"], lang)
    assert f'<html lang="{translator(lang).html_lang}">' in html


def test_the_short_answer_and_urgent_findings_come_before_the_details(
    reports: dict[str, Report],
) -> None:
    html = render_html(reports["android"], "en")
    answer = html.index(reports["android"].headline)
    urgent = html.index("Look at these first")
    details = html.index('id="findings"')
    safety = html.index('id="safety"')
    versions = html.index('id="versions"')
    assert answer < urgent < details < safety < versions


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_report_carries_the_safety_text(
    kind: str, lang: str, reports: dict[str, Report]
) -> None:
    tr = translator(lang)
    html = render_html(reports[kind], lang)
    for english in (
        "Your safety",
        "Before changing anything, make a safety plan with an advocate who knows about "
        "technology-facilitated abuse.",
        "Hardware trackers (AirTag, Tile, SmartTag, GPS trackers hidden in a car or a bag) "
        "cannot be found by checking a phone or its traffic.",
        "The Coalition Against Stalkerware lists organisations that help, by country, at "
        "stopstalkerware.org.",
    ):
        assert tr.gettext(english) in html


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_no_english_is_left_in_the_pages_own_words(lang: str, reports: dict[str, Report]) -> None:
    translated = {
        entry.id: entry.string
        for entry in read_catalog(lang)
        if isinstance(entry.id, str) and entry.id and entry.string != entry.id
    }
    for kind in KINDS:
        texts = _page(render_html(reports[kind], lang)).texts
        leftovers = [text for text in texts if text.rstrip(":") in translated or text in translated]
        assert leftovers == [], f"{kind} in {lang}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_report_ever_calls_a_device_clean(lang: str, reports: dict[str, Report]) -> None:
    for report in reports.values():
        console = Console(record=True, width=120)
        print_summary(report, console, lang)
        for output in (render_html(report, lang), console.export_text()):
            assert CLEAN_WORDS.search(output) is None


def test_text_from_a_result_file_cannot_inject_markup(reports: dict[str, Report]) -> None:
    hostile = reports["network"].model_copy(update={"subject": '<script>alert("x")</script>'})
    html = render_html(hostile, "en")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_sentences_without_a_translation_are_marked_english(reports: dict[str, Report]) -> None:
    apps = reports["apk"].apps
    unknown = apps[0].model_copy(update={"summary": "A verdict no catalog knows. Not at all."})
    report = reports["apk"].model_copy(update={"apps": (unknown, *apps[1:])})
    html = render_html(report, "fr")
    assert '<span lang="en">A verdict no catalog knows. Not at all.</span>' in html
    assert "Ce qui a été trouvé" in html
