"""Verdict summaries and case-dependent sentences: said sentence by sentence, lists word by word.

The criteria engine and the Android check build these texts from several sentences and
from lists of words; :func:`unstalk.report.texts.say` translates each part, and leaves
the whole text in English when any part is unknown.
"""

from __future__ import annotations

import pytest

from unstalk.android.checks_app import _GROUPS, _KIND_WORDS, RECENT_OPS
from unstalk.apk.capabilities import Capability
from unstalk.criteria.listing import _KIND_WORDS as LISTING_KIND_WORDS
from unstalk.report.check_texts import WORDS
from unstalk.report.i18n import translator
from unstalk.report.texts import MAX_TEXT, Said, names_in, say

FR = translator("fr")


def test_every_word_the_engine_and_the_checks_put_in_a_list_has_a_translation() -> None:
    # A new capability or indicator kind fails here: add it to criteria_texts.py.
    words = [
        *(c.label for c in Capability),
        *LISTING_KIND_WORDS.values(),
        *_KIND_WORDS.values(),
        *(label for label, _ in _GROUPS),
        *RECENT_OPS.values(),
    ]
    assert [w for w in words if w not in WORDS] == []


def test_a_summary_of_several_sentences_is_translated_sentence_by_sentence() -> None:
    english = (
        "Can monitor in secret. It can monitor through: contacts, precise location. It hides "
        "itself: hidden icon. No indicator feed lists it, and static analysis cannot show how "
        "an app is marketed, so it is not called stalkerware."
    )
    said = say(english, FR)
    assert said.lang == "fr"
    assert said.text.startswith("Peut surveiller en secret. Elle peut surveiller par : ")
    assert "les contacts, position précise" in said.text
    assert "icône cachée" in said.text


def test_one_unknown_sentence_keeps_the_whole_text_english() -> None:
    english = "Can monitor in secret. A sentence no catalog knows. That alone says little."
    assert say(english, FR) == Said(english, "en")


def test_a_longer_template_wins_over_a_shorter_one_that_also_matches() -> None:
    english = (
        "It can monitor through: intercepting text messages, and declares no foreground "
        "service, so no notification need show."
    )
    said = say(english, translator("de"))
    assert said.text == (
        "Sie kann überwachen durch: Abfangen von SMS, und meldet keinen Vordergrunddienst an, "
        "daher muss keine Benachrichtigung erscheinen."
    )


@pytest.mark.parametrize(
    ("english", "expected"),
    [
        (
            "It has been allowed to use location in the background, text messages, call history "
            "and contacts. Together these let an app follow where the person is, whom they talk "
            "to and what they say.",
            "la localisation en arrière-plan, les SMS, l'historique des appels et les contacts",
        ),
        ("Used the camera and the microphone in the last 7 days", "la caméra et le micro"),
        (
            "Known stalkerware: the indicator feed lists this app as Spy (matched on its package "
            "name and signing certificate and file hash).",
            "le nom de paquet, le certificat de signature et l'empreinte du fichier",
        ),
    ],
)
def test_lists_of_known_words_are_translated_item_by_item(english: str, expected: str) -> None:
    said = say(english, FR)
    assert said.lang == "fr" and expected in said.text


def test_a_word_that_holds_and_stays_one_item() -> None:
    english = "It hides itself: photos and files, reading the screen and typing (accessibility)."
    said = say(english, translator("es"))
    assert said.text == (
        "Se oculta: fotos y archivos, lectura de la pantalla y de lo que se escribe "
        "(accesibilidad)."
    )


def test_a_list_with_an_unknown_item_is_kept_as_written() -> None:
    said = say("It can monitor through: contacts, a power nobody listed.", FR)
    assert said.text == "Elle peut surveiller par : contacts, a power nobody listed."


@pytest.mark.parametrize(
    "english",
    [
        # Android: a feed match whose listings disagree.
        "The indicator feed lists this app's package name as Spy, stalkerware: it lets someone "
        "else secretly watch this phone. The feed also lists the same app as watchware, so the "
        "listings disagree. Before removing it, talk with an advocate about safety: removing it "
        "can alert the person who installed it, and the app and this report are evidence.",
        # Android: each reason an app's name pretends to be the system's.
        "It calls itself 'System Service', a name made of system words. Stalkerware takes such "
        "names so that nobody thinks of removing it. A genuine system app is part of the "
        "phone's software; this one is not.",
        "Its package name com.android.sysupd is in Android's own namespace, yet it is not part "
        "of the phone's system. Stalkerware takes such names so that nobody thinks of removing "
        "it. A genuine system app is part of the phone's software; this one is not.",
        "Its package name com.x.update.service uses system words (update, service). Stalkerware "
        "takes such names so that nobody thinks of removing it. A genuine system app is part of "
        "the phone's software; this one is not.",
        # Engine notes.
        "The indicator feed lists the same package name under both a stalkerware and a watchware "
        "family (Spy, Kid); the listings disagree, so that match alone decides nothing.",
        "This build can do more than overt monitoring needs: it hides itself. It can monitor "
        "without a notification that stays on screen. Check how it was installed and whether "
        "the person knows about it.",
        "It hides itself: hidden icon. No monitoring capability was found with it.",
        "The code also names web sites or servers of listed families: Spy. That alone says little.",
        # A name with a full stop in it.
        "Known monitoring app that is meant to be visible (watchware): Mr. Watch. It is reported "
        "so the person can decide about it, not as stalkerware.",
        "could not check /data/adb/magisk: Permission denied; could not check /su: No such file",
        "the file cannot be read from the acquisition (Bad CRC-32 for file 'base.apk')",
    ],
)
@pytest.mark.parametrize("lang", ["fr", "es", "de", "pt_BR"])
def test_case_dependent_sentences_are_translated(english: str, lang: str) -> None:
    said = say(english, translator(lang))
    assert said.lang == lang
    english_sentences = [s for s in english.split(". ") if len(s) > 30]
    assert not any(sentence in said.text for sentence in english_sentences)


HOSTILE = [
    "It can monitor through: " + "contacts, " * 2000 + "camera.",
    "Can monitor in secret. " * 2000,
    "could not check " + "a: " * 5000,
    "could not check a: b; " * 2000,
    "{} packets in " + " packets in : connections, DNS messages, " * 1000,
    "x is a server the stalkerware " * 1000,
    "It has been allowed to use " + "the camera and " * 3000 + "contacts.",
    "Known stalkerware: the indicator feed lists this app as " + "A. B " * 3000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_texts_are_answered(text: str) -> None:
    # Long repetitive texts aim at backtracking: matching is linear and the size bounded.
    for cut in (text[:MAX_TEXT], text):
        said = say(cut, FR)
        assert said.lang in {"fr", "en"} and said.text
        assert isinstance(names_in(cut), dict)
    assert say(text, FR).lang == "en"


def test_texts_longer_than_the_bound_stay_english() -> None:
    english = "It can monitor through: contacts." + " " * MAX_TEXT
    assert say(english, FR).lang == "en"
