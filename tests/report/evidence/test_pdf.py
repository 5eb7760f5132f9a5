"""The PDF report: the same content as the HTML one, in every language, readable as text."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from unstalk.android.check import AndroidCheckResult, result_dict
from unstalk.models import Severity
from unstalk.report.convert import report_from_bytes
from unstalk.report.i18n import LANGUAGES, translator
from unstalk.report.model import (
    AcquisitionInfo,
    AppSummary,
    AppVerdict,
    CaseInfo,
    Evidence,
    EvidenceKind,
    FeedInfo,
    Kind,
    NotCheckedItem,
    Outcome,
    Report,
    ReportFinding,
    Summary,
)
from unstalk.report.pdf import MADE_WITH, MAX_CELL, TITLE, render_pdf
from unstalk.report.safety import CANNOT_TELL, HELP, SAFETY
from unstalk.report.texts import say
from unstalk.report.view import localise

MADE = datetime(2024, 3, 13, 9, 30, tzinfo=UTC)
CLEAN_WORDS = re.compile(r"\b(clean|propre|limpi[oa]s?|sauber|limp[oa]s?)\b", re.IGNORECASE)
""""Clean" in the five languages: never said of a device, so never in a report."""


def _finding() -> ReportFinding:
    return ReportFinding(
        id="android.app.stalkerware:com.thetruth",
        code="android.app.stalkerware",
        severity=Severity.CRITICAL,
        title="Known stalkerware (TheTruthSpy): com.thetruth",
        explanation="The indicator feed lists this app's package name as TheTruthSpy.",
        meaning="Someone else may be able to see this person's messages and location.",
        do=("Talk with an advocate and make a safety plan before doing anything about the app.",),
        dont=("Do not confront the person you suspect.",),
        evidence=(
            Evidence(
                kind=EvidenceKind.INDICATOR,
                value="com.thetruth",
                source="ioc.yaml",
                location="package",
                indicator="com.thetruth",
                family="TheTruthSpy",
            ),
        ),
        subject="com.thetruth",
    )


def _report(**changes: object) -> Report:
    report = Report(
        kind=Kind.ANDROID,
        subject="Google Pixel 7 (Android 14)",
        created_at=MADE,
        tool_version="0.1.0",
        feed=FeedInfo(name="echap (bundled)", version="a04c5c1", sha256="ab" * 32),
        outcome=Outcome.FOUND,
        headline="Known stalkerware found: TheTruthSpy (com.thetruth).",
        summary=Summary(stalkerware=("TheTruthSpy (com.thetruth)",), urgent=1),
        findings=(_finding(),),
        checked=("12 apps on the phone, each judged against the coalition's criteria.",),
        not_checked=(NotCheckedItem(part="appops", reason="the file is missing", source="x"),),
        limits=("A phone with root access can hide apps and settings from these checks.",),
        apps=(AppSummary(id="com.thetruth", verdict=AppVerdict.STALKERWARE, summary="Listed."),),
        acquisition=AcquisitionInfo(source="case-1", files={"getprop.txt": "cd" * 32}),
        case=CaseInfo(id="2024-0042", examiner="Det. Müller"),
    )
    return report.model_copy(update=changes)


def _text(pdf: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces made single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_says_the_answer_the_findings_and_the_safety_text(lang: str) -> None:
    report = _report()
    tr = translator(lang)
    view = localise(report, tr)
    text = _text(render_pdf(report, lang))
    assert _words(tr.gettext(TITLE)) in text
    assert _words(view.headline) in text
    assert _words(say(_finding().title, tr).text) in text
    assert _words(tr.gettext("Your safety")) in text
    for sentence in (*SAFETY, *HELP, *CANNOT_TELL):
        assert _words(tr.gettext(sentence)) in text, sentence
    assert "com.thetruth" in text and "ioc.yaml" in text
    assert CLEAN_WORDS.search(text) is None


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_the_pdfs_own_sentences_are_translated(lang: str) -> None:
    tr = translator(lang)
    missing = [s for s in (TITLE, *SAFETY, *HELP, *CANNOT_TELL, MADE_WITH) if not tr.has(s)]
    assert missing == []


def test_the_metadata_carry_title_language_subject_and_the_report_date() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(_report(), "pt_BR")))
    info = reader.metadata
    assert info is not None
    assert (
        info.title
        == f"{translator('pt_BR').gettext(TITLE)}: "
        + localise(_report(), translator("pt_BR")).kind_word
    )
    assert info.subject == localise(_report(), translator("pt_BR")).headline
    assert info.creation_date_raw == "D:20240313093000+00'00'"
    assert str(reader.root_object["/Lang"]) == "pt-BR"


def test_every_page_is_numbered_out_of_the_total(android_result: AndroidCheckResult) -> None:
    data = json.dumps(result_dict(android_result)).encode()
    report = report_from_bytes(data, source="result.json", created_at=MADE)
    reader = PdfReader(io.BytesIO(render_pdf(report)))
    total = len(reader.pages)
    assert total > 2
    for number, page in enumerate(reader.pages, start=1):
        assert f"{number} / {total}" in page.extract_text()


def test_accented_letters_and_quotes_come_out_as_written() -> None:
    subject = "Café São Paulo, Straße, Año — ‘Ü’ “ç” ’"
    text = _text(render_pdf(_report(subject=subject), "de"))
    assert subject in text


def test_the_font_is_embedded() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(_report())))
    resources = reader.pages[0]["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    fonts = resources["/Font"].get_object()
    assert isinstance(fonts, DictionaryObject) and fonts
    for ref in fonts.values():
        font = ref.get_object()
        assert isinstance(font, DictionaryObject)
        assert str(font["/Subtype"]) == "/TrueType", font["/BaseFont"]
        descriptor = font["/FontDescriptor"].get_object()
        assert isinstance(descriptor, DictionaryObject) and "/FontFile2" in descriptor


def test_names_from_apps_stay_text_even_with_markup_or_control_bytes() -> None:
    hostile = 'com.evil<b>bold</b> & <font size="40">x\x00\x1b</font>'
    text = _text(render_pdf(_report(subject=hostile)))
    assert 'com.evil<b>bold</b> & <font size="40">x</font>' in text


def test_nothing_found_says_so_without_calling_the_phone_clean() -> None:
    report = _report(
        outcome=Outcome.NOTHING_FOUND,
        headline="No known stalkerware found by these checks.",
        summary=Summary(),
        findings=(),
        apps=(),
    )
    for lang in LANGUAGES:
        tr = translator(lang)
        text = _text(render_pdf(report, lang))
        assert _words(localise(report, tr).headline) in text
        assert CLEAN_WORDS.search(text) is None


def test_the_same_report_gives_the_same_bytes() -> None:
    assert render_pdf(_report(), "fr") == render_pdf(_report(), "fr")


def test_the_versions_hashes_and_case_are_in_the_pdf(tmp_path: Path) -> None:
    text = _text(render_pdf(_report()))
    assert "unstalk 0.1.0" in text
    assert "ab" * 32 in text.replace(" ", "") and "cd" * 32 in text.replace(" ", "")
    assert "2024-0042" in text and "Det. Müller" in text


def test_a_huge_value_is_cut_short_in_its_cell_and_the_pdf_still_made() -> None:
    huge = Evidence(kind=EvidenceKind.OBSERVATION, value="A" * 100_000, source="dump.txt")
    finding = _finding().model_copy(update={"evidence": (huge,), "explanation": "word " * 5000})
    text = _text(render_pdf(_report(findings=(finding,))))
    assert "dump.txt" in text
    assert text.count("A") < MAX_CELL + 200
    assert text.count("word") >= 5000
