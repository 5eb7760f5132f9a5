"""Languages of the reports: compiled gettext catalogs shipped in the package.

Every user-facing string of the reports goes through a :class:`Translator`.
Source strings are English and marked with :func:`N_` (for strings defined
before a language is known) or passed to ``tr.gettext`` / ``tr.ngettext``; Babel
extracts them (``babel.cfg``) into ``locale/unstalk.pot``, and the catalogs
``locale/<lang>/LC_MESSAGES/unstalk.po`` are compiled to ``.mo`` files that the
standard library reads at run time (docs/reports.md: how to update them).
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from importlib import resources

from unstalk.errors import ReportError, UsageError

DOMAIN = "unstalk"
LANGUAGES = ("en", "fr", "es", "de", "pt_BR")
"""Report languages; ``en`` is the source language and needs no catalog."""
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "de": "Deutsch",
    "pt_BR": "Português (Brasil)",
}


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet (the name Babel looks for)."""
    return message


@dataclass(frozen=True, slots=True)
class Translator:
    """One language's catalog: ``gettext`` for sentences, ``ngettext`` for counted ones."""

    lang: str
    catalog: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    def has(self, message: str) -> bool:
        """Whether the catalog holds a translation of ``message`` (always true in English)."""
        return self.lang == "en" or self.catalog.gettext(message) != message

    @property
    def html_lang(self) -> str:
        """The BCP 47 tag for an HTML ``lang`` attribute: ``pt-BR``."""
        return self.lang.replace("_", "-")


def normalise(lang: str) -> str:
    """Accept ``pt-BR``, ``pt_br``, ``FR``: the catalog name, or :class:`UsageError`."""
    wanted = lang.strip().replace("-", "_").lower()
    for code in LANGUAGES:
        if code.lower() == wanted:
            return code
    raise UsageError(
        f"There is no report language {lang!r}.",
        advice=f"Choose one of: {', '.join(LANGUAGES)}.",
    )


@cache
def translator(lang: str = "en") -> Translator:
    """The translator of ``lang`` (``en``, ``fr``, ``es``, ``de``, ``pt_BR``)."""
    code = normalise(lang)
    if code == "en":
        return Translator(code, gettext.NullTranslations())
    path = resources.files("unstalk.report") / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with resources.as_file(path) as mo, mo.open("rb") as stream:
            return Translator(code, gettext.GNUTranslations(stream))
    except OSError as e:
        raise ReportError(
            f"The {LANGUAGE_NAMES[code]} texts of the reports are missing from this installation.",
            advice="Reinstall unstalk, or choose another language with --lang.",
        ) from e
