"""Saying the checks' English sentences in the report's language."""

from __future__ import annotations

import pytest

from unstalk.android.check import LIMITS as ANDROID_LIMITS
from unstalk.netcap.detect import ALWAYS_LIMITS as NETWORK_LIMITS
from unstalk.report.check_texts import TEMPLATES
from unstalk.report.i18n import translator
from unstalk.report.model import Outcome, Summary
from unstalk.report.texts import headline, say


def test_the_checks_fixed_sentences_have_translations() -> None:
    # A reworded check fails here: update check_texts.py and the catalogs with it.
    missing = [text for text in (*ANDROID_LIMITS, *NETWORK_LIMITS) if text not in TEMPLATES]
    assert missing == []


def test_a_sentence_with_names_is_translated_around_them() -> None:
    english = (
        "media-sync-a.copy9.com is a server the stalkerware TheTruthSpy reports to: the app may "
        "be running on this phone."
    )
    said = say(english, translator("fr"))
    assert said.lang == "fr"
    assert said.text.startswith("media-sync-a.copy9.com est un serveur")
    assert "TheTruthSpy" in said.text


def test_words_inside_a_sentence_are_translated_too() -> None:
    english = (
        "The indicator feed lists this app's package name as MobileTrackerFree, stalkerware: it "
        "lets someone else secretly watch this phone. Before removing it, talk with an advocate "
        "about safety: removing it can alert the person who installed it, and the app and this "
        "report are evidence."
    )
    said = say(english, translator("de"))
    assert said.text.startswith("Die Indikatorenliste führt den Paketnamen dieser App")


def test_an_unknown_sentence_stays_english_and_says_so() -> None:
    said = say("Something no catalog knows.", translator("es"))
    assert said.text == "Something no catalog knows." and said.lang == "en"


def test_english_is_returned_as_written() -> None:
    assert say("Anything at all.", translator("en")).text == "Anything at all."


@pytest.mark.parametrize("lang", ["en", "fr", "es", "de", "pt_BR"])
def test_headlines_count_and_name_in_every_language(lang: str) -> None:
    tr = translator(lang)
    found = headline(Outcome.FOUND, Summary(stalkerware=tuple("ABCDEFG")), tr)
    assert "A, B, C, D, E" in found and "2" in found and "F" not in found
    nothing = headline(Outcome.INCOMPLETE, Summary(review=3), tr)
    assert "3" in nothing
    assert nothing != headline(Outcome.NOTHING_FOUND, Summary(review=3), tr)
