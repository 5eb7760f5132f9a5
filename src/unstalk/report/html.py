"""The report as one self-contained HTML file: inline CSS, no script, no external resource.

A Content-Security-Policy in the page forbids loading anything, so even a
browser that opened it could not make a request; the print CSS keeps it
readable on paper (no dark backgrounds, sections kept whole where possible).
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from unstalk.report import safety
from unstalk.report.i18n import Translator, translator
from unstalk.report.model import Report
from unstalk.report.texts import EVIDENCE_WORDS, Said
from unstalk.report.view import localise


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("unstalk.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tr = translator(lang)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        tr.gettext, tr.ngettext, newstyle=True
    )
    env.filters["said"] = _said_filter(tr)
    env.globals["safety"] = safety
    return env


def _said_filter(tr: Translator) -> object:
    def said(value: Said) -> Markup:
        if value.lang == tr.lang:
            return escape(value.text)
        return Markup('<span lang="{}">{}</span>').format(value.lang, value.text)

    return said


def render_html(report: Report, lang: str = "en") -> str:
    """``report`` as HTML in ``lang`` (see :data:`unstalk.report.i18n.LANGUAGES`)."""
    tr = translator(lang)
    template = _environment(tr.lang).get_template("report.html")
    words = {kind.value: tr.gettext(word) for kind, word in EVIDENCE_WORDS.items()}
    return template.render(v=localise(report, tr), evidence_words=words)
