"""The app's catalogs: complete in every language, in step with the code, words kept.

After changing a user-facing string of the app, update and translate its catalogs::

    python -m tests.web.catalogs update    # then translate the new entries
    python -m tests.web.catalogs compile
"""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from unstalk.web.i18n import LANGUAGES, Phrase, negotiate, web_translator

from .catalogs import POT, compiled, extract, po_path, read_catalog

TRANSLATED = LANGUAGES[1:]
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)[sd]|%%")
_TAG = re.compile(r"</?\w+[^>]*>")

NEVER_SAID = {
    "en": r"\bclean\b|\bsafe\b",
    "fr": r"\bpropres?\b|\bsûre?s?\b|\bsain(e|s)? et sauf\b",
    "es": r"\blimpi[oa]s?\b|\bsegur[oa]s?\b",
    "de": r"\bsauber(e[nrs]?)?\b|\bsicher(e[nrs]?)?\b",
    "pt_BR": r"\blimp[oa]s?\b|\bsegur[oa]s?\b",
}
"""Words that would call a device clean or safe, per language: the app never says them."""


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def texts_of(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, tuple | list) else ()


def _untranslated(entry: Message | None) -> bool:
    if entry is None or entry.fuzzy or not entry.string:
        return True
    return isinstance(entry.string, tuple) and not all(entry.string)


def test_the_committed_template_holds_every_message_of_the_code() -> None:
    with POT.open("rb") as stream:
        committed = _ids(read_po(stream))
    current = _ids(extract())
    assert sorted(current - committed) == [], "run: python -m tests.web.catalogs update"
    assert sorted(committed - current) == [], "run: python -m tests.web.catalogs update"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang: str) -> None:
    with POT.open("rb") as stream:
        wanted = _ids(read_po(stream))
    catalog = read_catalog(lang)
    missing = sorted(m for m in wanted if _untranslated(catalog.get(m)))
    assert missing == [], f"{lang} lacks translations of: {missing}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_names_they_fill_in_and_the_markup(lang: str) -> None:
    wrong = []
    for entry in read_catalog(lang):
        if not entry.id:
            continue
        sources = texts_of(entry.id)
        for form, target in enumerate(texts_of(entry.string)):
            # A singular may leave out its count, as the English one can.
            source = sources[min(form, len(sources) - 1)]
            same_names = set(PLACEHOLDER.findall(target)) == set(PLACEHOLDER.findall(source))
            same_tags = sorted(_TAG.findall(target)) == sorted(_TAG.findall(source))
            if not (same_names and same_tags):
                wrong.append(target)
    assert wrong == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalogs_match_their_sources(lang: str) -> None:
    committed = po_path(lang).with_suffix(".mo").read_bytes()
    assert committed == compiled(read_catalog(lang)), "run: python -m tests.web.catalogs compile"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_of_the_app_calls_a_device_clean_or_safe(lang: str) -> None:
    pattern = re.compile(NEVER_SAID[lang], re.IGNORECASE)
    if lang == "en":
        with POT.open("rb") as stream:
            texts = [t for m in read_po(stream) if m.id for t in texts_of(m.id)]
    else:
        texts = [t for m in read_catalog(lang) if m.id for t in texts_of(m.string)]
    assert [t for t in texts if pattern.search(t)] == []


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("pt-BR", "pt_BR"),
        ("pt-PT,pt;q=0.9", "pt_BR"),
        ("ja, de;q=0.5, es;q=0.7", "es"),
        ("de-CH", "de"),
        ("ja,zh;q=0.9", "en"),
        ("", "en"),
        ("fr;q=0, es;q=bogus", "en"),
    ],
)
def test_the_browser_language_picks_among_the_five(header: str, lang: str) -> None:
    assert negotiate(header) == lang


def test_a_phrase_is_said_in_the_language_chosen_when_it_is_shown() -> None:
    phrase = Phrase.of("Only the first {limit} values were checked.", limit=200)
    assert str(phrase) == "Only the first 200 values were checked."
    assert phrase.say(web_translator("de")) == "Nur die ersten 200 Werte wurden geprüft."
    assert phrase.say(web_translator("fr")).startswith("Seules les 200 premières")


def test_text_from_elsewhere_is_shown_as_it_is_even_with_braces() -> None:
    assert Phrase("adb said {device offline}").say(web_translator("es")) == (
        "adb said {device offline}"
    )
