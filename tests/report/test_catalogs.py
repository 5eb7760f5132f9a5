"""The report catalogs: complete in every language, in step with the code, names kept.

After changing a user-facing string, update and translate the catalogs::

    python -m tests.report.catalogs update    # then translate the new entries
    python -m tests.report.catalogs compile
"""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from unstalk.report.i18n import LANGUAGES, normalise, translator

from .catalogs import POT, compiled, extract, po_path, read_catalog

TRANSLATED = LANGUAGES[1:]
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)[sd]")


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_the_committed_template_holds_every_message_of_the_code() -> None:
    with POT.open("rb") as stream:
        committed = _ids(read_po(stream))
    current = _ids(extract())
    assert sorted(current - committed) == [], "run: python -m tests.report.catalogs update"
    assert sorted(committed - current) == [], "run: python -m tests.report.catalogs update"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang: str) -> None:
    with POT.open("rb") as stream:
        wanted = _ids(read_po(stream))
    catalog = read_catalog(lang)
    missing = sorted(
        m
        for m in wanted
        if (entry := catalog.get(m)) is None
        or not entry.string
        or (isinstance(entry.string, tuple) and not all(entry.string))
        or entry.fuzzy
    )
    assert missing == [], f"{lang} lacks translations of: {missing}"


def _texts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, tuple | list) else ()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_names_they_fill_in(lang: str) -> None:
    wrong = []
    for entry in read_catalog(lang):
        if not entry.id:
            continue
        sources = _texts(entry.id)
        targets = _texts(entry.string)
        expected = sorted(PLACEHOLDER.findall(sources[-1]))
        wrong += [t for t in targets if sorted(PLACEHOLDER.findall(t)) != expected]
    assert wrong == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalogs_match_their_sources(lang: str) -> None:
    committed = po_path(lang).with_suffix(".mo").read_bytes()
    assert committed == compiled(read_catalog(lang)), "run: python -m tests.report.catalogs compile"


def test_plural_forms_follow_each_language() -> None:
    one, many = "{n} thing to review below.", "{n} things to review below."
    assert translator("fr").ngettext(one, many, 0).startswith("{n} point ")
    assert translator("de").ngettext(one, many, 0).startswith("{n} Punkte")
    assert translator("pt_BR").ngettext(one, many, 1).startswith("{n} item ")


@pytest.mark.parametrize(("given", "code"), [("pt-BR", "pt_BR"), ("FR", "fr"), ("de", "de")])
def test_language_codes_are_accepted_in_common_spellings(given: str, code: str) -> None:
    assert normalise(given) == code
