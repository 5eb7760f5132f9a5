"""Fonts, paragraph styles and page furniture of the PDF report.

The font is Bitstream Vera, which ships inside reportlab (its licence allows
embedding): it covers every letter of the report languages (é, ã, ß, ñ, the
typographic quotes), and embedding it means the PDF looks the same and its
text extracts the same on any reader. Page numbers read ``3 / 7``, which needs
no translation; the total is known only once the document is laid out, so each
page is kept until the end (:func:`numbered_canvas`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import ClassVar

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from unstalk.models import Severity

FONT = "UnstalkVera"
FONT_BOLD = "UnstalkVera-Bold"
_FONT_FILES = {
    FONT: "Vera.ttf",
    FONT_BOLD: "VeraBd.ttf",
    "UnstalkVera-Italic": "VeraIt.ttf",
    "UnstalkVera-BoldItalic": "VeraBI.ttf",
}
SEVERITY_COLOURS = {
    Severity.CRITICAL: colors.HexColor("#a50e0e"),
    Severity.HIGH: colors.HexColor("#c5221f"),
    Severity.MEDIUM: colors.HexColor("#8a5a00"),
    Severity.LOW: colors.HexColor("#1a5e8a"),
    Severity.INFO: colors.HexColor("#5f6368"),
}
PAGE_WIDTH = A4[0]
MARGIN = 18 * mm
GRID = colors.HexColor("#9aa0a6")
MUTED = colors.HexColor("#5f6368")
HEADER_FILL = colors.HexColor("#f1f3f4")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@cache
def register_fonts() -> None:
    """Register the embedded font family once per process."""
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(
        FONT,
        normal=FONT,
        bold=FONT_BOLD,
        italic="UnstalkVera-Italic",
        boldItalic="UnstalkVera-BoldItalic",
    )


def plain(text: str) -> str:
    """``text`` without control bytes, lone surrogates replaced: safe to draw or store."""
    return _CONTROL.sub("", text).encode("utf-8", "replace").decode("utf-8")


def markup(text: str) -> str:
    """``text`` safe inside a reportlab paragraph: markup escaped, control bytes dropped.

    Names in a report come from apps and traffic, so ``<`` or ``&`` in them must
    stay text; lone surrogates (from undecodable file names) become '?'.
    """
    escaped = plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br/>")


@cache
def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=12.5, spaceAfter=4, alignment=TA_LEFT
    )
    small = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5, spaceAfter=0)
    return {
        "body": body,
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=18, leading=22, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=FONT_BOLD, fontSize=13.5, leading=17, spaceBefore=12
        ),
        "h3": ParagraphStyle(
            "h3", parent=body, fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8
        ),
        "h4": ParagraphStyle(
            "h4", parent=body, fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=6
        ),
        "h5": ParagraphStyle("h5", parent=body, fontName=FONT_BOLD, spaceBefore=3),
        "headline": ParagraphStyle(
            "headline", parent=body, fontName=FONT_BOLD, fontSize=12, leading=15.5
        ),
        "meta": ParagraphStyle("meta", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
        "cell": small,
        "cell-head": ParagraphStyle("cell-head", parent=small, fontName=FONT_BOLD),
        "warning": ParagraphStyle(
            "warning",
            parent=body,
            borderColor=SEVERITY_COLOURS[Severity.HIGH],
            borderWidth=0.8,
            borderPadding=5,
            spaceBefore=6,
            spaceAfter=8,
        ),
    }


@cache
def severity_style(name: str, severity: Severity) -> ParagraphStyle:
    """The heading style ``name`` in the colour of ``severity``."""
    colour = SEVERITY_COLOURS[severity]
    return ParagraphStyle(f"{name}-{severity.value}", parent=styles()[name], textColor=colour)


def numbered_canvas(footer: str, made: datetime) -> type[Canvas]:
    """A canvas class that writes ``footer`` and ``page / pages`` on every page.

    It also dates the document when the report was made (UTC), rather than when the
    PDF was drawn, so the same report gives the same bytes and a date that means something.
    """
    moment = made if made.tzinfo is not None else made.replace(tzinfo=UTC)
    stamp = moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
    return type("FooteredCanvas", (NumberedCanvas,), {"footer": plain(footer), "stamp": stamp})


class NumberedCanvas(Canvas):
    """Keeps every page until the end, when the total is known, then numbers them."""

    footer: ClassVar[str] = ""
    stamp: ClassVar[str] = ""
    _saved: list[dict[str, object]] | None = None

    def showPage(self) -> None:
        if self._saved is None:
            self._saved = []
        self._saved.append(dict(self.__dict__))
        # reportlab's own reset for the next page (the documented "page x of y" recipe).
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        pages = self._saved or []
        for state in pages:
            self.__dict__.update(state)
            self._draw_footer(len(pages))
            Canvas.showPage(self)
        self.setDateFormatter(lambda *_: self.stamp)
        Canvas.save(self)

    def _draw_footer(self, total: int) -> None:
        self.saveState()
        self.setFont(FONT, 7.5)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, 24, self.footer)
        self.drawRightString(PAGE_WIDTH - MARGIN, 24, f"{self.getPageNumber()} / {total}")
        self.restoreState()
