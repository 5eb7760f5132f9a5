"""Languages of the app: its own gettext domain, beside the reports' one.

The app's wording (templates, page titles, progress and error texts it writes
itself) is in the ``unstalk-web`` catalogs under ``locale/``; the reports it
shows keep using the reports' catalogs (:mod:`unstalk.report.i18n`), so a
report reads the same in the app and in a saved file. Both share the list of
languages and the :class:`~unstalk.report.i18n.Translator`. How to update the
catalogs: docs/web.md.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from importlib import resources

from unstalk.errors import ReportError, UsageError
from unstalk.report.i18n import LANGUAGE_NAMES, LANGUAGES, N_, Translator, normalise

DOMAIN = "unstalk-web"

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "AppError",
    "Phrase",
    "negotiate",
    "web_translator",
]


@cache
def web_translator(lang: str = "en") -> Translator:
    """The app's wording in ``lang`` (one of :data:`LANGUAGES`)."""
    code = normalise(lang)
    if code == "en":
        return Translator(code, gettext.NullTranslations())
    path = resources.files("unstalk.web") / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with resources.as_file(path) as mo, mo.open("rb") as stream:
            return Translator(code, gettext.GNUTranslations(stream))
    except OSError as e:
        raise ReportError(
            f"The {LANGUAGE_NAMES[code]} texts of the app are missing from this installation.",
            advice="Reinstall unstalk, or choose another language.",
        ) from e


def negotiate(accept_language: str | None) -> str:
    """The best of :data:`LANGUAGES` for a browser's ``Accept-Language``, else English.

    ``pt`` alone means Brazilian Portuguese here, the only Portuguese there is.
    """
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        code = _language_of(tag.strip())
        if code is not None and weight > 0:
            ranked.append((-weight, position, code))
    return min(ranked)[2] if ranked else "en"


def _language_of(tag: str) -> str | None:
    primary = tag.replace("_", "-").split("-")[0].lower()
    if primary == "pt":
        return "pt_BR"
    return primary if primary in LANGUAGES else None


@dataclass(frozen=True, slots=True)
class Phrase:
    """A sentence the app says later, in whichever language is chosen by then.

    ``text`` is the English source (marked with :func:`N_`), with ``{name}``
    places filled from ``values``. Background checks report their progress this
    way: the person may change the language while a check runs.
    """

    text: str
    values: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, text: str, **values: object) -> Phrase:
        return cls(text, tuple((name, str(value)) for name, value in values.items()))

    def say(self, tr: Translator) -> str:
        return self._filled(tr.gettext(self.text))

    def __str__(self) -> str:
        return self._filled(self.text)

    def _filled(self, text: str) -> str:
        # Without values the text is shown as it is: an error from elsewhere may hold braces.
        return text.format_map(dict(self.values)) if self.values else text


class AppError(UsageError):
    """An error the app itself words: shown in the person's language.

    ``message`` and ``advice`` are English sources marked with :func:`N_`,
    with ``{name}`` places filled from ``values``.
    """

    def __init__(self, message: str, *, advice: str = "", **values: object) -> None:
        self.phrase = Phrase.of(message, **values)
        self.advice_phrase = Phrase.of(advice, **values) if advice else None
        super().__init__(str(self.phrase), advice=str(self.advice_phrase or ""))

    def said(self, tr: Translator) -> tuple[str, str]:
        """The message and advice in ``tr``'s language."""
        advice = self.advice_phrase.say(tr) if self.advice_phrase else ""
        return self.phrase.say(tr), advice
